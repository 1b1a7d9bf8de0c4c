"""Declared property indexes, the built-in ones and the full-text index: maintenance at commit,
use by the planner, and the traversal fallback with its warning and read limit."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from repo_server.config import Settings
from repo_server.errors import ConstraintViolation, QueryLimitExceeded
from repo_server.model.values import pack
from repo_server.query import engine
from repo_server.query.model import (
    FullTextPredicate,
    Group,
    PathPredicate,
    PropertyPredicate,
    Query,
    RangePredicate,
    TypePredicate,
)
from repo_server.session.session import Repository
from repo_server.store.sqlite import SQLiteNodeStore

from .query_support import Search, paths

SHOP = "/content/shop"


async def declare(repository: Repository, name: str, **props: Any) -> None:
    session = repository.session("admin")
    if not await session.exists("/oak:index"):
        await session.add_node("/oak:index", "nt:unstructured")
    await session.add_node(
        f"/oak:index/{name}", "oak:QueryIndexDefinition", properties={"type": "property", **props}
    )
    await session.save()


async def rows(repository: Repository, index: str) -> list[tuple[object, ...]]:
    return await repository.store.read(
        lambda r: r.execute(
            "SELECT n.path FROM prop_index i JOIN node n ON n.id = i.node_id "
            "WHERE i.index_name = ? ORDER BY n.path",
            (index,),
        )
    )


async def test_an_indexed_equality_reads_only_the_matching_nodes(
    shop: Repository, search: Search
) -> None:
    unindexed = await search(PropertyPredicate("sku", values=("SKU-005",)))
    assert unindexed.plan == "traversal of /"
    assert unindexed.rows_read > 20
    await declare(shop, "sku", propertyNames=["sku"])
    indexed = await search(PropertyPredicate("sku", values=("SKU-005",)))
    assert paths(indexed) == [f"{SHOP}/p05"]
    assert indexed.plan == "index sku (sku =)"
    assert indexed.rows_read == 1
    several = await search(PropertyPredicate("sku", values=("SKU-001", "HAT-1", "nope")))
    assert several.rows_read == 2
    assert paths(several) == ["/content/notes/hats", f"{SHOP}/p01"]


async def test_a_point_lookup_is_one_statement_and_a_large_source_is_read_whole(
    repository: Repository,
) -> None:
    """The plan reads a small source whole and the run uses those rows (one SELECT for a
    point lookup); a source past GOOD_ENOUGH is counted instead and read in full later."""
    await declare(repository, "tag", propertyNames=["tag"])
    session = repository.session("admin")
    await session.add_node("/bulk", "nt:unstructured")
    many = engine.GOOD_ENOUGH + 10
    for i in range(many):
        await session.add_node(f"/bulk/n{i:03d}", "nt:unstructured", properties={"tag": "common"})
    await session.add_node("/bulk/rare", "nt:unstructured", properties={"tag": "rare"})
    await session.save()
    store = repository.store
    assert isinstance(store, SQLiteNodeStore)
    rare_query = Query(Group((PropertyPredicate("tag", values=("rare",)),)))
    await engine.execute(session, rare_query)  # reads the index definitions once
    statements: list[str] = []
    assert store._inline is not None
    store._inline.set_trace_callback(statements.append)
    try:
        rare = await engine.execute(session, rare_query)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        statements.clear()
        common = await engine.execute(
            session, Query(Group((PropertyPredicate("tag", values=("common",)),)), limit=5)
        )
    finally:
        store._inline.set_trace_callback(None)
    assert (paths(rare), rare.plan, rare.rows_read) == (["/bulk/rare"], "index tag (tag =)", 1)
    assert len(selects) == 1, selects
    assert any("count(*)" in s for s in statements), statements
    assert (common.plan, common.total, common.rows_read) == ("index tag (tag =)", many, many)
    assert paths(common) == [f"/bulk/n{i:03d}" for i in range(5)]


async def test_index_entries_follow_adds_changes_removes_and_moves(
    shop: Repository, search: Search
) -> None:
    await declare(shop, "sku", propertyNames=["sku"])
    session = shop.session("admin")
    await session.add_node(f"{SHOP}/new", "nt:unstructured", properties={"sku": "NEW"})
    await session.save()
    found = await search(PropertyPredicate("sku", values=("NEW",)))
    assert (paths(found), found.rows_read) == ([f"{SHOP}/new"], 1)

    await session.set_property(f"{SHOP}/new", "sku", "CHANGED")
    await session.save()
    assert (await search(PropertyPredicate("sku", values=("NEW",)))).total == 0
    assert paths(await search(PropertyPredicate("sku", values=("CHANGED",)))) == [f"{SHOP}/new"]

    await session.move(f"{SHOP}/new", "/content/notes/moved")
    await session.save()
    moved = await search(PropertyPredicate("sku", values=("CHANGED",)))
    assert (paths(moved), moved.rows_read) == (["/content/notes/moved"], 1)

    await session.remove_property("/content/notes/moved", "sku")
    await session.save()
    assert (await search(PropertyPredicate("sku", values=("CHANGED",)))).total == 0

    await session.remove(SHOP)
    await session.save()
    assert [r[0] for r in await rows(shop, "sku")] == ["/content/notes/hats"]


async def test_changing_a_definition_reindexes_and_removing_it_drops_its_entries(
    shop: Repository, search: Search
) -> None:
    await declare(shop, "byprop", propertyNames=["sku"])
    assert len(await rows(shop, "byprop")) == 13
    session = shop.session("admin")
    await session.set_property("/oak:index/byprop", "propertyNames", ["color"])
    await session.save()
    assert len(await rows(shop, "byprop")) == 12
    red = await search(PropertyPredicate("color", values=("red",)))
    assert (red.plan, red.total, red.rows_read) == ("index byprop (color =)", 4, 4)
    assert (await search(PropertyPredicate("sku", values=("SKU-001",)))).plan == "traversal of /"

    await session.rename("/oak:index/byprop", "colors")
    await session.save()
    assert await rows(shop, "byprop") == []
    assert len(await rows(shop, "colors")) == 12

    await session.remove("/oak:index/colors")
    await session.save()
    assert await rows(shop, "colors") == []
    assert (await search(PropertyPredicate("color", values=("red",)))).plan == "traversal of /"


async def test_ranges_use_the_index(shop: Repository, search: Search) -> None:
    await declare(shop, "price", propertyNames=["price", "released"])
    result = await search(RangePredicate("price", "number", 30, 50, True, False))
    assert (result.plan, paths(result)) == (
        "index price (price range)",
        [f"{SHOP}/p03", f"{SHOP}/p04"],
    )
    assert result.rows_read == 2
    open_ended = await search(RangePredicate("price", "number", lower=100))
    assert paths(open_ended) == [f"{SHOP}/p11", f"{SHOP}/p12"]
    assert open_ended.rows_read == 2


async def test_negative_and_fractional_numbers_keep_their_order_in_the_index(
    shop: Repository, search: Search
) -> None:
    await declare(shop, "temp", propertyNames=["t"])
    session = shop.session("admin")
    await session.add_node("/content/t", "nt:unstructured")
    for i, t in enumerate((-20.5, -3, -0.25, 0, 0.25, 7, 1e9)):
        await session.add_node(f"/content/t/n{i}", "nt:unstructured", properties={"t": t})
    await session.save()
    result = await search(RangePredicate("t", "number", -3, 0.25, True, True))
    assert [n.properties["t"].values[0] for n in result.nodes] == [-3, -0.25, 0, 0.25]
    assert result.rows_read == 4


async def test_declaring_node_types_limit_what_is_indexed_and_when_it_is_used(
    shop: Repository, search: Search
) -> None:
    await declare(shop, "titled", propertyNames=["sku"], declaringNodeTypes=["mix:title"])
    assert [r[0] for r in await rows(shop, "titled")] == ["/content/notes/hats"]
    typed = await search(TypePredicate("mix:title"), PropertyPredicate("sku", values=("HAT-1",)))
    assert typed.plan == "index titled (sku =)"
    untyped = await search(PropertyPredicate("sku", values=("SKU-002",)))
    assert untyped.plan == "traversal of /"
    assert paths(untyped) == [f"{SHOP}/p02"]


async def test_included_paths_restrict_the_index_and_moves_update_it(
    shop: Repository, search: Search
) -> None:
    await declare(shop, "notes", propertyNames=["sku"], includedPaths=["/content/notes"])
    assert [r[0] for r in await rows(shop, "notes")] == ["/content/notes/hats"]
    inside = await search(
        PathPredicate("/content/notes"), PropertyPredicate("sku", values=("HAT-1",))
    )
    assert inside.plan == "index notes (sku =)"
    outside = await search(PathPredicate("/content"), PropertyPredicate("sku", values=("HAT-1",)))
    assert outside.plan.startswith("traversal")
    session = shop.session("admin")
    await session.move("/content/notes/hats", f"{SHOP}/hats")
    await session.move(f"{SHOP}/p01", "/content/notes/p01")
    await session.save()
    assert [r[0] for r in await rows(shop, "notes")] == ["/content/notes/p01"]


async def test_a_unique_index_refuses_a_second_node_with_the_value(shop: Repository) -> None:
    await declare(shop, "uniqueSku", propertyNames=["sku"], unique=True)
    session = shop.session("admin")
    head = shop.store.head
    await session.add_node("/content/dup", "nt:unstructured", properties={"sku": "SKU-001"})
    with pytest.raises(ConstraintViolation):
        await session.save()
    assert shop.store.head == head
    await session.refresh()
    await session.add_node("/content/other", "nt:unstructured", properties={"sku": "OTHER"})
    await session.save()


async def test_a_unique_index_cannot_be_declared_over_duplicates(shop: Repository) -> None:
    with pytest.raises(ConstraintViolation):
        await declare(shop, "uniqueColor", propertyNames=["color"], unique=True)


async def test_built_in_indexes_serve_resource_type_uuid_and_node_type(
    shop: Repository, search: Search
) -> None:
    by_type = await search(PropertyPredicate("sling:resourceType", values=("shop/product",)))
    assert (by_type.plan, by_type.total, by_type.rows_read) == (
        "index :slingResourceType (sling:resourceType =)",
        12,
        12,
    )
    session = shop.session("admin")
    await session.add_mixin(f"{SHOP}/p02", "mix:referenceable")
    await session.save()
    uuid = (await session.node(f"{SHOP}/p02")).uuid
    assert uuid is not None
    by_uuid = await search(PropertyPredicate("jcr:uuid", values=(uuid,)))
    assert (by_uuid.plan, paths(by_uuid), by_uuid.rows_read) == ("uuid", [f"{SHOP}/p02"], 1)
    pages = await search(TypePredicate("cq:Page"))
    assert (pages.plan, pages.rows_read) == ("type cq:Page", 2)


async def test_the_planner_prefers_a_small_subtree_over_a_large_type(search: Search) -> None:
    result = await search(PathPredicate("/content/notes"), TypePredicate("nt:unstructured"))
    assert result.plan == "traversal of /content/notes"
    assert paths(result) == ["/content/notes/hats"]


async def test_fulltext_follows_changes_removals_and_moves(
    shop: Repository, search: Search
) -> None:
    session = shop.session("admin")
    await session.set_property("/content/notes/hats", "jcr:title", "Caps are back")
    await session.save()
    assert (await search(FullTextPredicate("caps"))).total == 1
    assert paths(await search(FullTextPredicate("hats"))) == ["/content/site/about/jcr:content"]
    await session.move("/content/notes/hats", "/content/caps")
    await session.save()
    assert paths(await search(FullTextPredicate("caps"))) == ["/content/caps"]
    await session.remove("/content/caps")
    await session.save()
    assert (await search(FullTextPredicate("caps"))).total == 0
    assert await shop.store.write(indexed_ids) == await shop.store.read(ids_with_text)
    nodes = await shop.store.read(
        lambda r: r.execute(
            "SELECT count(*) FROM node WHERE path > '/content/' AND path < '/content0'"
        )
    )
    assert len(await shop.store.read(ids_with_text)) == 12 + 2  # products, two page contents
    assert nodes[0][0] == 12 + 6  # products, shop, notes, two pages and their contents


def indexed_ids(w: Any) -> list[int]:
    """The node ids the full-text index holds, read from the index itself (the table's own
    rows come from the node table it points to), after FTS5's own check of index and text."""
    w.execute("INSERT INTO node_fts (node_fts, rank) VALUES ('integrity-check', 1)")
    w.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms "
        "USING fts5vocab(main, node_fts, 'instance')"
    )
    return [int(r[0]) for r in w.execute("SELECT DISTINCT doc FROM temp.fts_terms ORDER BY doc")]


