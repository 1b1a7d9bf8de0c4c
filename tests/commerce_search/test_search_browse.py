"""Browsing without text (all products, or only facet selections) over a catalog larger than the
read limit answers from the property indexes (issue 7): 200 with correct counts, not
`query-limit-exceeded`. The limit is lowered instead of building 100,000 products."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from commerce.plugin import register
from commerce.search import (
    CommerceQuery,
    JcrSearchProvider,
    SearchProviderRegistry,
    declare_search_indexes,
)
from repo_server.config import Settings
from repo_server.errors import QueryLimitExceeded
from repo_server.extensions import Extensions, PluginContext
from repo_server.http.app import create_app
from repo_server.http.keys import repository_key
from repo_server.loader import load_document, read_document
from repo_server.query.engine import QueryOptions
from repo_server.server import fixture_files
from repo_server.session.session import ContentSession, Repository

from ..http_support import Client

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")

COLORS = ("red", "blue", "green")
PRODUCTS = 40  # 40 products and 80 variants: 120 nodes against a read limit of 30
LIMIT = 30


async def build(session: ContentSession, root: str) -> None:
    """PRODUCTS products in two folders; product i has variants of colours i%3 and (i+1)%3,
    sizes S and M (L too for every fifth), price i (none for every tenth)."""
    if not await session.exists(root):
        await session.add_node(root, "sling:Folder")
    for folder in ("a", "b"):
        await session.add_node(f"{root}/{folder}", "sling:Folder")
    for i in range(PRODUCTS):
        base = f"{root}/{'ab'[i % 2]}/p{i:03d}"
        props: dict[str, Any] = {
            "cq:commerceType": "product",
            "jcr:title": f"Product {i:03d}",
            "identifier": f"P{i:03d}",
            "cq:productVariantAxes": ["color", "size"],
        }
        if i % 10:
            props["price"] = i
        await session.add_node(base, "nt:unstructured", properties=props)
        sizes = ["S", "M", "L"] if i % 5 == 0 else ["S", "M"]
        for v in range(2):
            await session.add_node(
                f"{base}/v{v}",
                "nt:unstructured",
                properties={
                    "cq:commerceType": "variant",
                    "color": COLORS[(i + v) % 3],
                    "size": sizes[v:] if v else sizes[:1],
                },
            )
    await session.save()


def expected_colors(selected_size: str | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in range(PRODUCTS):
        sizes = {"S", "M", "L"} if i % 5 == 0 else {"S", "M"}
        if selected_size is not None and selected_size not in sizes:
            continue
        for c in {COLORS[i % 3], COLORS[(i + 1) % 3]}:
            counts[c] = counts.get(c, 0) + 1
    return counts


ROOT = "/etc/commerce/products/big"


@pytest.fixture
async def big(repository: Repository) -> Repository:
    session = repository.session("admin")
    for path in ("/etc", "/etc/commerce", "/etc/commerce/products", ROOT):
        await session.add_node(path, "sling:Folder")
    await declare_search_indexes(session, save=False)
    await build(session, ROOT)
    return repository


async def test_browse_with_a_facet_answers_from_the_indexes_past_the_read_limit(
    big: Repository,
) -> None:
    session = big.session("admin")
    provider = JcrSearchProvider(ROOT, options=QueryOptions(read_limit=LIMIT))
    result = await provider.search(
        CommerceQuery(page_size=5, facets={"size": ("L",)}, sort_id="price-desc"), session
    )
    with_l = [i for i in range(PRODUCTS) if i % 5 == 0]  # 0, 5, ..., 35; 0 10 20 30 unpriced
    assert result.pagination.total_results == len(with_l)
    assert [p.name for p in result.products] == ["p035", "p025", "p015", "p005", "p000"]
    facets = {f.id: {v.id: (v.product_count, v.selected) for v in f.values} for f in result.facets}
    assert list(facets) == ["color", "size", "category"]
    assert facets["size"] == {"S": (PRODUCTS, False), "M": (PRODUCTS, False), "L": (8, True)}
    assert facets["color"] == {c: (n, False) for c, n in expected_colors("L").items()}
    assert facets["category"] == {"a": (4, False), "b": (4, False)}
    everything = await provider.search(CommerceQuery(page=1, page_size=10), session)
    assert everything.pagination.total_results == PRODUCTS
    assert [p.name for p in everything.products] == [f"p{i:03d}" for i in range(10, 20)]
    assert {v.id: v.product_count for v in everything.facets[0].values} == expected_colors(None)
    # The same search decoding every node (no indexes) is over the limit.
    unindexed = JcrSearchProvider(ROOT, options=QueryOptions(read_limit=LIMIT))
    await session.remove("/oak:index")
    await session.save()
    with pytest.raises(QueryLimitExceeded):
        await unindexed.search(CommerceQuery(facets={"size": ("L",)}), session)


async def test_browse_sorts_by_titles_the_index_cannot_tell(big: Repository) -> None:
    """Titles come from the title index; one cut short in its key (longer than an index key
    holds) or with several values is read from the node, one missing is the node's name."""
    session = big.session("admin")
    long = "A" * 600  # past the index key's 512 bytes: two such titles share one key
    await session.set_property(f"{ROOT}/a/p000", "jcr:title", long + "b")
    await session.set_property(f"{ROOT}/b/p001", "jcr:title", long + "a")
    await session.set_property(f"{ROOT}/a/p002", "jcr:title", ["Zz first", "Ab second"])
    await session.set_property(f"{ROOT}/b/p003", "jcr:title", None)
    await session.save()
    provider = JcrSearchProvider(ROOT, options=QueryOptions(read_limit=LIMIT))
    first = await provider.search(CommerceQuery(page_size=4, sort_id="name-asc"), session)
    # "AAA...a", "AAA...b", then the name "p003", then "Product 004" (case-insensitive).
    assert [p.name for p in first.products] == ["p001", "p000", "p003", "p004"]
    last = await provider.search(CommerceQuery(page_size=1, sort_id="name-desc"), session)
    assert [p.name for p in last.products] == ["p002"]  # "Zz first", its first value


