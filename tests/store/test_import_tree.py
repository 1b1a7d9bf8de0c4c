"""ImportTree, the bulk-load operation: the same node-type rules as single additions, per node."""

from __future__ import annotations

from typing import Any

import pytest

from repo_server.errors import ConstraintViolation, NodeExists, ProtectedItem
from repo_server.model.text import node_text
from repo_server.model.values import PropertyType, make_property
from repo_server.session.content import ImportedNode, parse_document
from repo_server.session.operations import ImportTree
from repo_server.session.session import ContentSession


def queue(session: ContentSession, doc: dict[str, Any], root: str) -> None:
    session.queue(ImportTree(list(parse_document(doc, root))))


async def test_imported_nodes_get_their_types_auto_created_values_and_conversions(
    session: ContentSession,
) -> None:
    doc = {
        "jcr:primaryType": "sling:Folder",
        "page": {
            "jcr:primaryType": "cq:Page",
            "jcr:content": {"jcr:primaryType": "cq:PageContent", "jcr:title": "Home"},
        },
        "ref": {"jcr:primaryType": "nt:unstructured", "jcr:mixinTypes": ["mix:referenceable"]},
        "typed": {
            "jcr:primaryType": "nt:unstructured",
            "n": 3,
            "when@TypeHint": "Date",
            "when": "2026-01-02T03:04:05.000Z",
        },
    }
    queue(session, doc, "/imp")
    await session.save()
    ref = await session.node("/imp/ref")
    assert ref.properties["jcr:uuid"].values[0]
    page = await session.node("/imp/page")
    assert page.properties["jcr:created"].type is PropertyType.DATE
    typed = await session.node("/imp/typed")
    assert typed.properties["n"].type is PropertyType.LONG
    assert typed.properties["when"].type is PropertyType.DATE
    assert (await session.node("/imp/page/jcr:content")).properties["jcr:title"].values == ("Home",)


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        # nt:folder allows no properties of its own
        ({"jcr:primaryType": "nt:folder", "colour": "red"}, ConstraintViolation),
        # the same property name with a good then a bad type: the cached check must not pass it
        (
            {
                "jcr:primaryType": "sling:Folder",
                "a": {
                    "jcr:primaryType": "nt:file",
                    "jcr:content": {
                        "jcr:primaryType": "nt:resource",
                        "jcr:data": "x",
                        "jcr:data@TypeHint": "Binary",
                    },
                },
                "b": {
                    "jcr:primaryType": "nt:file",
                    "jcr:content": {"jcr:primaryType": "nt:resource", "jcr:data": ["x"]},
                },
            },
            ConstraintViolation,
        ),
        # nt:file must have its jcr:content
        (
            {"jcr:primaryType": "sling:Folder", "f": {"jcr:primaryType": "nt:file"}},
            ConstraintViolation,
        ),
        # jcr:primaryType of a child not allowed under nt:folder
        (
            {"jcr:primaryType": "nt:folder", "x": {"jcr:primaryType": "nt:unstructured"}},
            ConstraintViolation,
        ),
    ],
)
async def test_an_invalid_import_is_refused_whole(
    session: ContentSession, doc: dict[str, Any], error: type[Exception]
) -> None:
    queue(session, doc, "/bad")
    with pytest.raises(error):
        await session.save()
    await session.refresh()
    assert not await session.exists("/bad")


async def test_a_protected_property_is_refused(session: ContentSession) -> None:
    # The content parser drops protected names; a caller building items itself may not set them.
    item = ImportedNode(
        "/p", "nt:unstructured", ["mix:created"], {"jcr:createdBy": make_property("mallory")}
    )
    session.queue(ImportTree([item]))
    with pytest.raises(ProtectedItem, match="jcr:createdBy"):
        await session.save()
    await session.refresh()
    assert not await session.exists("/p")


async def test_a_stored_node_at_a_later_sibling_path_is_a_clash_and_nothing_is_written(
    session: ContentSession,
) -> None:
    await session.add_node("/d", "nt:unstructured")
    await session.add_node("/d/b", "nt:unstructured")
    await session.save()
    # /d/a is checked against the store as the first child of the stored /d; /d/b, a later
    # sibling under the same parent, is caught by the store's path index.
    items = [
        *parse_document({"jcr:primaryType": "nt:unstructured", "x": 1}, "/d/a"),
        *parse_document({"jcr:primaryType": "nt:unstructured", "y": 2}, "/d/b"),
    ]
    session.queue(ImportTree(items))
    with pytest.raises(NodeExists, match="/d/b"):
        await session.save()
    await session.refresh()
    assert not await session.exists("/d/a")
    assert "y" not in (await session.node("/d/b")).properties


async def test_the_same_path_twice_in_one_import_is_a_clash(session: ContentSession) -> None:
    items = list(parse_document({"jcr:primaryType": "nt:unstructured", "c": {}}, "/twice"))
    session.queue(ImportTree([*items, items[1]]))
    with pytest.raises(NodeExists, match="/twice/c"):
        await session.save()
    await session.refresh()
    assert not await session.exists("/twice")


async def test_a_named_property_under_nt_unstructured_still_meets_its_definition(
    session: ContentSession,
) -> None:
    # nt:unstructured takes any property as it is, except those a definition names.
    item = ImportedNode("/u", "nt:unstructured", [], {"jcr:mixinTypes": make_property(["x"])})
    session.queue(ImportTree([item]))
    with pytest.raises(ProtectedItem, match="jcr:mixinTypes"):
        await session.save()
    await session.refresh()
    assert not await session.exists("/u")


async def test_constrained_residual_definitions_are_checked_per_property(
    session: ContentSession,
) -> None:
    await session.repository.register_node_types(
        "<test = 'http://example.com/test'>\n"
        "[test:strict] > nt:base\n"
        " - * (STRING) < 'a.*'\n - * (UNDEFINED)\n - * (UNDEFINED) multiple"
    )
    ok = ImportedNode("/s1", "test:strict", [], {"p": make_property("abc"), "n": make_property(1)})
    session.queue(ImportTree([ok]))
    await session.save()
    bad = ImportedNode("/s2", "test:strict", [], {"p": make_property("bcd")})
    session.queue(ImportTree([bad]))
    with pytest.raises(ConstraintViolation):
        await session.save()
    await session.refresh()
    assert not await session.exists("/s2")


async def test_a_new_nodes_full_text_row_is_what_the_index_would_make_of_it(
    session: ContentSession,
) -> None:
    # The commit makes new nodes' full-text rows in the same pass as their blobs; it must be
    # the text `node_text` gives for the stored node (updates and rebuilds use that one).
    doc = {
        "jcr:primaryType": "nt:unstructured",
        "sling:resourceType": "shop/product",
        "jcr:title": "Red hat",
        "tags": ["wool", "winter"],
        "size": 3,
        "when": "2026-01-02T03:04:05.000Z",
        "when@TypeHint": "Date",
        "child": {"jcr:primaryType": "nt:unstructured", "note": "lined"},
    }
    queue(session, doc, "/ft")
    await session.save()
    for path, expected in (("/ft", "Red hat\nwool\nwinter"), ("/ft/child", "lined")):
        node = await session.node(path)

        def text_row(r: Any, node_id: int = node.id) -> list[tuple[object, ...]]:
            return r.execute("SELECT text FROM node_fts WHERE rowid = ?", (node_id,))  # type: ignore[no-any-return]

        rows = await session.repository.store.read(text_row)
        assert rows == [(expected,)]
        assert node_text(node.properties) == expected
