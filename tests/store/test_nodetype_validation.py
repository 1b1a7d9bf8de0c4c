"""Node types at save (spec §7.6-§7.11): mandatory, protected, auto-created, child types,
residual definitions, mixins and primary type changes. Every failure leaves the store unchanged."""

from __future__ import annotations

from datetime import datetime

import pytest

from repo_server.errors import (
    ConstraintViolation,
    InvalidValue,
    NodeTypeNotFound,
    ProtectedItem,
)
from repo_server.model.values import Property, PropertyType
from repo_server.session.session import ContentSession, Repository
from repo_server.store.sqlite import SQLiteNodeStore

T = PropertyType


async def refused(session: ContentSession, match: str) -> None:
    head = session.store.head
    with pytest.raises(ConstraintViolation, match=match):
        await session.save()
    assert session.store.head == head


# --- mandatory --------------------------------------------------------------------------------


async def test_a_missing_mandatory_property_fails_the_save_naming_it(
    session: ContentSession,
) -> None:
    await session.add_node("/poll", mixins=["cq:PollConfig"], properties={"interval": 60})
    await refused(session, "mandatory property source of /poll")
    await session.set_property("/poll", "source", "engine:catalog")
    await session.save()


async def test_a_missing_mandatory_child_fails_the_save_naming_it(
    session: ContentSession,
) -> None:
    await session.add_node("/f", "nt:file")
    await refused(session, "mandatory child node jcr:content of /f")


async def test_a_mandatory_property_cannot_be_removed(session: ContentSession) -> None:
    await session.add_node("/f", "nt:file")
    await session.add_node("/f/jcr:content", "nt:resource", properties={"jcr:data": b"x"})
    await session.save()
    await session.remove_property("/f/jcr:content", "jcr:data")
    await refused(session, "jcr:data")


# --- protected --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["jcr:uuid", "jcr:created", "jcr:createdBy", "jcr:primaryType", "jcr:mixinTypes"]
)
async def test_protected_properties_cannot_be_set_by_clients(
    session: ContentSession, name: str
) -> None:
    await session.add_node("/n", "nt:folder", mixins=["mix:referenceable"])
    await session.save()
    with pytest.raises(ProtectedItem, match=name):
        await session.set_property("/n", name, "x")
    with pytest.raises(ProtectedItem, match=name):
        await session.remove_property("/n", name)
    with pytest.raises(ProtectedItem, match=name):
        await session.add_node("/other", properties={name: "x"})
    assert not session.has_pending_changes


async def test_is_checked_out_is_protected_on_versionable_nodes(session: ContentSession) -> None:
    await session.add_node("/v", mixins=["mix:simpleVersionable"])
    await session.save()
    assert (await session.node("/v")).properties["jcr:isCheckedOut"].value is True
    with pytest.raises(ProtectedItem, match="jcr:isCheckedOut"):
        await session.set_property("/v", "jcr:isCheckedOut", False)


@pytest.mark.parametrize(
    "name", ["jcr:lastModified", "jcr:lastModifiedBy", "jcr:title", "jcr:mimeType"]
)
async def test_mixin_properties_oak_leaves_unprotected_can_be_set(
    session: ContentSession, name: str
) -> None:
    await session.add_node("/n", mixins=["mix:lastModified", "mix:title", "mix:mimeType"])
    await session.save()
    value = (
        datetime.fromisoformat("2020-01-02T03:04:05+00:00") if name == "jcr:lastModified" else "x"
    )
    await session.set_property("/n", name, value)
    await session.save()


async def test_content_under_jcr_system_is_protected(session: ContentSession) -> None:
    with pytest.raises(ConstraintViolation, match="/jcr:system"):
        await session.add_node("/jcr:system/mine")
    with pytest.raises(ConstraintViolation, match="/jcr:system"):
        await session.set_property("/jcr:system", "x", 1)


# --- auto-created -----------------------------------------------------------------------------


async def test_hierarchy_nodes_get_created_and_created_by(session: ContentSession) -> None:
    before = datetime.now().astimezone()
    await session.add_node("/folder", "nt:folder")
    await session.save()
    props = (await session.node("/folder")).properties
    assert props["jcr:createdBy"] == Property(T.STRING, False, ("admin",))
    created = props["jcr:created"]
    assert created.type is T.DATE
    assert isinstance(created.value, datetime)
    assert abs((created.value - before).total_seconds()) < 60
    assert created.value.microsecond % 1000 == 0


async def test_the_created_by_user_is_the_session_user(repository: Repository) -> None:
    alice = repository.session("alice")
    await alice.add_node("/folder", "nt:folder")
    await alice.save()
    assert (await alice.node("/folder")).properties["jcr:createdBy"].value == "alice"


