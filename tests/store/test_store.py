"""SQLiteNodeStore: schema, batched reads, range scans, journal, observation, cache, atomicity."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest

from repo_server.config import Settings
from repo_server.errors import NodeExists, StoreUnavailable
from repo_server.model.values import pack
from repo_server.store.base import JournalEntry, StoreWriter
from repo_server.store.sqlite import SQLiteNodeStore

from .store_support import encoded_props, insert, insert_paths, string

# --- schema -----------------------------------------------------------------------------------


async def test_opening_creates_the_schema_in_wal_mode(store: SQLiteNodeStore) -> None:
    conn = sqlite3.connect(store.path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
    assert {"node", "node_mixin", "ref", "prop_index", "blob", "journal", "namespace"} <= tables
    assert {"node_type", "meta"} <= tables
    assert {"node_child", "node_uuid", "node_ptype", "ref_source"} <= indexes
    assert mode == "wal"


async def test_the_path_column_is_unique(store: SQLiteNodeStore) -> None:
    await insert(store, "/a")
    # The UNIQUE index is the check of record for bulk inserts: its failure names the path.
    with pytest.raises(NodeExists, match="/a") as caught:
        await insert(store, "/a")
    assert caught.value.details["path"] == "/a"
    assert await store.read(lambda r: r.count_children(1)) == 1


async def test_a_store_with_a_newer_schema_version_is_refused(settings: Settings) -> None:
    first = SQLiteNodeStore(settings.store_path)
    await first.open()
    await first.write(lambda w: w.set_meta("schema_version", pack(99)))
    await first.close()
    again = SQLiteNodeStore(settings.store_path)
    with pytest.raises(StoreUnavailable, match="schema version 99"):
        await again.open()
    assert not again.is_open


async def test_a_closed_store_refuses_reads_and_writes(store: SQLiteNodeStore) -> None:
    await store.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.read(lambda r: r.head_revision())
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.write(lambda w: w.head_revision())


async def test_an_unopenable_path_is_store_unavailable(tmp_path: object) -> None:
    broken = SQLiteNodeStore("/proc/definitely/not/here/repository.db")
    with pytest.raises(StoreUnavailable, match="cannot open"):
        await broken.open()


# --- reads ------------------------------------------------------------------------------------


async def test_nodes_are_read_by_path_id_and_uuid(store: SQLiteNodeStore) -> None:
    ids = await insert(store, "/a", "/a/b", props={"title": "T"}, uuids={"/a/b": "u-1"})
    node = await store.read(lambda r: r.node("/a/b"))
    assert node is not None
    assert node.id == ids["/a/b"]
    assert node.primary_type == "nt:unstructured"
    assert node.properties["title"] == string("T")
    assert node.uuid == "u-1"
    assert "jcr:primaryType" not in node.properties
    by_id = await store.read(lambda r: r.node_by_id(ids["/a/b"]))
    by_uuid = await store.read(lambda r: r.node_by_uuid("u-1"))
    assert by_id == node
    assert by_uuid == node
    assert await store.read(lambda r: r.node("/missing")) is None


async def test_a_batch_read_returns_only_existing_nodes(store: SQLiteNodeStore) -> None:
    paths = [f"/n{i}" for i in range(1200)]
    await insert(store, *paths)
    wanted = [*paths[::2], "/nope", "/n0"]
    found = await store.read(lambda r: r.nodes(wanted))
    assert set(found) == set(paths[::2])


async def test_children_come_by_sort_key_then_name(store: SQLiteNodeStore) -> None:
    ids = await insert(
        store,
        "/p",
        "/p/c",
        "/p/a",
        "/p/b",
        sort_keys={"/p/c": 1024, "/p/a": 2048, "/p/b": 3072},
    )
    await insert(store, "/u", "/u/zz", "/u/b", "/u/a")
    assert await store.read(lambda r: r.child_names(ids["/p"])) == ["c", "a", "b"]
    unordered = await store.read(lambda r: r.node("/u"))
    assert unordered is not None
    assert await store.read(lambda r: r.child_names(unordered.id)) == ["a", "b", "zz"]
    page = await store.read(lambda r: r.children(ids["/p"], offset=1, limit=1))
    assert [n.name for n in page] == ["a"]
    assert await store.read(lambda r: r.count_children(ids["/p"])) == 3
    assert await store.read(lambda r: r.count_children(ids["/p"], limit=2)) == 2


async def test_descendants_of_a_do_not_include_siblings_sharing_its_prefix(
    store: SQLiteNodeStore,
) -> None:
    await insert(store, "/a", "/a/x", "/a/x/y", "/ab", "/ab/x", "/a0", "/a-b", "/a.b", "/a b")
    found = await store.read(lambda r: r.descendants("/a"))
    assert sorted(n.path for n in found) == ["/a/x", "/a/x/y"]
    shallow = await store.read(lambda r: r.descendants("/a", 1))
    assert [n.path for n in shallow] == ["/a/x"]
    everything = await store.read(lambda r: r.descendants("/"))
    assert len(everything) == 9  # every node but the root
    assert await store.read(lambda r: r.count_descendants("/a", 3, 100)) == [1, 1, 0]


async def test_descendants_group_siblings_in_child_order(store: SQLiteNodeStore) -> None:
    await insert(
        store,
        "/o",
        "/o/z",
        "/o/a",
        "/o/z/2",
        "/o/z/1",
        sort_keys={"/o/z": 1, "/o/a": 2, "/o/z/2": 1, "/o/z/1": 2},
    )
    found = await store.read(lambda r: r.descendants("/o"))
    by_parent: dict[str, list[str]] = {}
    for node in found:
        by_parent.setdefault(node.parent_path, []).append(node.name)
    assert by_parent == {"/o": ["z", "a"], "/o/z": ["2", "1"]}


async def test_a_subtree_move_rewrites_every_descendant_path(store: SQLiteNodeStore) -> None:
    ids = await insert(store, "/a", "/a/b", "/a/b/c", "/ab", "/dest")

    def move(w: StoreWriter) -> None:
        w.move_node(ids["/a"], ids["/dest"], "/dest/a2", None, w.next_revision())
        w.append_journal("test", [], 0)

    await store.write(move)
    paths = {n.path for n in await store.read(lambda r: r.descendants("/"))}
    assert paths == {"/ab", "/dest", "/dest/a2", "/dest/a2/b", "/dest/a2/b/c"}
    moved = await store.get_node("/dest/a2/b")
    assert moved is not None
    assert moved.id == ids["/a/b"]


async def test_a_subtree_delete_removes_only_that_subtree(store: SQLiteNodeStore) -> None:
    ids = await insert(store, "/a", "/a/b", "/ab", uuids={"/a/b": "u-b"})
    gone = await store.write(lambda w: w.delete_subtree(ids["/a"]))
    assert sorted(gone) == sorted([(ids["/a"], None, ""), (ids["/a/b"], "u-b", "")])
    assert {n.path for n in await store.read(lambda r: r.descendants("/"))} == {"/ab"}


async def test_blobs_are_content_addressed(store: SQLiteNodeStore) -> None:
    await store.write(lambda w: w.put_blobs([("abc", b"data"), ("abc", b"data")]))
    assert await store.read(lambda r: r.blob("abc")) == b"data"
    assert await store.read(lambda r: r.blob("nope")) is None


async def test_referrers_are_found_by_target(store: SQLiteNodeStore) -> None:
    ids = await insert(store, "/src", "/weak")

    def refs(w: StoreWriter) -> None:
        w.replace_references(ids["/src"], [("t1", "ref", False), ("t2", "ref", False)])
        w.replace_references(ids["/weak"], [("t1", "w", True)])

    await store.write(refs)
    assert await store.read(lambda r: r.referrers(["t1"])) == [("/src", "ref", "t1")]
    assert await store.read(lambda r: r.referrers(["t1"], weak=True)) == [("/weak", "w", "t1")]
    assert len(await store.read(lambda r: r.referrers(["t1"], weak=None))) == 2
    await store.write(lambda w: w.delete_references_from([ids["/src"]]))
    assert await store.read(lambda r: r.referrers(["t1", "t2"])) == []


# --- journal and observation ------------------------------------------------------------------


async def test_every_commit_gets_the_next_revision(store: SQLiteNodeStore) -> None:
    revisions = []
    for i in range(5):
        await insert(store, f"/n{i}")
        revisions.append(store.head)
    assert revisions == sorted(revisions)
    assert len(set(revisions)) == 5
    entries = await store.journal(revisions[1])
    assert [e.revision for e in entries] == revisions[2:]
    assert [e.revision for e in await store.journal(0, limit=2)] == [1, 2]


async def test_listeners_see_commits_after_they_are_committed_in_revision_order(
    store: SQLiteNodeStore,
) -> None:
    seen: list[tuple[int, bool]] = []

    async def listener(entry: JournalEntry) -> None:
        # After commit: the committed node is readable from another connection.
        node = await store.read(lambda r: r.node(f"/n{len(seen)}"))
        seen.append((entry.revision, node is not None))

    store.add_listener(listener)
    await asyncio.gather(*(insert(store, f"/n{i}") for i in range(6)))
    await store.drain_listeners()
    assert [r for r, _ in seen] == sorted(r for r, _ in seen)
    assert len(seen) == 6
    assert all(visible for _, visible in seen)


async def test_a_failing_listener_is_logged_and_does_not_break_the_commit(
    store: SQLiteNodeStore, caplog: pytest.LogCaptureFixture
) -> None:
    good: list[int] = []

    def bad(entry: JournalEntry) -> None:
        raise RuntimeError("listener broke")

    store.add_listener(bad)
    store.add_listener(lambda e: good.append(e.revision))
    with caplog.at_level(logging.ERROR):
        await insert(store, "/a")
        await insert(store, "/b")
        await store.drain_listeners()
    assert await store.get_node("/a") is not None
    assert await store.get_node("/b") is not None
    assert len(good) == 2
    assert "listener" in caplog.text
    assert "listener broke" in caplog.text


async def test_a_removed_listener_hears_nothing_more(store: SQLiteNodeStore) -> None:
    heard: list[int] = []

    def listener(entry: JournalEntry) -> None:
        heard.append(entry.revision)

    store.add_listener(listener)
    await insert(store, "/a")
    await store.drain_listeners()
    store.remove_listener(listener)
    await insert(store, "/b")
    assert len(heard) == 1


# --- cache and atomicity ----------------------------------------------------------------------


async def test_the_node_cache_stays_coherent_after_writes(store: SQLiteNodeStore) -> None:
    ids = await insert(store, "/a", props={"v": "old"})
    first = await store.get_node("/a")
    assert first is not None
    assert store.cached("/a") == first
    generation = store.generation

    def update(w: StoreWriter) -> None:

        w.update_nodes(
            [
                (
                    ids["/a"],
                    "nt:unstructured",
                    None,
                    encoded_props("nt:unstructured", {"v": "new"}),
                    (),
                )
            ],
            w.next_revision(),
        )
        w.append_journal("test", [], 0)

    await store.write(update)
    assert store.generation > generation
    again = await store.get_node("/a")
    assert again is not None
    assert again.properties["v"] == string("new")
    await store.write(lambda w: w.delete_subtree(ids["/a"]))
    assert await store.get_node("/a") is None


async def test_a_stale_read_is_not_remembered(store: SQLiteNodeStore) -> None:
    await insert(store, "/a")
    node = await store.read(lambda r: r.node("/a"))
    assert node is not None
    stale_generation = store.generation
    await insert(store, "/b")
    store.remember([node], stale_generation)
    assert store.cached("/a") is None


async def test_an_exception_in_a_write_rolls_everything_back(store: SQLiteNodeStore) -> None:
    await insert(store, "/keep")
    head = store.head

    def half(w: StoreWriter) -> None:
        insert_paths(w, ["/x", "/x/y"])
        w.put_blobs([("sha", b"data")])
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await store.write(half)
    assert await store.read(lambda r: r.node("/x")) is None
    assert await store.read(lambda r: r.blob("sha")) is None
    assert await store.read(lambda r: r.head_revision()) == head
    assert store.head == head
    # and the writer is usable again
    await insert(store, "/after")
    assert await store.get_node("/after") is not None


async def test_writes_are_serialised(store: SQLiteNodeStore) -> None:
    await asyncio.gather(*(insert(store, f"/p{i}") for i in range(20)))
    entries = await store.journal(0)
    assert [e.revision for e in entries] == list(range(1, 21))


# --- WAL checkpoints --------------------------------------------------------------------------


def _checkpointed_paths(path: str) -> set[str]:
    """The node paths in the database file itself: `immutable` reads skip the WAL."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'node'").fetchall():
            return set()  # even the schema is still in the WAL
        return {r[0] for r in conn.execute("SELECT path FROM node")}
    finally:
        conn.close()


async def test_the_wal_is_checkpointed_in_the_background(store: SQLiteNodeStore) -> None:
    # The writer's own automatic checkpoint is only a backstop far beyond a few megabytes.
    assert await store.write(lambda w: w.execute("PRAGMA wal_autocheckpoint")) == [(65_536,)]
    big = "x" * 100_000
    paths = [f"/n{i}" for i in range(60)]  # about 6 MB of WAL, past CHECKPOINT_BYTES
    for path in paths:
        await insert(store, path, props={"text": big})
    for _ in range(200):
        if store.checkpoints:
            break
        await asyncio.sleep(0.02)
    assert store.checkpoints >= 1
    assert {"/n0", "/n30"} <= _checkpointed_paths(store.path)


async def test_small_writes_leave_the_wal_alone(store: SQLiteNodeStore) -> None:
    await insert(store, "/a", "/a/b")
    assert store.checkpoints == 0
    assert "/a" not in _checkpointed_paths(store.path)
    assert (await store.get_node("/a/b")) is not None