def ids_with_text(r: Any) -> list[int]:
    return [int(x[0]) for x in r.execute("SELECT id FROM node_text WHERE text != '' ORDER BY id")]


async def test_the_index_holds_exactly_the_text_of_the_nodes_through_every_kind_of_change(
    shop: Repository, search: Search
) -> None:
    # The index keeps no text of its own: each removal must name the text a row was made of.
    session = shop.session("admin")
    await session.add_node("/content/box", "nt:unstructured")
    await session.set_property("/content/box", "jcr:title", "Wooden box")
    for i in range(3):
        await session.add_node(f"/content/box/lid{i}", "nt:unstructured")
        await session.set_property(f"/content/box/lid{i}", "note", f"lid quince{i}")
    await session.save()
    await session.set_property("/content/box/lid0", "note", None)  # text gone, row gone
    await session.set_property("/content/box/lid1", "note", "hinged lid")  # text changed
    await session.set_property("/content/box/lid2", "size", 4)  # text unchanged
    await session.save()
    await session.set_property("/content/box/lid0", "note", "lid again")  # a row again
    await session.copy("/content/box", "/content/crate")
    await session.save()
    await session.remove("/content/box")  # a subtree with text
    await session.save()
    assert await shop.store.write(indexed_ids) == await shop.store.read(ids_with_text)
    assert paths(await search(FullTextPredicate("hinged"))) == ["/content/crate/lid1"]
    assert paths(await search(FullTextPredicate("wooden"))) == ["/content/crate"]
    assert paths(await search(FullTextPredicate("quince2"))) == ["/content/crate/lid2"]


