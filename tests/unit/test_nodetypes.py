"""Node type registry: built-ins, registration rules, effective types, definition choice."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest

from repo_server.errors import (
    ConstraintViolation,
    InvalidNodeTypeDefinition,
    NodeTypeInUse,
    NodeTypeNotFound,
)
from repo_server.model.values import Binary, Property, PropertyType, Value, parse_iso_date
from repo_server.nodetypes import (
    ChildNodeDefinition,
    NodeType,
    NodeTypeRegistry,
    PropertyDefinition,
    check_constraints,
)
from repo_server.nodetypes.constraints import validate_constraints

BUILTINS = [
    "nt:base",
    "nt:unstructured",
    "nt:hierarchyNode",
    "nt:folder",
    "nt:file",
    "nt:resource",
    "mix:created",
    "mix:lastModified",
    "mix:title",
    "mix:mimeType",
    "mix:language",
    "mix:referenceable",
    "mix:simpleVersionable",
    "mix:versionable",
    "mix:lockable",
    "mix:shareable",
    "nt:versionHistory",
    "nt:version",
    "nt:frozenNode",
    "nt:versionLabels",
    "rep:root",
    "rep:system",
    "oak:Unstructured",
    "oak:Resource",
    "oak:QueryIndexDefinition",
    "sling:Resource",
    "sling:ResourceSuperType",
    "sling:Folder",
    "sling:OrderedFolder",
    "sling:VanityPath",
    "cq:Page",
    "cq:PageContent",
    "cq:Taggable",
    "cq:OwnerTaggable",
    "cq:ReplicationStatus",
    "cq:Commerce",
    "cq:PollConfig",
    "cq:PollConfigFolder",
    "rep:Authorizable",
    "rep:User",
    "rep:Group",
    "rep:AuthorizableFolder",
    "rep:ACL",
    "rep:ACE",
    "rep:GrantACE",
    "rep:DenyACE",
    "rep:AccessControllable",
]


@pytest.fixture
def registry() -> NodeTypeRegistry:
    return NodeTypeRegistry()


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_is_registered(registry: NodeTypeRegistry, name: str) -> None:
    assert registry.get(name).name == name
    assert registry.has(name)


def test_unknown_type_is_not_found(registry: NodeTypeRegistry) -> None:
    with pytest.raises(NodeTypeNotFound):
        registry.get("nt:nothing")


def cnd(registry: NodeTypeRegistry, text: str) -> list[NodeType]:
    return registry.register_cnd("<my = 'urn:my'>\n" + text)


def invalid(registry: NodeTypeRegistry, text: str, fragment: str) -> None:
    with pytest.raises(InvalidNodeTypeDefinition, match=fragment):
        cnd(registry, text)


# --- built-ins --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "prop"),
    [
        ("mix:lastModified", "jcr:lastModified"),
        ("mix:lastModified", "jcr:lastModifiedBy"),
        ("mix:title", "jcr:title"),
        ("mix:title", "jcr:description"),
        ("mix:mimeType", "jcr:mimeType"),
        ("mix:mimeType", "jcr:encoding"),
        ("mix:language", "jcr:language"),
    ],
)
def test_mixin_properties_of_spec_7_7_are_not_protected(
    registry: NodeTypeRegistry, type_name: str, prop: str
) -> None:
    assert not registry.effective("nt:unstructured", [type_name]).is_protected_property(prop)


@pytest.mark.parametrize(
    ("mixin", "prop"),
    [
        ("mix:created", "jcr:primaryType"),
        ("mix:created", "jcr:mixinTypes"),
        ("mix:referenceable", "jcr:uuid"),
        ("mix:created", "jcr:created"),
        ("mix:created", "jcr:createdBy"),
        ("mix:simpleVersionable", "jcr:isCheckedOut"),
        ("mix:versionable", "jcr:versionHistory"),
        ("mix:versionable", "jcr:baseVersion"),
        ("mix:versionable", "jcr:predecessors"),
    ],
)
def test_repository_properties_are_protected(
    registry: NodeTypeRegistry, mixin: str, prop: str
) -> None:
    assert registry.effective("nt:unstructured", [mixin]).is_protected_property(prop)


@pytest.mark.parametrize(
    ("name", "orderable"),
    [
        ("nt:unstructured", True),
        ("rep:root", True),
        ("cq:Page", True),
        ("cq:PageContent", True),
        ("sling:OrderedFolder", True),
        ("rep:system", True),
        ("sling:Folder", False),
        ("nt:folder", False),
        ("oak:Unstructured", False),
        ("oak:QueryIndexDefinition", False),
    ],
)
def test_orderable_builtins(registry: NodeTypeRegistry, name: str, orderable: bool) -> None:
    assert registry.effective(name).orderable is orderable


def test_nt_resource_is_referenceable_and_oak_resource_is_not(registry: NodeTypeRegistry) -> None:
    assert registry.effective("nt:resource").includes("mix:referenceable")
    assert not registry.effective("oak:Resource").includes("mix:referenceable")
    assert registry.effective("oak:Resource").primary_item == "jcr:data"


def test_root_requires_the_system_node(registry: NodeTypeRegistry) -> None:
    root = registry.effective("rep:root")
    assert [c.name for c in root.mandatory_children] == ["jcr:system"]
    assert root.child_definition("jcr:system", None)[1] == "rep:system"
    system = registry.effective("rep:system")
    assert {c.name for c in system.autocreated_children} == {"jcr:nodeTypes", "jcr:versionStorage"}
    assert system.is_protected_child("jcr:nodeTypes")


def test_simple_versionable_defaults_to_checked_out(registry: NodeTypeRegistry) -> None:
    (prop,) = registry.get("mix:simpleVersionable").properties
    assert prop.default_values == (True,)


def test_poll_config_requires_a_source(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("cq:PollConfigFolder")
    assert [p.name for p in eff.mandatory_properties] == ["jcr:primaryType", "source"]
    assert eff.property_definition("enabled", PropertyType.BOOLEAN, False) is not None


def test_builtins_cannot_be_changed_or_removed(registry: NodeTypeRegistry) -> None:
    with pytest.raises(InvalidNodeTypeDefinition, match="built-in"):
        registry.register([NodeType("nt:folder")], allow_update=True)
    with pytest.raises(InvalidNodeTypeDefinition, match="built-in"):
        registry.unregister("nt:folder")
    with pytest.raises(InvalidNodeTypeDefinition, match="already registered"):
        registry.register([registry.get("nt:folder")])


def test_registries_do_not_share_registrations() -> None:
    first, second = NodeTypeRegistry(), NodeTypeRegistry()
    cnd(first, "[my:T]")
    assert first.has("my:T")
    assert not second.has("my:T")
    assert not second.namespaces.has_prefix("my")


# --- registration -----------------------------------------------------------------------------


def test_registered_types_are_returned_as_stored(registry: NodeTypeRegistry) -> None:
    (node_type,) = registry.register(
        [
            NodeType(
                "{http://www.jcp.org/jcr/mix/1.0}thing",
                supertypes=("nt:folder",),
                properties=(PropertyDefinition("p", PropertyType.LONG),),
                children=(ChildNodeDefinition("c", ("{http://www.jcp.org/jcr/nt/1.0}base",)),),
            )
        ]
    )
    assert node_type.name == "mix:thing"
    assert node_type.properties[0].declaring_type == "mix:thing"
    assert node_type.children[0].required_types == ("nt:base",)
    assert registry.get("mix:thing") == node_type
    assert registry.is_subtype("mix:thing", "nt:hierarchyNode")


def test_types_of_one_batch_may_refer_to_each_other_in_any_order(
    registry: NodeTypeRegistry,
) -> None:
    types = cnd(registry, "[my:A] > my:B + c (my:C) = my:C\n[my:B]\n[my:C] > my:B")
    assert [t.name for t in types] == ["my:A", "my:B", "my:C"]
    assert registry.is_subtype("my:A", "my:B")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[my:A] > my:Nothing", "unknown supertype 'my:Nothing'"),
        ("[my:A] + c (my:Nothing)", "unknown required primary type"),
        ("[my:A] + c = my:Nothing", "unknown default primary type"),
        ("[my:A] > my:A", "cycle my:A > my:A"),
        ("[my:A] > my:B\n[my:B] > my:C\n[my:C] > my:A", "cycle"),
        ("[my:M] > nt:folder mixin", "mixin cannot have the primary type 'nt:folder'"),
        ("[my:A] - my:p (STRING) autocreated", "autocreated property 'my:p' has no default"),
        ("[my:A] - * (STRING) mandatory", "residual"),
        ("[my:A] - * (STRING) = 'x' autocreated", "residual"),
        ("[my:A] + * = nt:unstructured mandatory", "residual"),
        ("[my:A] + c autocreated", "autocreated child node 'c' has no default type"),
        ("[my:A] + c = nt:hierarchyNode autocreated", "abstract default"),
        ("[my:A] + c (nt:folder) = nt:unstructured", "is not a nt:folder"),
        ("[my:A] + c = mix:title", "is a mixin"),
        ("[my:A] - p (LONG) - p (STRING)", "defined twice"),
        ("[my:A] + c + c", "defined twice"),
        ("[my:A] - p (STRING) < '(unclosed'", "invalid String constraint"),
        ("[my:A] - p (LONG) < '0..10'", "invalid Long constraint"),
        ("[my:A] - p (LONG) = '11' < '[0,10]'", "does not satisfy"),
        ("[my:A] > nt:folder - jcr:created (STRING)", "conflict"),
        ("[my:A] > mix:title, my:B\n[my:B] mixin - jcr:title (STRING) mandatory", "conflict"),
        ("[nt:folder]", "built-in node types cannot be changed"),
        ("[my:A]\n[my:A]", "defined twice"),
    ],
)
def test_invalid_definitions_are_refused(
    registry: NodeTypeRegistry, text: str, fragment: str
) -> None:
    invalid(registry, text, fragment)


def test_mixin_with_primary_supertype_is_refused(registry: NodeTypeRegistry) -> None:
    with pytest.raises(InvalidNodeTypeDefinition, match="mixin"):
        registry.register([NodeType("my", mixin=True, supertypes=("nt:unstructured",))])


def test_primary_type_may_extend_mixins(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:A] > mix:title, mix:created")
    assert registry.effective("my:A").includes("mix:created")


@pytest.mark.parametrize("name", ["jcr:created", "jcr:lastModifiedBy", "jcr:uuid"])
def test_autocreated_properties_the_repository_supplies_need_no_default(
    registry: NodeTypeRegistry, name: str
) -> None:
    cnd(registry, f"[my:A] - {name} (STRING) autocreated")


def test_autocreated_property_with_a_default_is_accepted(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:A] - my:state (STRING) = 'new' autocreated")
    state, primary_type = registry.effective("my:A").autocreated_properties
    assert state.default_values == ("new",)
    assert primary_type.name == "jcr:primaryType"


def test_a_failed_batch_registers_nothing(registry: NodeTypeRegistry) -> None:
    before = len(registry.all())
    invalid(registry, "[my:Good]\n[my:Bad] > my:Missing", "unknown supertype")
    assert len(registry.all()) == before
    assert not registry.has("my:Good")


def test_reregistering_needs_allow_update(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:A] - my:p (STRING)")
    invalid(registry, "[my:A] - my:p (LONG)", "already registered")
    eff = registry.effective("my:A")
    assert eff.property_definition("my:p", PropertyType.STRING, False) is not None
    registry.register_cnd("[my:A] - my:p (LONG)", allow_update=True)
    updated = registry.effective("my:A")
    assert updated is not eff
    found = updated.property_definition("my:p", PropertyType.STRING, False)
    assert found is not None
    assert found[1] is PropertyType.LONG


def test_an_update_that_breaks_another_type_is_refused(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:M] mixin\n[my:N] > my:M mixin\n[my:P] > my:Q\n[my:Q]")
    with pytest.raises(InvalidNodeTypeDefinition, match="mixin cannot have"):
        registry.register_cnd("[my:M]", allow_update=True)
    with pytest.raises(InvalidNodeTypeDefinition, match="cycle"):
        registry.register_cnd("[my:Q] > my:P", allow_update=True)
    assert registry.get("my:M").mixin


def test_invalid_names_are_refused(registry: NodeTypeRegistry) -> None:
    with pytest.raises(InvalidNodeTypeDefinition, match="prefix"):
        registry.register([NodeType("no:such")])
    with pytest.raises(InvalidNodeTypeDefinition):
        registry.register(
            [NodeType("ok", properties=(PropertyDefinition("a/b", PropertyType.STRING),))]
        )


def test_default_values_must_have_the_required_type(registry: NodeTypeRegistry) -> None:
    bad = PropertyDefinition("p", PropertyType.LONG, default_values=(True,))
    with pytest.raises(InvalidNodeTypeDefinition, match="not a Long"):
        registry.register([NodeType("my", properties=(bad,))])


def test_unregister_removes_an_unused_type(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:A]")
    registry.effective("my:A")
    registry.unregister("my:A")
    assert not registry.has("my:A")
    with pytest.raises(NodeTypeNotFound):
        registry.effective("my:A")
    with pytest.raises(NodeTypeNotFound):
        registry.unregister("my:A")


@pytest.mark.parametrize(
    "user", ["[my:B] > my:A", "[my:B] + c (my:A)", "[my:B] + c = my:A", "[my:B] > my:A mixin"]
)
def test_types_other_types_depend_on_cannot_be_unregistered(
    registry: NodeTypeRegistry, user: str
) -> None:
    cnd(registry, "[my:A] mixin" if "mixin" in user else "[my:A]")
    cnd(registry, user)
    with pytest.raises(NodeTypeInUse):
        registry.unregister("my:A")


# --- subtypes and effective types -------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "of", "expected"),
    [
        ("nt:folder", "nt:folder", True),
        ("nt:folder", "nt:hierarchyNode", True),
        ("nt:folder", "nt:base", True),
        ("nt:folder", "mix:created", True),
        ("mix:title", "nt:base", False),
        ("mix:versionable", "mix:referenceable", True),
        ("nt:hierarchyNode", "nt:folder", False),
        ("nt:nothing", "nt:base", False),
        ("nt:base", "nt:base", True),
    ],
)
def test_is_subtype(registry: NodeTypeRegistry, type_name: str, of: str, expected: bool) -> None:
    assert registry.is_subtype(type_name, of) is expected


def test_effective_types_are_cached_by_sorted_mixins(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("nt:unstructured", ["mix:title", "mix:created"])
    assert registry.effective("nt:unstructured", ("mix:created", "mix:title", "mix:title")) is eff
    assert eff.mixins == ("mix:created", "mix:title")
    assert eff.type_names == {"nt:unstructured", "nt:base", "mix:created", "mix:title"}


def test_registration_clears_the_effective_type_cache(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("nt:unstructured")
    cnd(registry, "[my:A]")
    assert registry.effective("nt:unstructured") is not eff


@pytest.mark.parametrize(
    ("primary", "mixins", "error"),
    [
        ("nt:nothing", [], NodeTypeNotFound),
        ("nt:unstructured", ["mix:nothing"], NodeTypeNotFound),
        ("mix:title", [], ConstraintViolation),
        ("nt:unstructured", ["nt:folder"], ConstraintViolation),
    ],
)
def test_invalid_effective_types_are_refused(
    registry: NodeTypeRegistry, primary: str, mixins: list[str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        registry.effective(primary, mixins)


def test_conflicting_mixins_make_an_invalid_effective_type(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:Long] mixin - my:p (LONG)\n[my:Str] mixin - my:p (STRING)")
    with pytest.raises(ConstraintViolation, match="conflict"):
        registry.effective("nt:unstructured", ["my:Long", "my:Str"])


@pytest.mark.parametrize(
    "other", ["- my:p (LONG) multiple", "- my:p (LONG) protected", "- my:p (LONG) mandatory"]
)
def test_named_definitions_must_agree(registry: NodeTypeRegistry, other: str) -> None:
    cnd(registry, f"[my:A] mixin - my:p (LONG)\n[my:B] mixin {other}")
    with pytest.raises(ConstraintViolation):
        registry.effective("nt:unstructured", ["my:A", "my:B"])


def test_agreeing_named_and_residual_definitions_combine(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:A] mixin - my:p (LONG) - * (LONG)\n[my:B] mixin - my:p (LONG) - * (DATE)")
    eff = registry.effective("nt:unstructured", ["my:A", "my:B"])
    assert len(eff.property_definitions("my:p")) == 2 + 4
    assert len(eff.property_definitions("other")) == 4


def test_child_definitions_must_agree_on_required_types(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:A] mixin + c (nt:folder)\n[my:B] mixin + c (nt:file)")
    with pytest.raises(ConstraintViolation, match="child node definitions of 'c'"):
        registry.effective("nt:unstructured", ["my:A", "my:B"])


def test_a_mixin_makes_the_effective_type_orderable(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:Ordered] mixin orderable")
    assert not registry.effective("nt:folder").orderable
    assert registry.effective("nt:folder", ["my:Ordered"]).orderable


def test_mandatory_and_autocreated_items(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("nt:resource")
    assert [p.name for p in eff.mandatory_properties] == ["jcr:data", "jcr:uuid", "jcr:primaryType"]
    assert {p.name for p in eff.autocreated_properties} == {
        "jcr:primaryType",
        "jcr:lastModified",
        "jcr:lastModifiedBy",
        "jcr:uuid",
    }
    history = registry.effective("nt:versionHistory")
    assert [c.name for c in history.autocreated_children] == [
        "jcr:rootVersion",
        "jcr:versionLabels",
    ]
    assert [c.name for c in registry.effective("nt:file").mandatory_children] == ["jcr:content"]


def test_primary_item_is_inherited(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:File] > nt:file")
    assert registry.effective("my:File").primary_item == "jcr:content"


# --- choosing a property definition (spec §7.4) -----------------------------------------------


def test_a_named_definition_wins_over_residual_ones(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("nt:unstructured", ["mix:title"])
    found = eff.property_definition("jcr:title", PropertyType.STRING, False)
    assert found is not None
    assert found[0].declaring_type == "mix:title"


def test_a_named_definition_converts_before_a_residual_undefined(
    registry: NodeTypeRegistry,
) -> None:
    eff = registry.effective("nt:unstructured", ["mix:title"])
    assert eff.property_definition("jcr:title", PropertyType.LONG, False) == (
        registry.get("mix:title").properties[0],
        PropertyType.STRING,
    )


def test_multiplicity_must_match_so_a_residual_may_take_over(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("nt:unstructured", ["mix:title"])
    found = eff.property_definition("jcr:title", PropertyType.STRING, True)
    assert found is not None
    assert found[0].name == "*"
    assert found[0].multiple
    assert (
        registry.effective("mix:title" and "nt:folder").property_definition(
            "jcr:created", PropertyType.DATE, True
        )
        is None
    )


def test_an_undefined_definition_keeps_the_value_type(registry: NodeTypeRegistry) -> None:
    found = registry.effective("nt:unstructured").property_definition(
        "price", PropertyType.DECIMAL, False
    )
    assert found is not None
    assert found[1] is PropertyType.DECIMAL


def test_preference_is_exact_type_then_undefined_then_conversion(
    registry: NodeTypeRegistry,
) -> None:
    cnd(registry, "[my:A] - * (LONG) - * (UNDEFINED) - * (BOOLEAN)\n[my:B] - * (LONG)")
    eff = registry.effective("my:A")
    exact = eff.property_definition("x", PropertyType.LONG, False)
    assert exact is not None
    assert exact[0].required_type is PropertyType.LONG
    undefined = eff.property_definition("x", PropertyType.DOUBLE, False)
    assert undefined is not None
    assert undefined == (eff.property_definitions("x")[1], PropertyType.DOUBLE)
    converted = registry.effective("my:B").property_definition("x", PropertyType.STRING, False)
    assert converted is not None
    assert converted[1] is PropertyType.LONG


@pytest.mark.parametrize(
    ("value_type", "required", "fits"),
    [
        (PropertyType.STRING, PropertyType.DATE, True),
        (PropertyType.BINARY, PropertyType.LONG, True),
        (PropertyType.DOUBLE, PropertyType.DATE, True),
        (PropertyType.DATE, PropertyType.DECIMAL, True),
        (PropertyType.BOOLEAN, PropertyType.LONG, False),
        (PropertyType.LONG, PropertyType.BOOLEAN, False),
        (PropertyType.NAME, PropertyType.PATH, True),
        (PropertyType.PATH, PropertyType.URI, True),
        (PropertyType.URI, PropertyType.NAME, True),
        (PropertyType.LONG, PropertyType.NAME, False),
        (PropertyType.REFERENCE, PropertyType.WEAKREFERENCE, True),
        (PropertyType.STRING, PropertyType.REFERENCE, True),
        (PropertyType.NAME, PropertyType.REFERENCE, False),
        (PropertyType.DATE, PropertyType.BOOLEAN, False),
        (PropertyType.BOOLEAN, PropertyType.STRING, True),
    ],
)
def test_conversions_follow_the_table_of_spec_4_3(
    registry: NodeTypeRegistry, value_type: PropertyType, required: PropertyType, fits: bool
) -> None:
    cnd(registry, f"[my:A] - my:p ({required.name})")
    found = registry.effective("my:A").property_definition("my:p", value_type, False)
    assert (found is not None) is fits
    if found is not None:
        assert found[1] is required


def test_no_definition_means_none(registry: NodeTypeRegistry) -> None:
    assert (
        registry.effective("nt:folder").property_definition("x", PropertyType.STRING, False) is None
    )


def test_definition_choices_are_memoised(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("nt:unstructured")
    first = eff.property_definition("a", PropertyType.STRING, False)
    assert eff.property_definition("b", PropertyType.STRING, False) is first


def test_protection_follows_named_definitions_only(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("nt:unstructured", ["mix:referenceable"])
    assert eff.is_protected_property("jcr:uuid")
    assert eff.is_protected_property("jcr:primaryType")
    assert not eff.is_protected_property("title")
    assert registry.effective("nt:frozenNode").is_protected_property("anything") is False


# --- choosing a child definition (spec §7.5) --------------------------------------------------


@pytest.mark.parametrize(
    ("parent", "child", "expected"),
    [
        ("nt:unstructured", "a", "nt:unstructured"),
        ("oak:Unstructured", "a", "oak:Unstructured"),
        ("sling:Folder", "a", "sling:Folder"),
        ("sling:OrderedFolder", "a", "sling:OrderedFolder"),
        ("cq:Page", "jcr:content", "nt:unstructured"),
        ("rep:root", "jcr:system", "rep:system"),
        ("rep:root", "content", "nt:unstructured"),
        ("nt:unstructured", "jcr:content", "nt:unstructured"),
    ],
)
def test_the_default_type_is_used_without_an_explicit_one(
    registry: NodeTypeRegistry, parent: str, child: str, expected: str
) -> None:
    assert registry.effective(parent).child_definition(child, None)[1] == expected


@pytest.mark.parametrize(
    ("parent", "child", "primary_type"),
    [
        ("nt:folder", "a", "nt:file"),
        ("nt:folder", "a", "sling:OrderedFolder"),
        ("sling:Folder", "a", "nt:unstructured"),
        ("nt:file", "jcr:content", "nt:resource"),
        ("cq:Page", "child", "cq:Page"),
        ("nt:unstructured", "a", "rep:User"),
    ],
)
def test_an_explicit_type_must_fit_a_definition(
    registry: NodeTypeRegistry, parent: str, child: str, primary_type: str
) -> None:
    definition, chosen = registry.effective(parent).child_definition(child, primary_type)
    assert chosen == primary_type
    assert all(registry.is_subtype(primary_type, r) for r in definition.required_types)


@pytest.mark.parametrize(
    ("parent", "child", "primary_type", "fragment"),
    [
        ("nt:folder", "a", "nt:unstructured", "allows 'a' of type nt:unstructured"),
        ("nt:folder", "a", "nt:hierarchyNode", "abstract"),
        ("nt:unstructured", "a", "mix:title", "mixin"),
        ("nt:folder", "a", None, "no definition has a default"),
        ("nt:file", "jcr:content", None, "no definition has a default"),
        ("nt:file", "other", "nt:unstructured", "allows 'other'"),
        ("cq:Page", "child", None, "default type nt:base is abstract"),
        ("mix:title" and "nt:resource", "a", None, "allows no such child"),
    ],
)
def test_a_child_no_definition_fits_is_refused(
    registry: NodeTypeRegistry, parent: str, child: str, primary_type: str | None, fragment: str
) -> None:
    with pytest.raises(ConstraintViolation, match=fragment) as info:
        registry.effective(parent).child_definition(child, primary_type)
    assert info.value.details["child"] == child


def test_an_unknown_child_type_is_not_found(registry: NodeTypeRegistry) -> None:
    with pytest.raises(NodeTypeNotFound):
        registry.effective("nt:unstructured").child_definition("a", "nt:nothing")


def test_every_required_type_must_be_a_supertype(registry: NodeTypeRegistry) -> None:
    cnd(
        registry,
        "[my:A] + c (nt:hierarchyNode, mix:title)\n[my:TitledFolder] > nt:folder, mix:title",
    )
    eff = registry.effective("my:A")
    with pytest.raises(ConstraintViolation):
        eff.child_definition("c", "nt:folder")
    assert eff.child_definition("c", "my:TitledFolder")[0].name == "c"


def test_named_child_definitions_come_before_residual_ones(registry: NodeTypeRegistry) -> None:
    cnd(registry, "[my:A] > nt:unstructured + special (nt:folder) protected")
    eff = registry.effective("my:A")
    assert eff.child_definition("special", "nt:folder")[0].name == "special"
    assert eff.is_protected_child("special")
    assert not eff.is_protected_child("other")
    assert eff.child_definition("other", "nt:folder")[0].name == "*"


# --- primary and mixin checks, JSON -----------------------------------------------------------


def test_check_primary(registry: NodeTypeRegistry) -> None:
    assert registry.check_primary("nt:folder").name == "nt:folder"
    for name in ("nt:base", "nt:hierarchyNode", "mix:title"):
        with pytest.raises(ConstraintViolation):
            registry.check_primary(name)
    with pytest.raises(NodeTypeNotFound):
        registry.check_primary("nt:nothing")


def test_check_mixin(registry: NodeTypeRegistry) -> None:
    assert registry.check_mixin("mix:title").mixin
    for name in ("nt:folder", "mix:nothing"):
        with pytest.raises(ConstraintViolation):
            registry.check_mixin(name)


def test_to_json_describes_a_type(registry: NodeTypeRegistry) -> None:
    described = registry.to_json("nt:file")
    assert described["name"] == "nt:file"
    assert described["supertypes"] == ["nt:hierarchyNode"]
    assert described["allSupertypes"] == ["nt:hierarchyNode", "mix:created", "nt:base"]
    assert described["primaryItem"] == "jcr:content"
    assert described["builtin"] is True
    assert described["properties"] == []
    assert described["children"] == [
        {
            "name": "jcr:content",
            "requiredPrimaryTypes": ["nt:base"],
            "defaultPrimaryType": None,
            "mandatory": True,
            "autoCreated": False,
            "protected": False,
            "sameNameSiblings": False,
            "onParentVersion": "COPY",
            "declaringType": "nt:file",
        }
    ]
    (checked_out,) = registry.to_json("mix:simpleVersionable")["properties"]
    assert checked_out["requiredType"] == "BOOLEAN"
    assert checked_out["defaultValues"] == ["true"]
    assert json.loads(json.dumps(registry.to_json("cq:PageContent")))["orderable"] is True


# --- value constraints (spec §7.8) ------------------------------------------------------------


def constrained(type_: PropertyType, *constraints: str) -> PropertyDefinition:
    return PropertyDefinition("my:p", type_, multiple=True, constraints=constraints)


def at(text: str) -> datetime:
    return parse_iso_date(text)


@pytest.mark.parametrize(
    ("type_", "constraints", "good", "bad"),
    [
        (PropertyType.STRING, ["[a-z]+"], ["abc"], ["abc1", "", "ABC"]),
        (PropertyType.STRING, ["red", "gr(e|a)y"], ["red", "grey", "gray"], ["reddish"]),
        (PropertyType.URI, ["https://.*"], ["https://x.org/a"], ["http://x.org"]),
        (PropertyType.LONG, ["[0,10)"], [0, 9], [10, -1]),
        (PropertyType.LONG, ["(,5]"], [5, -(2**63)], [6]),
        (PropertyType.LONG, ["(0,)"], [1, 2**63 - 1], [0]),
        (PropertyType.LONG, ["[1,1]", "[5, 7]"], [1, 5, 7], [2, 8]),
        (PropertyType.DOUBLE, ["[0.5, 1.5]"], [0.5, 1.5, 1.0], [0.49, 1.51, float("nan")]),
        (PropertyType.DECIMAL, ["(0, 100.00]"], [Decimal("0.01"), Decimal(100)], [Decimal(0)]),
        (
            PropertyType.DATE,
            ["[2024-01-01T00:00:00.000Z,)"],
            [at("2023-12-31T23:30:00.000-01:00"), at("2024-01-01T00:00:00.000Z")],
            [at("2024-01-01T00:30:00.000+01:00")],
        ),
        (
            PropertyType.BINARY,
            ["[0,3]"],
            [Binary.of(b""), Binary.of(b"abc"), Binary("0" * 64, 2)],
            [Binary.of(b"abcd")],
        ),
        (PropertyType.BOOLEAN, ["true"], [True], [False]),
        (PropertyType.BOOLEAN, ["FALSE"], [False], [True]),
        (PropertyType.NAME, ["nt:file", "nt:folder"], ["nt:file"], ["nt:files", "nt:base"]),
        (
            PropertyType.PATH,
            ["/content/*"],
            ["/content/a", "/content/a/b"],
            ["/content", "/contentx/a"],
        ),
        (PropertyType.PATH, ["/etc", "/apps/*"], ["/etc", "/apps/x"], ["/etc/x", "/apps"]),
        (PropertyType.PATH, ["/*"], ["/a"], ["/"]),
        (PropertyType.PATH, ["a/b"], ["a/b"], ["a/b/c", "/a/b"]),
    ],
)
def test_value_constraints_of_every_kind(
    type_: PropertyType, constraints: list[str], good: list[Value], bad: list[Value]
) -> None:
    defn = constrained(type_, *constraints)
    check_constraints(defn, Property.multi(type_, good))
    for value in bad:
        with pytest.raises(ConstraintViolation) as info:
            check_constraints(defn, Property.multi(type_, [*good, value]))
        assert info.value.details["property"] == "my:p"


def test_a_property_without_constraints_takes_any_value() -> None:
    check_constraints(constrained(PropertyType.LONG), Property.single(PropertyType.LONG, -5))


def test_an_empty_multi_valued_property_meets_any_constraint() -> None:
    check_constraints(
        constrained(PropertyType.LONG, "[1,2]"), Property.multi(PropertyType.LONG, [])
    )


def test_an_undefined_definition_reads_constraints_for_the_value_type() -> None:
    defn = constrained(PropertyType.UNDEFINED, "[0,5]")
    check_constraints(defn, Property.single(PropertyType.LONG, 3))
    with pytest.raises(ConstraintViolation):
        check_constraints(defn, Property.single(PropertyType.LONG, 6))


def test_the_violation_names_the_property_and_the_value() -> None:
    defn = PropertyDefinition("*", PropertyType.STRING, constraints=("[a-z]+",))
    with pytest.raises(ConstraintViolation, match="value 'Bad' of property 'title'") as info:
        check_constraints(defn, Property.single(PropertyType.STRING, "Bad"), name="title")
    assert info.value.details == {"property": "title", "value": "Bad", "constraints": ["[a-z]+"]}


@pytest.mark.parametrize("type_", [PropertyType.REFERENCE, PropertyType.WEAKREFERENCE])
def test_reference_constraints_check_the_target_type(type_: PropertyType) -> None:
    targets = {"u1": ["nt:version", "mix:referenceable", "nt:base"], "u2": ["nt:unstructured"]}

    def resolve(identifier: str) -> list[str]:
        return targets.get(identifier, [])

    defn = constrained(type_, "nt:version", "nt:versionHistory")
    check_constraints(defn, Property.multi(type_, ["u1", "missing"]), resolve)
    with pytest.raises(ConstraintViolation, match="u2"):
        check_constraints(defn, Property.multi(type_, ["u1", "u2"]), resolve)
    check_constraints(defn, Property.multi(type_, ["u2"]))  # no resolver: not checked


@pytest.mark.parametrize(
    ("type_", "constraint"),
    [
        (PropertyType.STRING, "("),
        (PropertyType.LONG, "[a,b]"),
        (PropertyType.LONG, "5"),
        (PropertyType.DATE, "[yesterday,)"),
        (PropertyType.BOOLEAN, "yes"),
        (PropertyType.PATH, "/a/../../b"),
        (PropertyType.DOUBLE, "[0,inf]"),
    ],
)
def test_malformed_constraints_are_invalid_definitions(
    type_: PropertyType, constraint: str
) -> None:
    with pytest.raises(InvalidNodeTypeDefinition, match="constraint"):
        validate_constraints(constrained(type_, constraint))


def test_builtin_reference_constraints_name_version_types(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("nt:unstructured", ["mix:versionable"])
    found = eff.property_definition("jcr:baseVersion", PropertyType.REFERENCE, False)
    assert found is not None
    assert found[0].constraints == ("nt:version",)


def test_undefined_definitions_may_carry_constraints_for_any_type(
    registry: NodeTypeRegistry,
) -> None:
    (node_type,) = cnd(registry, "[my:A] - my:p (UNDEFINED) < '(,5]'")
    defn = node_type.properties[0]
    check_constraints(defn, Property.single(PropertyType.DOUBLE, 4.5))
    with pytest.raises(ConstraintViolation):
        check_constraints(defn, Property.single(PropertyType.LONG, 6))


def test_mixins_may_be_any_iterable(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("nt:unstructured", iter(["mix:title"]))
    assert registry.effective("nt:unstructured", ["mix:title"]) is eff
    assert registry.effective("nt:unstructured", iter([])) is registry.effective("nt:unstructured")


@pytest.mark.parametrize(
    ("primary", "mixins", "takes_all"),
    [
        ("nt:unstructured", [], True),
        ("nt:unstructured", ["mix:title"], True),
        ("nt:folder", [], False),
        ("nt:resource", [], False),
    ],
)
def test_an_effective_type_knows_whether_it_takes_any_unnamed_property_as_it_is(
    registry: NodeTypeRegistry, primary: str, mixins: list[str], takes_all: bool
) -> None:
    eff = registry.effective(primary, mixins)
    assert eff.residual_takes_all is takes_all
    assert "jcr:primaryType" in eff.named_properties
    assert ("jcr:title" in eff.named_properties) is ("mix:title" in mixins)


def test_an_effective_type_names_the_children_its_definitions_name(
    registry: NodeTypeRegistry,
) -> None:
    # Bulk loads look a residual child's definition up once per type: only named ones vary.
    assert registry.effective("nt:unstructured").named_children == frozenset()
    assert registry.effective("nt:file").named_children == {"jcr:content"}
    assert "jcr:content" in registry.effective("cq:Page").named_children