async def test_auto_created_values_are_not_overwritten_by_later_saves(
    session: ContentSession,
) -> None:
    await session.add_node("/folder", "nt:folder", mixins=["mix:referenceable"])
    await session.save()
    first = (await session.node("/folder")).properties
    await session.add_node("/folder/sub", "nt:folder")
    await session.save()
    again = (await session.node("/folder")).properties
    assert again["jcr:created"] == first["jcr:created"]
    assert again["jcr:uuid"] == first["jcr:uuid"]


async def test_adding_mixins_creates_their_items_at_once(session: ContentSession) -> None:
    await session.add_node("/n")
    await session.save()
    await session.add_mixin("/n", "mix:referenceable")
    await session.add_mixin("/n", "mix:lastModified")
    await session.add_mixin("/n", "mix:created")
    node = await session.node("/n")
    assert node.mixins == ("mix:referenceable", "mix:lastModified", "mix:created")
    assert {"jcr:uuid", "jcr:lastModified", "jcr:lastModifiedBy", "jcr:created"} <= set(
        node.properties
    )
    await session.save()
    stored = await session.repository.session("x").node("/n")
    assert stored.uuid == node.uuid
    assert stored.properties["jcr:lastModifiedBy"].value == "admin"


async def test_auto_created_child_nodes_get_their_default_type(
    repository: Repository, session: ContentSession
) -> None:
    await repository.register_node_types(
        "<test = 'http://test.example/1.0'>\n"
        "[test:Holder] > nt:base\n"
        "  + settings (nt:unstructured) = nt:unstructured autocreated\n"
        "  - * (UNDEFINED)\n"
    )
    await session.add_node("/h", "test:Holder")
    await session.save()
    assert (await session.node("/h/settings")).primary_type == "nt:unstructured"


# --- child node types and residual definitions ------------------------------------------------


async def test_a_folder_allows_only_hierarchy_nodes(session: ContentSession) -> None:
    await session.add_node("/folder", "nt:folder")
    await session.save()
    with pytest.raises(ConstraintViolation, match="nt:unstructured"):
        await session.add_node("/folder/x", "nt:unstructured")
    await session.add_node("/folder/ok", "nt:folder")
    await session.save()


async def test_a_file_allows_only_its_jcr_content_child(session: ContentSession) -> None:
    await session.add_node("/f", "nt:file")
    await session.add_node("/f/jcr:content", "nt:resource", properties={"jcr:data": b"x"})
    await session.save()
    with pytest.raises(ConstraintViolation):
        await session.add_node("/f/other", "nt:unstructured")


async def test_abstract_or_mixin_types_cannot_be_primary(session: ContentSession) -> None:
    with pytest.raises(ConstraintViolation):
        await session.add_node("/a", "nt:hierarchyNode")
    with pytest.raises(ConstraintViolation):
        await session.add_node("/b", "mix:title")
    with pytest.raises(NodeTypeNotFound, match="nt:nope"):
        await session.add_node("/c", "nt:nope")
    assert not session.has_pending_changes


async def test_page_children_need_an_explicit_type_and_jcr_content_defaults(
    session: ContentSession,
) -> None:
    await session.add_node("/page", "cq:Page")
    await session.add_node("/page/jcr:content")
    await session.save()
    assert (await session.node("/page/jcr:content")).primary_type == "nt:unstructured"
    with pytest.raises(ConstraintViolation):
        await session.add_node("/page/child")
    await session.add_node("/page/child", "cq:Page")
    await session.save()


async def test_residual_definitions_accept_any_property(session: ContentSession) -> None:
    await session.add_node("/u", properties={"any": 1, "thing": ["a"], "at": 2.5})
    await session.add_node("/sf", "sling:Folder", properties={"any": True})
    await session.save()


async def test_a_type_without_residual_definitions_refuses_unknown_properties(
    session: ContentSession,
) -> None:
    await session.add_node("/folder", "nt:folder")
    await session.save()
    await session.set_property("/folder", "color", "red")
    await refused(session, "color")


async def test_values_convert_to_the_type_the_definition_requires(
    session: ContentSession,
) -> None:
    await session.add_node("/poll", mixins=["cq:PollConfig"], properties={"source": "s"})
    await session.save()
    await session.add_node("/res", "nt:resource", properties={"jcr:data": "text"})
    await session.save()
    assert (await session.node("/res")).properties["jcr:data"].type is T.BINARY


async def test_a_value_that_cannot_convert_to_the_required_type_fails(
    session: ContentSession,
) -> None:
    await session.add_node("/res", "nt:resource", properties={"jcr:data": b"x"})
    await session.save()
    await session.set_property("/res", "jcr:lastModified", "not a date")
    await refused(session, "jcr:lastModified")


async def test_value_constraints_are_checked_at_save(
    repository: Repository, session: ContentSession
) -> None:
    await repository.register_node_types(
        "<test = 'http://test.example/1.0'>\n"
        "[test:Rated] > nt:base\n"
        "  - rating (LONG) < '[0,5]'\n"
        "  - code (STRING) < '[A-Z]{3}'\n"
    )
    await session.add_node("/r", "test:Rated", properties={"rating": 3, "code": "ABC"})
    await session.save()
    await session.set_property("/r", "rating", 7)
    await refused(session, "rating|7")
    await session.refresh()
    await session.set_property("/r", "code", "abc")
    await refused(session, "code|abc")