async def test_a_store_with_a_copy_of_the_text_in_its_index_is_made_anew_when_it_opens(
    settings: Settings,
) -> None:
    # Stores written before the index pointed at the node table kept the text in it twice.
    store = SQLiteNodeStore(settings.store_path)
    repository = Repository(store)
    await repository.open()
    try:
        session = repository.session("admin")
        await session.add_node("/old", "nt:unstructured")
        await session.set_property("/old", "jcr:title", "Old lantern")
        await session.save()

        def downgrade(w: Any) -> None:
            w.execute("DROP TABLE node_fts")
            w.execute(
                "CREATE VIRTUAL TABLE node_fts USING fts5("
                "text, tokenize = 'unicode61 remove_diacritics 2', columnsize = 0)"
            )
            w.execute("INSERT INTO node_fts (rowid, text) VALUES (999999, 'stale')")

        await store.write(downgrade)
    finally:
        await repository.close()
    store = SQLiteNodeStore(settings.store_path)
    repository = Repository(store)
    await repository.open()
    try:
        layout = await store.read(
            lambda r: r.execute("SELECT sql FROM sqlite_master WHERE name = 'node_fts'")
        )
        assert "node_text" in str(layout[0][0])
        assert await store.write(indexed_ids) == await store.read(ids_with_text)
        session = repository.session("admin")
        await session.remove("/old")  # deleting a row of the rebuilt index works
        await session.save()
        assert await store.write(indexed_ids) == await store.read(ids_with_text)
    finally:
        await repository.close()


