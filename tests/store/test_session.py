"""ContentSession: transient changes, add/remove/move/copy/rename, ordering, save, refresh."""

from __future__ import annotations

import sqlite3

import pytest

from repo_server.errors import (
    ConstraintViolation,
    InvalidPath,
    InvalidValue,
    MoveIntoDescendant,
    NodeExists,
    NodeNotFound,
    PropertyNotFound,
)
from repo_server.model.values import Property, PropertyType
from repo_server.session.session import ContentSession, NodeTree, Repository

T = PropertyType


async def make(session: ContentSession, *paths: str, primary: str = "nt:unstructured") -> None:
    for path in paths:
        await session.add_node(path, primary)
    await session.save()


def names(tree: NodeTree) -> dict[str, object]:
    return {c.node.name: names(c) for c in tree.children}


def store_rows(repository: Repository) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(repository.store.path)
    try:
        return list(conn.execute("SELECT id, path, sort_key, rev, props FROM node ORDER BY id"))
    finally:
        conn.close()


# --- adding and reading -----------------------------------------------------------------------


async def test_a_new_repository_has_the_root_and_jcr_system(session: ContentSession) -> None:
    root = await session.node("/")
    assert root.primary_type == "rep:root"
    system = await session.node("/jcr:system")
    assert system.primary_type == "rep:system"


async def test_added_nodes_are_visible_to_the_session_before_save_and_to_others_after(
    session: ContentSession, other: ContentSession
) -> None:
    await session.add_node("/a", "nt:unstructured", properties={"title": "A", "n": 3})
    assert (await session.node("/a")).properties["title"] == Property(T.STRING, False, ("A",))
    assert [c.kind for c in session.pending_changes()] == ["created"]
    assert await other.get_node("/a") is None
    result = await session.save()
    assert result.revision > 0
    assert not session.has_pending_changes
    node = await other.node("/a")
    assert node.properties["n"] == Property(T.LONG, False, (3,))
    assert node.id > 0


async def test_a_child_without_a_type_gets_the_default_type_of_its_parent(
    session: ContentSession,
) -> None:
    await session.add_node("/u")
    await session.add_node("/f", "sling:Folder")
    await session.add_node("/f/child")
    await session.save()
    assert (await session.node("/u")).primary_type == "nt:unstructured"
    assert (await session.node("/f/child")).primary_type == "sling:Folder"


async def test_adding_an_existing_node_fails(session: ContentSession) -> None:
    await make(session, "/a")
    with pytest.raises(NodeExists, match="/a"):
        await session.add_node("/a")
    assert not session.has_pending_changes


async def test_adding_under_a_missing_parent_fails_naming_the_parent(
    session: ContentSession,
) -> None:
    with pytest.raises(NodeNotFound, match="/missing"):
        await session.add_node("/missing/child")


async def test_a_property_and_a_child_cannot_share_a_name(session: ContentSession) -> None:
    await session.add_node("/a", properties={"x": "value"})
    await session.add_node("/a/kid")
    await session.save()
    with pytest.raises(NodeExists, match="x"):
        await session.add_node("/a/x")
    with pytest.raises(NodeExists, match="kid"):
        await session.set_property("/a", "kid", "value")
    assert not session.has_pending_changes


async def test_properties_are_set_changed_and_removed(session: ContentSession) -> None:
    await make(session, "/a")
    await session.set_property("/a", "s", "x")
    await session.set_property("/a", "multi", ["x"])
    await session.set_property("/a", "price", "12.50", T.DECIMAL)
    await session.save()
    assert (await session.get_property("/a/multi")).multiple
    assert (await session.get_property("/a/price")).type is T.DECIMAL
    await session.set_property("/a", "s", None)
    await session.remove_property("/a", "multi")
    await session.save()
    node = await session.node("/a")
    assert "s" not in node.properties
    assert "multi" not in node.properties
    with pytest.raises(PropertyNotFound, match="/a/s"):
        await session.get_property("/a/s")
    assert (await session.get_property("/a/jcr:primaryType")).value == "nt:unstructured"


async def test_an_invalid_value_is_refused_at_once(session: ContentSession) -> None:
    await make(session, "/a")
    with pytest.raises(InvalidValue, match="abc"):
        await session.set_property("/a", "n", "abc", T.LONG)
    with pytest.raises(InvalidPath):
        await session.add_node("/a/bad|name")
    assert not session.has_pending_changes


# --- remove, move, rename, copy ---------------------------------------------------------------


async def test_removing_a_node_removes_its_subtree(session: ContentSession) -> None:
    await make(session, "/a", "/a/b", "/a/b/c", "/ab")
    await session.remove("/a")
    assert await session.get_node("/a/b/c") is None
    await session.save()
    assert await session.get_node("/a/b") is None
    assert await session.get_node("/ab") is not None
    assert [p for _, p, *_ in store_rows(session.repository) if str(p).startswith("/a")] == ["/ab"]


async def test_the_root_cannot_be_removed_or_moved(session: ContentSession) -> None:
    with pytest.raises(InvalidPath, match="root"):
        await session.remove("/")
    with pytest.raises((InvalidPath, MoveIntoDescendant)):
        await session.move("/", "/x")


