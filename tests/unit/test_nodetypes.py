"""Node type registry: built-ins, registration rules, effective types, definition choice."""

from __future__ import annotations

import pytest

from repo_server.errors import ConstraintViolation, InvalidNodeTypeDefinition, NodeTypeNotFound
from repo_server.model.values import PropertyType
from repo_server.nodetypes import NodeTypeRegistry

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


def test_effective_type_of_page_content_includes_its_mixins(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("cq:PageContent")
    assert {"nt:base", "nt:unstructured", "mix:title", "cq:Taggable"} <= eff.type_names
    assert eff.orderable


def test_named_typed_definition_converts_a_string(registry: NodeTypeRegistry) -> None:
    eff = registry.effective("cq:PageContent")
    found = eff.property_definition("hideInNav", PropertyType.STRING, False)
    assert found is not None
    assert found[0].declaring_type == "cq:PageContent"
    assert found[1] is PropertyType.BOOLEAN


def test_child_of_page_needs_an_explicit_type(registry: NodeTypeRegistry) -> None:
    with pytest.raises(ConstraintViolation, match="child"):
        registry.effective("cq:Page").child_definition("child", None)


def test_autocreated_property_without_default_is_refused(registry: NodeTypeRegistry) -> None:
    with pytest.raises(InvalidNodeTypeDefinition, match="autocreated"):
        registry.register_cnd("[x:T] - x:p (STRING) autocreated".replace("x:", ""))