async def test_browse_sorts_by_prices_the_index_cannot_tell(big: Repository) -> None:
    """A price stored as a string, or with several values, is read from the node."""
    session = big.session("admin")
    await session.set_property(f"{ROOT}/a/p004", "price", "99.50")  # a STRING key
    await session.set_property(f"{ROOT}/b/p005", "price", [98, 1])  # the first value counts
    await session.save()
    provider = JcrSearchProvider(ROOT, options=QueryOptions(read_limit=LIMIT))
    found = await provider.search(CommerceQuery(page_size=3, sort_id="price-desc"), session)
    assert [p.name for p in found.products] == ["p004", "p005", "p039"]


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, settings: Settings) -> Client:
    ext = Extensions()
    register(PluginContext(ext, settings))
    # The stock provider with a lowered read limit, ranked above the registered one.
    SearchProviderRegistry(ext.services).register(
        JcrSearchProvider(options=QueryOptions(read_limit=LIMIT)), ranking=10
    )
    app = create_app(settings, extensions=ext)
    token = base64.b64encode(f"admin:{settings.admin_password}".encode()).decode("ascii")
    client = await aiohttp_client(app, headers={"Authorization": f"Basic {token}"})
    session = app[repository_key].session("admin")
    for filename in fixture_files(("roots", "demo")):
        await load_document(session, read_document(str(filename)))
    await declare_search_indexes(session, save=False)
    await build(session, CATALOG_BIG)
    return client


CATALOG_BIG = "/etc/commerce/products/geometrixx-outdoors/big"


async def test_browse_over_http_answers_200_with_counts(client: Client) -> None:
    resp = await client.get(f"{CATALOG_BIG}.search.json?facet_color=red&pagesize=3&sort=name-asc")
    body = await resp.json()
    assert resp.status == 200, body
    reds = [i for i in range(PRODUCTS) if "red" in {COLORS[i % 3], COLORS[(i + 1) % 3]}]
    assert body["total"] == len(reds)
    assert [p["sku"] for p in body["products"]] == [f"P{i:03d}" for i in reds[:3]]
    color = next(f for f in body["facets"] if f["id"] == "color")
    assert {v["value"]: v["count"] for v in color["values"]} == expected_colors(None)
    size = next(f for f in body["facets"] if f["id"] == "size")
    assert {v["value"]: v["count"] for v in size["values"]} == {"S": 27, "M": 27, "L": 6}