async def test_removing_a_missing_node_fails(session: ContentSession) -> None:
    with pytest.raises(NodeNotFound, match="/nope"):
        await session.remove("/nope")


async def test_a_move_takes_the_subtree_and_keeps_ids(session: ContentSession) -> None:
    await make(session, "/a", "/a/b", "/a/b/c", "/dest")
    before = {p: (await session.node(p)).id for p in ("/a", "/a/b", "/a/b/c")}
    await session.move("/a", "/dest/a")
    assert (await session.node("/dest/a/b/c")).path == "/dest/a/b/c"
    await session.save()
    assert await session.get_node("/a") is None
    after = {p: (await session.node("/dest" + p)).id for p in before}
    assert after == before


async def test_moving_a_node_into_its_own_subtree_is_refused(session: ContentSession) -> None:
    await make(session, "/a", "/a/b")
    with pytest.raises(MoveIntoDescendant, match="/a"):
        await session.move("/a", "/a/b/a")
    with pytest.raises(MoveIntoDescendant):
        await session.move("/a", "/a")
    assert not session.has_pending_changes


async def test_moving_onto_an_existing_node_or_under_a_missing_parent_fails(
    session: ContentSession,
) -> None:
    await make(session, "/a", "/b")
    with pytest.raises(NodeExists, match="/b"):
        await session.move("/a", "/b")
    with pytest.raises(NodeNotFound, match="/nope"):
        await session.move("/a", "/nope/a")


async def test_a_rename_keeps_the_id_and_children(session: ContentSession) -> None:
    await make(session, "/o", "/o/first", "/o/second", "/o/second/kid", "/o/third")
    node_id = (await session.node("/o/second")).id
    await session.rename("/o/second", "middle")
    await session.save()
    # Spec §6.1 says where new children go, not where a renamed one goes: only membership here.
    assert sorted(await session.child_names("/o")) == ["first", "middle", "third"]
    assert (await session.node("/o/middle")).id == node_id
    assert await session.exists("/o/middle/kid")
    assert await session.get_node("/o/second") is None


async def test_two_nodes_can_swap_places_in_one_save(session: ContentSession) -> None:
    await make(session, "/x", "/y")
    await session.set_property("/x", "was", "x")
    await session.save()
    await session.move("/x", "/tmp")
    await session.move("/y", "/x")
    await session.move("/tmp", "/y")
    await session.save()
    assert (await session.node("/y")).properties["was"].value == "x"
    assert "was" not in (await session.node("/x")).properties


async def test_a_move_then_a_remove_of_the_old_place_works(session: ContentSession) -> None:
    await make(session, "/a", "/a/keep", "/b")
    await session.move("/a/keep", "/b/keep")
    await session.remove("/a")
    await session.save()
    assert await session.exists("/b/keep")
    assert not await session.exists("/a")


async def test_a_copy_duplicates_the_subtree_with_new_ids(session: ContentSession) -> None:
    await session.add_node("/src", properties={"p": 1})
    await session.add_node("/src/kid", properties={"q": "x"})
    await session.save()
    await session.copy("/src", "/dst")
    await session.save()
    src, dst = await session.node("/src/kid"), await session.node("/dst/kid")
    assert dst.properties == src.properties
    assert dst.id != src.id
    assert (await session.node("/dst")).properties["p"].value == 1


async def test_copying_into_its_own_subtree_is_refused(session: ContentSession) -> None:
    await make(session, "/a")
    with pytest.raises(MoveIntoDescendant):
        await session.copy("/a", "/a/copy")


async def test_copying_onto_an_existing_node_fails(session: ContentSession) -> None:
    await make(session, "/a", "/b")
    with pytest.raises(NodeExists):
        await session.copy("/a", "/b")
    assert not session.has_pending_changes


# --- ordering ---------------------------------------------------------------------------------


async def test_new_children_of_an_orderable_parent_go_last(session: ContentSession) -> None:
    await make(session, "/o", "/o/c", "/o/a")
    await make(session, "/o/b")
    assert await session.child_names("/o") == ["c", "a", "b"]


async def test_order_before_moves_a_child_and_none_moves_it_last(
    session: ContentSession, other: ContentSession
) -> None:
    await make(session, "/o", "/o/a", "/o/b", "/o/c")
    await session.order_before("/o/c", "a")
    assert await session.child_names("/o") == ["c", "a", "b"]
    await session.save()
    assert await other.child_names("/o") == ["c", "a", "b"]
    await session.order_before("/o/c", None)
    await session.save()
    assert await other.child_names("/o") == ["a", "b", "c"]


async def test_order_before_an_unknown_sibling_fails(session: ContentSession) -> None:
    await make(session, "/o", "/o/a")
    with pytest.raises(NodeNotFound, match="nope"):
        await session.order_before("/o/a", "nope")