async def test_a_traversal_warns_every_so_many_nodes(
    search: Search, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(engine, "WARN_EVERY", 5)
    with caplog.at_level(logging.WARNING, logger="repo_server.query.engine"):
        result = await search(PathPredicate(SHOP), PropertyPredicate("color", values=("red",)))
    assert result.total == 4
    warnings = [r for r in caplog.records if "traversed" in r.getMessage()]
    assert len(warnings) == 12 // 5
    assert "declare a property index" in warnings[0].getMessage()


async def test_a_traversal_beyond_the_read_limit_fails(search: Search) -> None:
    options = engine.QueryOptions(read_limit=10)
    with pytest.raises(QueryLimitExceeded) as caught:
        await search(
            PathPredicate(SHOP), PropertyPredicate("color", values=("red",)), options=options
        )
    assert caught.value.status == 400
    assert caught.value.code == "query-limit-exceeded"
    small = await search(
        PathPredicate("/content/notes"), PropertyPredicate("sku", "exists"), options=options
    )
    assert small.total == 1


async def test_strict_mode_refuses_any_traversal(shop: Repository, search: Search) -> None:
    strict = engine.QueryOptions(strict=True)
    with pytest.raises(QueryLimitExceeded):
        await search(
            PathPredicate(SHOP), PropertyPredicate("color", values=("red",)), options=strict
        )
    await declare(shop, "color", propertyNames=["color"])
    result = await search(PropertyPredicate("color", values=("red",)), options=strict)
    assert result.total == 4


async def test_ten_thousand_nodes_read_by_traversal_log_one_warning(
    shop: Repository, search: Search, caplog: pytest.LogCaptureFixture
) -> None:
    from repo_server.model.values import Property, PropertyType
    from repo_server.session.operations import AddNode

    session = shop.session("admin")
    await session.add_node("/content/bulk", "nt:unstructured")
    await session.save()
    for i in range(10_050):
        prop = Property(PropertyType.LONG, False, (i,))
        session.queue(AddNode(f"/content/bulk/n{i}", "nt:unstructured", [], {"i": prop}))
    await session.save()
    with caplog.at_level(logging.WARNING, logger="repo_server.query.engine"):
        result = await search(PathPredicate("/content/bulk"), PropertyPredicate("i", values=("7",)))
    assert result.total == 1
    assert len([r for r in caplog.records if "traversed 10000 nodes" in r.getMessage()]) == 1


async def test_a_store_with_the_older_full_text_table_rebuilds_it_on_its_next_commit(
    shop: Repository, search: Search
) -> None:
    # fulltext/1 stores kept a document-size table; the next commit makes the table anew.
    def downgrade(w: Any) -> None:
        w.execute("DROP TABLE node_fts")
        w.execute(
            "CREATE VIRTUAL TABLE node_fts USING fts5("
            "text, tokenize = 'unicode61 remove_diacritics 2')"
        )
        w.execute("INSERT INTO node_fts (rowid, text) VALUES (999999, 'stale')")
        w.set_meta("query.indexes", pack({"fulltext/1": "fulltext/1"}))

    await shop.store.write(downgrade)
    session = shop.session("admin")
    await session.set_property("/content/notes/hats", "jcr:title", "Caps are back")
    await session.save()
    tables = await shop.store.read(
        lambda r: r.execute("SELECT name FROM sqlite_master WHERE name LIKE 'node_fts%'")
    )
    assert "node_fts_docsize" not in {t[0] for t in tables}
    merge = await shop.store.read(
        lambda r: r.execute("SELECT v FROM node_fts_config WHERE k = 'automerge'")
    )
    assert merge == [(8,)]
    assert (await search(FullTextPredicate("stale"))).total == 0
    assert paths(await search(FullTextPredicate("caps"))) == ["/content/notes/hats"]
    assert (await search(FullTextPredicate("hats"))).total == 1
