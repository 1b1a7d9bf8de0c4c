"""GET /bin/querybuilder.json: AEM QueryBuilder parameters, the AEM answer, hits, errors."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web

from repo_server.http.query_http import query_options_key
from repo_server.query.engine import QueryOptions

from .query_support import AssertError, Client, MakeClient

QB = "/bin/querybuilder.json"
SHOP = "/content/shop"


async def query(client: Client, params: dict[str, str] | list[tuple[str, str]], **kw: Any) -> Any:
    resp = await client.get(QB, params=params, **kw)
    assert resp.status == 200, await resp.text()
    return await resp.json()


def hit_paths(body: Any) -> list[str]:
    return [h["path"] if "path" in h else h["jcr:path"] for h in body["hits"]]


async def test_the_answer_has_aem_s_shape_and_simple_hits(client: Client) -> None:
    body = await query(client, {"path": "/content/site", "type": "cq:Page", "path.self": "true"})
    assert body == {
        "success": True,
        "results": 2,
        "total": 2,
        "more": False,
        "offset": 0,
        "hits": [
            {
                "path": "/content/site",
                "excerpt": "",
                "name": "site",
                "title": "Site home",
                "lastModified": "2024-05-01 00:00:00",
            },
            {
                "path": "/content/site/about",
                "excerpt": "",
                "name": "about",
                "title": "About the shop",
                "lastModified": None,
            },
        ],
    }


async def test_the_default_page_is_ten_hits_and_p_limit_minus_one_is_all(client: Client) -> None:
    first = await query(client, {"path": SHOP})
    assert (first["results"], first["total"]) == (10, 12)
    everything = await query(client, {"path": SHOP, "p.limit": "-1"})
    assert everything["results"] == 12
    rest = await query(client, {"path": SHOP, "p.offset": "10"})
    assert (rest["results"], rest["offset"]) == (2, 10)
    assert hit_paths(rest) == [f"{SHOP}/p11", f"{SHOP}/p12"]


async def test_property_values_operations_and_numbered_predicates(client: Client) -> None:
    one = await query(client, {"path": SHOP, "property": "color", "property.value": "blue"})
    assert one["total"] == 4
    either = await query(
        client,
        {"path": SHOP, "property": "color", "property.1_value": "blue", "property.2_value": "red"},
    )
    assert either["total"] == 8
    both = await query(
        client,
        {
            "path": SHOP,
            "1_property": "color",
            "1_property.value": "blue",
            "2_property": "onSale",
            "2_property.value": "true",
        },
    )
    assert hit_paths(both) == [f"{SHOP}/p02", f"{SHOP}/p08"]
    unequal = await query(
        client,
        {
            "path": SHOP,
            "property": "color",
            "property.value": "red",
            "property.operation": "unequals",
        },
    )
    assert unequal["total"] == 8
    like = await query(
        client,
        {
            "path": "/content",
            "property": "sku",
            "property.value": "HAT%",
            "property.operation": "like",
        },
    )
    assert hit_paths(like) == ["/content/notes/hats"]
    exists = await query(
        client, {"path": "/content", "property": "sku", "property.operation": "exists"}
    )
    assert exists["total"] == 13
    absent = await query(
        client,
        {"path": "/content/site", "property": "jcr:title", "property.operation": "not"},
    )
    assert hit_paths(absent) == ["/content/site/about"]
    all_of = await query(
        client,
        {
            "path": SHOP,
            "property": "tags",
            "property.1_value": "sale",
            "property.2_value": "new",
            "property.and": "true",
        },
    )
    assert all_of["total"] == 6


async def test_nodename_and_path_flat_and_exact(client: Client) -> None:
    body = await query(client, {"path": SHOP, "nodename": "p1*"})
    assert hit_paths(body) == [f"{SHOP}/p10", f"{SHOP}/p11", f"{SHOP}/p12"]
    flat = await query(client, {"path": "/content", "path.flat": "true", "p.limit": "-1"})
    children = [p for p in hit_paths(flat) if p != "/content/rep:policy"]  # admin sees ACLs
    assert children == ["/content/notes", "/content/shop", "/content/site"]
    exact = await query(client, {"path": "/content/notes", "path.exact": "true"})
    assert hit_paths(exact) == ["/content/notes"]


async def test_fulltext_hits_carry_an_excerpt(client: Client) -> None:
    body = await query(client, {"fulltext": "hats", "p.limit": "-1"})
    assert hit_paths(body) == ["/content/notes/hats", "/content/site/about/jcr:content"]
    assert "<strong>Hats</strong>" in body["hits"][0]["excerpt"]
    scoped = await query(client, {"fulltext": "shirts", "fulltext.relPath": "@text"})
    assert hit_paths(scoped) == ["/content/site/about/jcr:content"]


async def test_daterange_and_rangeproperty(client: Client) -> None:
    dates = await query(
        client,
        {
            "path": SHOP,
            "daterange.property": "released",
            "daterange.lowerBound": "2024-01-03",
            "daterange.lowerOperation": ">=",
            "daterange.upperBound": "2024-01-05T00:00:00.000Z",
        },
    )
    assert hit_paths(dates) == [f"{SHOP}/p02", f"{SHOP}/p03"]
    numbers = await query(
        client,
        {
            "path": SHOP,
            "rangeproperty.property": "price",
            "rangeproperty.lowerBound": "100",
            "rangeproperty.lowerOperation": ">=",
        },
    )
    assert hit_paths(numbers) == [f"{SHOP}/p10", f"{SHOP}/p11", f"{SHOP}/p12"]


async def test_orderby_property_path_and_a_predicate(client: Client) -> None:
    dear = await query(
        client, {"path": SHOP, "orderby": "@price", "orderby.sort": "desc", "p.limit": "2"}
    )
    assert hit_paths(dear) == [f"{SHOP}/p12", f"{SHOP}/p11"]
    by_pred = await query(
        client,
        {
            "path": SHOP,
            "1_property": "weight",
            "1_property.operation": "exists",
            "orderby": "1_property",
            "p.limit": "1",
        },
    )
    assert hit_paths(by_pred) == [f"{SHOP}/p01"]
    two_keys = await query(
        client,
        {
            "path": SHOP,
            "1_orderby": "@color",
            "2_orderby": "path",
            "2_orderby.sort": "desc",
            "p.limit": "2",
        },
    )
    assert hit_paths(two_keys) == [f"{SHOP}/p11", f"{SHOP}/p08"]


async def test_groups_with_p_or(client: Client) -> None:
    body = await query(
        client,
        {
            "group.p.or": "true",
            "group.1_path": "/content/notes",
            "group.2_nodename": "p01",
            "property": "sku",
            "property.operation": "exists",
        },
    )
    assert hit_paths(body) == ["/content/notes/hats", f"{SHOP}/p01"]
    nested = await query(
        client,
        {
            "path": SHOP,
            "group.p.not": "true",
            "group.1_group.p.or": "true",
            "group.1_group.1_property": "color",
            "group.1_group.1_property.value": "red",
            "group.1_group.2_property": "color",
            "group.1_group.2_property.value": "green",
        },
    )
    assert nested["total"] == 4


async def test_full_hits_are_the_node_json(client: Client) -> None:
    body = await query(
        client,
        {"path": "/content/site", "path.exact": "true", "p.hits": "full", "p.nodedepth": "1"},
    )
    hit = body["hits"][0]
    assert hit["jcr:path"] == "/content/site"
    assert hit["jcr:primaryType"] == "cq:Page"
    assert hit["jcr:content"]["jcr:title"] == "Site home"
    assert "about" in hit
    flat = await query(client, {"path": SHOP, "nodename": "p02", "p.hits": "full"})
    product = flat["hits"][0]
    assert (product["sku"], product["price"], product["onSale"]) == ("SKU-002", 20, True)
    assert product["released"].startswith("Wed Jan 03 2024")


async def test_selective_hits_hold_the_named_properties(client: Client) -> None:
    body = await query(
        client,
        {
            "path": SHOP,
            "nodename": "p02",
            "p.hits": "selective",
            "p.properties": "jcr:path sku nope",
        },
    )
    assert body["hits"] == [{"jcr:path": f"{SHOP}/p02", "sku": "SKU-002"}]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"foo": "bar"}, "unknown-predicate"),
        ({"Path": "/content"}, "unknown-predicate"),
        ({"p.weird": "1"}, "unknown-predicate"),
        ({"path": "content"}, "invalid-path"),
        ({"path": "/content", "path.deep": "true"}, "invalid-predicate"),
        ({"path": "/content", "path.flat": "maybe"}, "invalid-predicate"),
        ({"type": "nt:nothing"}, "invalid-predicate"),
        ({"property": "color"}, "invalid-predicate"),
        (
            {"property": "color", "property.value": "x", "property.operation": "gt"},
            "invalid-predicate",
        ),
        ({"property": "jcr:content/cq:template", "property.value": "x"}, "invalid-predicate"),
        ({"daterange.property": "released", "daterange.lowerBound": "yesterday"}, "invalid-date"),
        ({"daterange.property": "released", "daterange.lowerBound": "2024-13-45"}, "invalid-date"),
        ({"rangeproperty.property": "price", "rangeproperty.lowerBound": "ten"}, "invalid-range"),
        ({"rangeproperty.property": "price"}, "invalid-range"),
        (
            {
                "rangeproperty.property": "price",
                "rangeproperty.upperBound": "1",
                "rangeproperty.upperOperation": "=<",
            },
            "invalid-range",
        ),
        ({"fulltext": "-shirt"}, "invalid-fulltext"),
        ({"p.limit": "-2"}, "invalid-limit"),
        ({"p.limit": "ten"}, "invalid-limit"),
        ({"p.offset": "-1"}, "invalid-limit"),
        ({"p.hits": "everything"}, "invalid-query"),
        ({"orderby": "title"}, "invalid-orderby"),
        ({"orderby": "@price", "orderby.sort": "sideways"}, "invalid-orderby"),
        ({"group.1_orderby": "@price"}, "unknown-predicate"),
    ],
)
async def test_bad_parameters_are_400s_with_stable_codes(
    client: Client, assert_error: AssertError, params: dict[str, str], code: str
) -> None:
    await assert_error(await client.get(QB, params=params), 400, code)


async def test_results_leave_out_what_the_user_may_not_read(
    client: Client, assert_error: AssertError
) -> None:
    created = await client.post(
        "/system/userManager/user.create.json",
        data={":name": "alice", "pwd": "pw", "pwdConfirm": "pw"},
    )
    assert created.status == 200, await created.text()
    deny = await client.post(
        f"{SHOP}/p03.modifyAce.json", data={"principalId": "alice", "privilege@jcr:read": "denied"}
    )
    assert deny.status == 200, await deny.text()
    alice = {"Authorization": aiohttp.encode_basic_auth("alice", "pw")}
    products = {"path": SHOP, "nodename": "p*", "p.limit": "-1"}
    mine = await query(client, products, headers=alice)
    assert mine["total"] == 11
    assert f"{SHOP}/p03" not in hit_paths(mine)
    admin = await query(client, products)
    assert admin["total"] == 12
    text = await query(client, {"fulltext": "number 3"}, headers=alice)
    assert f"{SHOP}/p03" not in hit_paths(text)
    anonymous = await client.get(QB, params={"path": SHOP}, headers={"Authorization": ""})
    assert anonymous.status in (200, 401)


async def test_a_query_over_the_read_limit_is_a_400(
    settings: Any, make_client: MakeClient, assert_error: AssertError
) -> None:
    from repo_server.http.app import create_app

    app: web.Application = create_app(settings)
    app[query_options_key] = QueryOptions(read_limit=5)
    client = await make_client(app)
    resp = await client.get(QB, params={"path": SHOP, "property": "color", "property.value": "red"})
    body = await assert_error(resp, 400, "query-limit-exceeded")
    assert body["details"]["limit"] == 5
    small = await client.get(QB, params={"path": "/content/notes"})
    assert small.status == 200