async def test_ordering_children_of_a_non_orderable_parent_is_refused(
    session: ContentSession,
) -> None:
    await session.add_node("/f", "sling:Folder")
    await session.add_node("/f/b", "sling:Folder")
    await session.add_node("/f/a", "sling:Folder")
    await session.save()
    assert await session.child_names("/f") == ["a", "b"]
    with pytest.raises(ConstraintViolation, match="orderable"):
        await session.order_before("/f/b", "a")
    assert await session.child_names("/f") == ["a", "b"]


async def test_children_of_a_non_orderable_parent_come_in_name_order(
    session: ContentSession,
) -> None:
    await session.add_node("/f", "sling:Folder")
    for name in ("zeta", "Alpha", "beta", "alpha"):
        await session.add_node(f"/f/{name}", "sling:Folder")
    await session.save()
    assert await session.child_names("/f") == ["Alpha", "alpha", "beta", "zeta"]


# --- save and refresh -------------------------------------------------------------------------


async def test_a_failing_save_writes_nothing_and_keeps_the_changes(
    session: ContentSession,
) -> None:
    await make(session, "/a")
    head = session.store.head
    rows = store_rows(session.repository)
    await session.add_node("/a/good")
    await session.set_property("/a", "p", "v")
    await session.add_node("/file", "nt:file")  # mandatory jcr:content missing
    with pytest.raises(ConstraintViolation, match="jcr:content"):
        await session.save()
    assert store_rows(session.repository) == rows
    assert session.store.head == head
    assert session.has_pending_changes
    await session.add_node("/file/jcr:content", "nt:resource", properties={"jcr:data": b"x"})
    await session.save()
    assert await session.exists("/a/good")


async def test_refresh_drops_the_transient_changes(session: ContentSession) -> None:
    await make(session, "/a")
    await session.add_node("/a/new")
    await session.set_property("/a", "p", 1)
    await session.refresh()
    assert not session.has_pending_changes
    assert await session.get_node("/a/new") is None
    assert "p" not in (await session.node("/a")).properties


async def test_refresh_keeping_changes_rebases_them_on_the_latest_state(
    session: ContentSession, other: ContentSession
) -> None:
    await make(session, "/a")
    await session.add_node("/a/mine")
    await other.add_node("/a/theirs")
    await other.save()
    await session.refresh(keep_changes=True)
    assert set(await session.child_names("/a")) == {"mine", "theirs"}
    assert session.has_pending_changes
    await session.save()
    assert await other.child_names("/a") == ["theirs", "mine"]


async def test_saving_nothing_is_a_no_op(session: ContentSession) -> None:
    head = session.store.head
    result = await session.save()
    assert result.revision == head
    assert result.changes == []


async def test_the_commit_reports_its_changes(session: ContentSession) -> None:
    await make(session, "/a", "/b")
    await session.add_node("/a/n")
    await session.set_property("/a", "p", "v")
    await session.move("/b", "/a/b")
    await session.remove("/a/n")
    result = await session.save()
    kinds = [(c.kind, c.path) for c in result.changes]
    assert kinds == [
        ("created", "/a/n"),
        ("modified", "/a/p"),
        ("moved", "/b"),
        ("deleted", "/a/n"),
    ]
    journal = await session.store.journal(result.revision - 1)
    assert [c.kind for c in journal[0].changes] == ["created", "modified", "moved", "deleted"]


# --- subtree renderings -----------------------------------------------------------------------


async def test_a_subtree_comes_in_child_order(session: ContentSession) -> None:
    await make(session, "/o", "/o/z", "/o/a", "/o/z/2", "/o/z/1", "/o/a/x")
    await session.order_before("/o/a", "z")
    await session.save()
    tree = await session.subtree("/o", None)
    assert list(names(tree)) == ["a", "z"]
    assert list(names(tree)["z"]) == ["2", "1"]  # type: ignore[call-overload]
    assert names(await session.subtree("/o", 1)) == {"a": {}, "z": {}}
    assert names(await session.subtree("/o", 0)) == {}


async def test_a_subtree_shows_transient_changes_in_child_order(
    session: ContentSession,
) -> None:
    await make(session, "/o", "/o/a", "/o/b", "/o/b/x")
    await session.add_node("/o/c")
    await session.add_node("/o/b/y")
    await session.order_before("/o/c", "a")
    await session.remove("/o/a")
    tree = await session.subtree("/o", None)
    assert names(tree) == {"c": {}, "b": {"x": {}, "y": {}}}
    await session.save()
    assert names(await session.subtree("/o", None)) == {"c": {}, "b": {"x": {}, "y": {}}}


async def test_a_subtree_of_a_missing_node_fails(session: ContentSession) -> None:
    with pytest.raises(NodeNotFound):
        await session.subtree("/nope", None)


async def test_a_commit_hook_that_fails_rolls_the_whole_save_back(
    session: ContentSession,
) -> None:
    await make(session, "/a")
    rows = store_rows(session.repository)
    head = session.store.head

    def hook(tree: object, writer: object) -> None:
        raise ConstraintViolation("hook says no")

    session.repository.commit_hooks.append(hook)
    await session.add_node("/a/b")
    await session.set_property("/a", "p", 1)
    with pytest.raises(ConstraintViolation, match="hook says no"):
        await session.save()
    assert store_rows(session.repository) == rows
    assert session.store.head == head