async def test_node_types_registered_at_run_time_survive_a_reopen(
    repository: Repository, session: ContentSession
) -> None:
    await repository.register_node_types(
        "<test = 'http://test.example/1.0'>\n[test:Thing] > nt:unstructured\n"
    )
    await session.add_node("/thing", "test:Thing")
    await session.save()
    path = repository.store.path
    await repository.close()
    again = Repository(SQLiteNodeStore(path))
    await again.open()
    try:
        fresh = again.session("admin")
        assert (await fresh.node("/thing")).primary_type == "test:Thing"
        await fresh.add_node("/thing2", "test:Thing")
        await fresh.save()
    finally:
        await again.close()
    await repository.open()


# --- mixins -----------------------------------------------------------------------------------


async def test_only_registered_mixins_can_be_added(session: ContentSession) -> None:
    await session.add_node("/n")
    await session.save()
    with pytest.raises(ConstraintViolation, match="nt:folder"):
        await session.add_mixin("/n", "nt:folder")
    with pytest.raises((NodeTypeNotFound, ConstraintViolation), match="mix:nope"):
        await session.add_mixin("/n", "mix:nope")


async def test_adding_a_mixin_the_type_already_has_has_no_effect(
    session: ContentSession,
) -> None:
    await session.add_node("/folder", "nt:folder")
    await session.save()
    await session.add_mixin("/folder", "mix:created")  # inherited through nt:hierarchyNode
    assert not session.has_pending_changes
    await session.add_mixin("/folder", "mix:title")
    await session.add_mixin("/folder", "mix:title")
    await session.save()
    assert (await session.node("/folder")).mixins == ("mix:title",)


async def test_a_mixin_with_a_mandatory_property_fails_until_it_is_set(
    session: ContentSession,
) -> None:
    await session.add_node("/n")
    await session.save()
    await session.add_mixin("/n", "cq:PollConfig")
    await refused(session, "source")


async def test_only_listed_mixins_can_be_removed(session: ContentSession) -> None:
    await session.add_node("/folder", "nt:folder")
    await session.save()
    with pytest.raises(InvalidValue, match="mix:created"):
        await session.remove_mixin("/folder", "mix:created")
    with pytest.raises(InvalidValue, match="mix:title"):
        await session.remove_mixin("/folder", "mix:title")


async def test_removing_a_mixin_whose_items_are_still_used_fails(
    session: ContentSession,
) -> None:
    await session.add_node("/folder", "nt:folder", mixins=["mix:title"])
    await session.set_property("/folder", "jcr:title", "Title")
    await session.save()
    await session.remove_mixin("/folder", "mix:title")
    await refused(session, "jcr:title")
    await session.refresh()
    await session.remove_property("/folder", "jcr:title")
    await session.remove_mixin("/folder", "mix:title")
    await session.save()
    assert (await session.node("/folder")).mixins == ()


async def test_removing_mix_created_from_a_node_drops_its_protected_items(
    session: ContentSession,
) -> None:
    await session.add_node("/n", mixins=["mix:created"])
    await session.save()
    await session.remove_mixin("/n", "mix:created")
    await session.save()
    props = (await session.node("/n")).properties
    assert "jcr:created" not in props
    assert "jcr:createdBy" not in props


# --- primary type changes ---------------------------------------------------------------------


async def test_changing_the_primary_type_adds_its_auto_created_items(
    session: ContentSession,
) -> None:
    await session.add_node("/n")
    await session.save()
    await session.set_primary_type("/n", "sling:Folder")
    await session.save()
    node = await session.node("/n")
    assert node.primary_type == "sling:Folder"
    assert "jcr:created" in node.properties


async def test_a_primary_type_under_which_items_are_invalid_is_refused(
    session: ContentSession,
) -> None:
    await session.add_node("/n", properties={"color": "red"})
    await session.save()
    await session.set_primary_type("/n", "nt:folder")
    await refused(session, "color")


async def test_a_primary_type_change_to_a_type_the_parent_refuses_fails(
    session: ContentSession,
) -> None:
    await session.add_node("/folder", "nt:folder")
    await session.add_node("/folder/sub", "nt:folder")
    await session.save()
    await session.set_primary_type("/folder/sub", "nt:unstructured")
    await refused(session, "nt:unstructured")


async def test_the_primary_type_cannot_become_abstract_or_a_mixin(
    session: ContentSession,
) -> None:
    await session.add_node("/n")
    await session.save()
    with pytest.raises(ConstraintViolation):
        await session.set_primary_type("/n", "nt:base")
    with pytest.raises(ConstraintViolation):
        await session.set_primary_type("/n", "mix:title")
    assert not session.has_pending_changes
