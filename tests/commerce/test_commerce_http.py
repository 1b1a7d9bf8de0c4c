"""`.product.json` and `.commerce.json` through the real app (issue 4, HTTP)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.extensions import Extensions
from repo_server.http.app import create_app
from repo_server.http.keys import repository_key

from ..http_support import Client, assert_error
from .commerce_support import (
    BANYAN,
    BANYAN_PAGE,
    BANYAN_REF,
    HYBRIS_EXAMPLE,
    JCR_EXAMPLE,
    SALE_REF,
    SHIRT,
    SHIRT_REF,
    load_sets,
)

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, settings: Settings, extensions: Extensions
) -> Client:
    app = create_app(settings, extensions=extensions)
    token = base64.b64encode(f"admin:{settings.admin_password}".encode()).decode("ascii")
    client = await aiohttp_client(app, headers={"Authorization": f"Basic {token}"})
    session = app[repository_key].session("admin")
    await load_sets(session, "roots", "examples")
    return client


async def get_json(client: Client, url: str, status: int = 200) -> Any:
    resp = await client.get(url)
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_a_data_product_renders_with_its_variants(client: Client) -> None:
    resp = await client.get(f"{BANYAN}.product.json")
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    body = await resp.json()
    assert body["path"] == BANYAN
    assert (body["sku"], body["title"]) == ("banyan_shirt", "Banyan Shirt")
    assert body["description"] == "Flowery, all-cotton shirt."
    assert (body["imageUrl"], body["thumbnailUrl"], body["pagePath"]) == (None, None, None)
    assert body["commerceProvider"] == "jcr"
    assert body["variantAxes"] == ["color", "size"]
    assert body["properties"]["price"] == "14.00"  # Decimal renders as a string, as in .json
    assert body["properties"]["cq:productVariantAxes"] == ["color", "size"]
    assert len(body["variants"]) == 7
    assert body["variants"][2] == {
        "path": f"{BANYAN}/banyan_shirt_m/banyan_shirt_m_red",
        "sku": "banyan_shirt_m_red",
        "title": "Banyan Shirt",
        "color": "red",
        "size": "M",
        "price": "14.00",
    }
    assert body["variants"][-1]["price"] == "18.00"
    assert body["variants"][-1]["color"] is None


async def test_a_variant_renders_resolved_properties_and_the_family(client: Client) -> None:
    body = await get_json(client, f"{BANYAN}/banyan_shirt_m/banyan_shirt_m_red.product.json")
    assert body["properties"]["size"] == "M"
    assert body["properties"]["color"] == "red"
    assert body["properties"]["price"] == "14.00"
    assert body["properties"]["jcr:title"] == "Banyan Shirt"
    assert len(body["variants"]) == 7


async def test_a_reference_and_its_page_render_the_reference(client: Client) -> None:
    ref = await get_json(client, f"{BANYAN_REF}.product.json")
    page = await get_json(client, f"{BANYAN_PAGE}.product.json")
    assert ref == page
    assert (ref["path"], ref["pagePath"]) == (BANYAN_REF, BANYAN_PAGE)
    assert ref["properties"]["productData"] == BANYAN
    assert [v["path"].startswith(BANYAN_REF) for v in ref["variants"]] == [True] * 7


async def test_a_local_override_wins_over_http(client: Client) -> None:
    body = await get_json(client, f"{SALE_REF}.product.json")
    assert body["properties"]["price"] == "12.00"
    assert body["variants"] == []


async def test_a_reference_without_variant_children_lists_the_data_variants(
    client: Client,
) -> None:
    body = await get_json(client, f"{SHIRT_REF}.product.json")
    assert [v["sku"] for v in body["variants"]] == ["shirt-l"]
    assert body["variants"][0]["price"] == "20.00"


async def test_the_sibling_variant_renders_with_no_variants(client: Client) -> None:
    body = await get_json(client, f"{JCR_EXAMPLE}/adobe-logo-shirt_XL.product.json")
    assert body["commerceProvider"] == "jcr"
    assert body["properties"]["size"] == "XL"
    assert body["properties"]["price"] == "14.50"
    assert (body["variantAxes"], body["variants"]) == ([], [])


async def test_filters_keep_the_variants_matching_all_of_them(client: Client) -> None:
    blue = await get_json(client, f"{BANYAN}.product.json?filter=color:blue")
    assert [v["sku"] for v in blue["variants"]] == [
        "banyan_shirt_s_blue",
        "banyan_shirt_m_blue",
        "banyan_shirt_l_blue",
    ]
    both = await get_json(client, f"{BANYAN_REF}.product.json?filter=color:blue&filter=size:M")
    assert [v["sku"] for v in both["variants"]] == ["banyan_shirt_m_blue"]
    none = await get_json(client, f"{BANYAN}.product.json?filter=size:XXL")
    assert none["variants"] == []


@pytest.mark.parametrize("value", ["color", ":blue", "color:"])
async def test_a_malformed_filter_is_a_400(client: Client, value: str) -> None:
    resp = await client.get(f"{BANYAN}.product.json", params={"filter": value})
    await assert_error(resp, 400, "invalid-filter")


async def test_a_filter_on_an_unknown_axis_is_a_400(client: Client) -> None:
    resp = await client.get(f"{BANYAN}.product.json?filter=fit:slim")
    body = await assert_error(resp, 400, "invalid-filter")
    assert body["details"]["axis"] == "fit"


async def test_a_resource_that_is_not_a_product_is_a_404(client: Client) -> None:
    await assert_error(await client.get(f"{JCR_EXAMPLE}.product.json"), 404, "not-a-product")
    await assert_error(await client.get("/content/big-and-tall.product.json"), 404, "not-a-product")
    await assert_error(await client.get("/nothing/here.product.json"), 404, "node-not-found")


async def test_content_under_hybris_is_a_503_naming_the_provider(client: Client) -> None:
    for url in (
        f"{HYBRIS_EXAMPLE}/mens/polo-shirt-1.product.json",
        f"{HYBRIS_EXAMPLE}.commerce.json",
    ):
        resp = await client.get(url)
        body = await assert_error(resp, 503, "provider-unavailable")
        assert "hybris" in body["message"]
        assert body["details"]["provider"] == "hybris"
        assert "Retry-After" in resp.headers


async def test_a_product_data_cycle_is_a_409_not_a_500(client: Client) -> None:
    session = client.app[repository_key].session("admin")
    await session.set_property(SHIRT, "productData", SHIRT_REF)
    await session.save()
    await assert_error(await client.get(f"{SHIRT_REF}.product.json"), 409, "product-structure")


async def test_commerce_json_tells_provider_source_and_ranking(client: Client) -> None:
    by_ancestor = await get_json(client, f"{JCR_EXAMPLE}/adobe-logo-shirt_XL.commerce.json")
    assert by_ancestor == {"provider": "jcr", "source": JCR_EXAMPLE, "ranking": 0}
    by_page = await get_json(client, f"{SHIRT_REF}.commerce.json")
    assert by_page["source"] == "/content/big-and-tall/jcr:content"
    by_ranking = await get_json(client, f"{SHIRT}/shirt-s.commerce.json")
    assert by_ranking == {"provider": "jcr", "source": None, "ranking": 0}


async def test_plain_json_is_left_to_the_repository(client: Client) -> None:
    body = await get_json(client, f"{SHIRT}.json")
    assert body["price"] == "20.00"
    assert "variants" not in body


async def test_a_commit_refreshes_a_cached_rendering(client: Client) -> None:
    first = await get_json(client, f"{BANYAN}.product.json")
    assert await get_json(client, f"{BANYAN}.product.json") == first
    session = client.app[repository_key].session("admin")
    await session.set_property(f"{BANYAN}/banyan_shirt_xl", "price", "19.00")
    await session.save()
    again = await get_json(client, f"{BANYAN}.product.json")
    assert again["variants"][-1]["price"] == "19.00"
    filtered = await get_json(client, f"{BANYAN}.product.json?filter=size:XL")
    assert [v["price"] for v in filtered["variants"]] == ["19.00"]


async def test_the_plugin_s_node_types_reach_the_repository(client: Client) -> None:
    registry = client.app[repository_key].registry
    assert registry.effective("nt:folder", ("cq:Commerce",)).includes("cq:Commerce")
