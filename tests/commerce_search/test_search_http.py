"""`<path>.search.json` through the real app, over the demo catalog and pages (issue 7)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from commerce.plugin import register
from repo_server.config import Settings
from repo_server.extensions import Extensions, PluginContext
from repo_server.http.app import create_app
from repo_server.http.keys import repository_key
from repo_server.loader import load_document, read_document
from repo_server.server import fixture_files

from ..http_support import Client, assert_error

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")

CATALOG = "/etc/commerce/products/geometrixx-outdoors"
SHIRTS = f"{CATALOG}/men/shirts"
PAGES = "/content/geometrixx-outdoors/en"


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, settings: Settings) -> Client:
    ext = Extensions()
    register(PluginContext(ext, settings))
    app = create_app(settings, extensions=ext)
    token = base64.b64encode(f"admin:{settings.admin_password}".encode()).decode("ascii")
    client = await aiohttp_client(app, headers={"Authorization": f"Basic {token}"})
    session = app[repository_key].session("admin")
    for filename in fixture_files(("roots", "demo")):
        await load_document(session, read_document(str(filename)))
    return client


async def get_json(client: Client, url: str, status: int = 200) -> Any:
    resp = await client.get(url)
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_a_data_path_searches_its_subtree_with_facets(client: Client) -> None:
    body = await get_json(client, f"{SHIRTS}.search.json?q=polo&pagesize=1&facet_color=blue")
    assert set(body) == {"products", "facets", "sorts", "total", "page", "pagesize", "pages"}
    assert (body["total"], body["page"], body["pagesize"], body["pages"]) == (2, 0, 1, 2)
    assert body["products"] == [
        {
            "path": f"{SHIRTS}/harbor_polo",
            "sku": "GOMSH002",
            "title": "Harbor Polo",
            "price": {"amount": "41.50", "currency": "USD", "formatted": "$41.50"},
        }
    ]
    facets = {f["id"]: f for f in body["facets"]}
    assert [f["id"] for f in body["facets"]] == ["color", "size", "category"]
    color = facets["color"]
    assert (color["label"], color["multiSelect"]) == ("Color", True)
    blue = next(v for v in color["values"] if v["value"] == "blue")
    assert (blue["count"], blue["selected"], blue["params"]) == (2, True, "q=polo&pagesize=1")
    navy = next(v for v in color["values"] if v["value"] == "navy")
    assert navy == {
        "value": "navy",
        "count": 1,
        "selected": False,
        "params": "facet_color=blue&facet_color=navy&q=polo&pagesize=1",
    }
    assert facets["category"]["multiSelect"] is False
    assert [s["id"] for s in body["sorts"] if s["selected"]] == ["relevance"]


async def test_a_page_searches_the_catalog_its_references_point_into(client: Client) -> None:
    body = await get_json(client, f"{PAGES}/men.search.json?pagesize=-1")
    assert body["pagesize"] == -1
    assert body["pages"] == 1
    assert len(body["products"]) == body["total"] > 10
    assert all(p["path"].startswith(f"{CATALOG}/men/") for p in body["products"])
    categories = {v["value"] for v in body["facets"][-1]["values"]}
    assert {"shirts", "pants"} <= categories
    # A product page: the folder holding its product.
    page = await get_json(client, f"{PAGES}/men/shirts/harbor-polo.search.json?sort=name-asc")
    assert {p["path"].rsplit("/", 1)[0] for p in page["products"]} == {SHIRTS}
    titles = [p["title"] for p in page["products"]]
    assert titles == sorted(titles, key=str.casefold)


async def test_price_sorts_and_category_facet(client: Client) -> None:
    up = await get_json(client, f"{CATALOG}.search.json?sort=price-asc&pagesize=-1")
    amounts = [float(p["price"]["amount"]) for p in up["products"] if p["price"]]
    assert amounts == sorted(amounts)
    down = await get_json(
        client, f"{CATALOG}.search.json?sort=price-desc&pagesize=3&facet_category=men/shirts"
    )
    assert all(p["path"].startswith(f"{SHIRTS}/") for p in down["products"])
    shown = [float(p["price"]["amount"]) for p in down["products"]]
    assert shown == sorted(shown, reverse=True)
    category = down["facets"][-1]
    chosen = [v for v in category["values"] if v["selected"]]
    assert [v["value"] for v in chosen] == ["men/shirts"]
    other = next(v for v in category["values"] if not v["selected"])
    # Single-select: another category replaces the chosen one.
    assert other["params"] == f"facet_category={other['value'].replace('/', '%2F')}" + (
        "&pagesize=3&sort=price-desc"
    )


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("pagesize=-2", "invalid-pagesize"),
        ("pagesize=0", "invalid-pagesize"),
        ("pagesize=abc", "invalid-pagesize"),
        ("page=-1", "invalid-page"),
        ("page=1e3", "invalid-page"),
        ("sort=cheapest", "unknown-sort"),
        ("q=" + "+".join(["w"] * 40), "invalid-search-text"),
        ("locale=1%2F2", "currency"),
        ("facet_a%20b=x", "unknown-facet"),
    ],
)
async def test_bad_parameters_are_400s(client: Client, query: str, code: str) -> None:
    await assert_error(await client.get(f"{CATALOG}.search.json?{query}"), 400, code)


async def test_missing_resources_and_pages_without_products(client: Client) -> None:
    await assert_error(await client.get(f"{CATALOG}/nothing.search.json"), 404, "node-not-found")
    await assert_error(
        await client.get("/content/geometrixx-outdoors/jcr:content.search.json?q=x"),
        404,
        "no-catalog",
    )
