"""GET renderings: JSON depths and flags, value types, the node limit, properties, star, 404s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from ..http_support import Client

AssertError = Callable[[aiohttp.ClientResponse, int, str], Awaitable[dict[str, Any]]]
Post = Callable[..., Awaitable[aiohttp.ClientResponse]]


async def test_node_json_is_compact_with_primary_type_first(client: Client, post: Post) -> None:
    assert (await post("/t/n", [("title", "Hello"), ("f", "1"), ("f", "2")])).status == 201
    resp = await client.get("/t/n.json")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    text = await resp.text()
    assert text == '{"jcr:primaryType":"nt:unstructured","title":"Hello","f":["1","2"]}'
    assert resp.headers["ETag"].startswith('"')


async def test_depth_selectors_nest_children_in_child_order(client: Client, post: Post) -> None:
    await post("/t", [("c/x", "1"), ("a/y", "2"), ("a/b/z", "3")])
    zero = await (await client.get("/t.json")).json()
    assert "a" not in zero
    one = await (await client.get("/t.1.json")).json()
    assert list(k for k, v in one.items() if isinstance(v, dict)) == ["c", "a"]
    assert "b" not in one["a"]
    inf = await (await client.get("/t.infinity.json")).json()
    assert inf["a"]["b"]["z"] == "3"
    assert await (await client.get("/t.-1.json")).json() == inf


@pytest.mark.parametrize("selectors", [".notAnInteger", ".-2", ".42.more", ".01"])
async def test_a_last_selector_that_is_no_depth_is_400(
    client: Client, post: Post, assert_error: AssertError, selectors: str
) -> None:
    await post("/t", [("x", "1")])
    await assert_error(await client.get(f"/t{selectors}.json"), 400, "invalid-selector")


async def test_tidy_and_harray_flags(client: Client, post: Post) -> None:
    await post("/t", [("x", "1"), ("first/m", "a"), ("second/m", "b")])
    tidy = await (await client.get("/t.tidy.json")).text()
    assert tidy.count("\n") >= 2
    assert '  "x": "1"' in tidy
    last_tidy = await (await client.get("/t.1.tidy.json")).json()
    assert "first" not in last_tidy
    harray = await (await client.get("/t.harray.1.json")).json()
    assert [c["__name__"] for c in harray["__children__"]] == ["first", "second"]
    assert next(iter(harray["__children__"][0])) == "__name__"
    assert "__children__" not in await (await client.get("/t.harray.json")).json()


async def test_values_render_by_type(client: Client, post: Post) -> None:
    fields = [
        ("l", "42"),
        ("l@TypeHint", "Long"),
        ("d", "2"),
        ("d@TypeHint", "Double"),
        ("dec", "1.50"),
        ("dec@TypeHint", "Decimal"),
        ("b", "TRUE"),
        ("b@TypeHint", "Boolean"),
        ("date", "2009-07-14T10:20:30.000+02:00"),
        ("date@TypeHint", "Date"),
        ("bin", "abcd"),
        ("bin@TypeHint", "Binary"),
        ("empty", ""),
        ("empty@TypeHint", "String[]"),
        ("empty@IgnoreBlanks", "false"),
    ]
    assert (await post("/t", fields)).status == 201
    text = await (await client.get("/t.json")).text()
    assert '"l":42' in text
    assert '"d":2.0' in text
    assert '"dec":"1.50"' in text
    assert '"b":true' in text
    assert '"date":"Tue Jul 14 2009 10:20:30 GMT+0200"' in text
    assert '":bin":4' in text


async def test_too_many_nodes_answer_300_with_the_depths_that_fit(
    client: Client, post: Post
) -> None:
    chain = "/".join("bcdefghijklmnopqrs")
    await post("/t", [(f"a{i}/{chain}", "yes") for i in range(20)])
    resp = await client.get("/t.infinity.json")
    assert resp.status == 300
    assert await resp.json() == [f"/t.{d}.json" for d in range(10, -1, -1)]
    tidy = await client.get("/t.tidy.infinity.json")
    assert (await tidy.json())[0] == "/t.tidy.10.json"
    assert (await client.get("/t.1.json")).status == 200
    assert (await client.get("/t.10.json")).status == 200


async def test_property_resources(client: Client, post: Post, assert_error: AssertError) -> None:
    await post(
        "/t", [("text", "hi"), ("multi", "a"), ("multi", "b"), ("n", "7"), ("n@TypeHint", "Long")]
    )
    assert await (await client.get("/t/text.json")).json() == {"text": "hi"}
    assert await (await client.get("/t/n.json")).json() == {"n": "7"}
    assert await (await client.get("/t/multi.json")).json() == {"multi": ["a", "b"]}
    assert await (await client.get("/t/text")).text() == "hi"
    assert await (await client.get("/t/multi.txt")).text() == "[a, b]"
    await assert_error(await client.get("/t/multi"), 403, "forbidden")
    await assert_error(await client.get("/t/text.pdf"), 404, "not-found")
    assert await (await client.get("/t/jcr:primaryType")).text() == "nt:unstructured"


async def test_star_resources_render_an_empty_object(client: Client) -> None:
    for path in ("/*.json", "/nothing/*.json", "/nothing/*.12.json"):
        resp = await client.get(path)
        assert resp.status == 200, path
        assert await resp.json() == {}
    assert (await client.get("/x/*.html")).status == 200


async def test_missing_resources_and_unknown_extensions_are_404(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    await assert_error(await client.get("/missing.json"), 404, "node-not-found")
    await assert_error(await client.get("/missing"), 404, "node-not-found")
    await post("/t", [("x", "1")])
    await assert_error(await client.get("/t.pdf"), 404, "not-found")
    await assert_error(await client.get("/t.someWeirdExtension"), 404, "not-found")


async def test_dots_in_names_resolve_right_to_left(client: Client, post: Post) -> None:
    assert (await post("/t/page.html", [("x", "1")])).status == 201
    assert (await (await client.get("/t/page.html.json")).json())["x"] == "1"
    assert (await client.get("/t/page.json")).status == 404
    assert (await client.get("/t/page.html.tidy.json")).status == 200


async def test_root_renders_like_any_node(client: Client, post: Post) -> None:
    await post("/top", [("x", "1")])
    root = await (await client.get("/.json")).json()
    assert root["jcr:primaryType"] == "rep:root"
    assert "top" in await (await client.get("/.1.json")).json()


async def test_text_xml_and_html_renderings(client: Client, post: Post) -> None:
    await post("/t", [("x", "<b>"), ("child/y", "2")])
    txt = await client.get("/t.txt")
    assert txt.headers["Content-Type"].startswith("text/plain")
    assert "x: <b>\n" in await txt.text()
    page = await (await client.get("/t.html")).text()
    assert "&lt;b&gt;" in page
    assert 'href="/t/child.html"' in page
    assert '<property name="x"' in await (await client.get("/t.xml")).text()
    assert (await client.get("/t")).headers["Content-Type"].startswith("text/html")


async def test_head_answers_without_a_body(client: Client, post: Post) -> None:
    await post("/t", [("x", "1")])
    resp = await client.head("/t.json")
    assert resp.status == 200
    assert await resp.read() == b""
    assert "ETag" in resp.headers


async def test_if_none_match_with_the_current_etag_gives_304(client: Client, post: Post) -> None:
    await post("/t", [("x", "1")])
    etag = (await client.get("/t.json")).headers["ETag"]
    again = await client.get("/t.json", headers={"If-None-Match": etag})
    assert again.status == 304
    await post("/t", [("x", "2")])
    changed = await client.get("/t.json", headers={"If-None-Match": etag})
    assert changed.status == 200
    assert (await changed.json())["x"] == "2"


async def test_a_cached_rendering_follows_every_commit(client: Client, post: Post) -> None:
    await post("/t", [("x", "1")])
    assert (await (await client.get("/t.json")).json())["x"] == "1"
    await post("/t", [("x", "2")])
    assert (await (await client.get("/t.json")).json())["x"] == "2"
    await post("/t", [(":operation", "delete")])
    assert (await client.get("/t.json")).status == 404


async def test_a_file_node_without_extension_answers_its_bytes(client: Client) -> None:
    form = aiohttp.FormData()
    form.add_field("./*", b"hello file", filename="doc.txt", content_type="text/plain")
    assert (await client.post("/files", data=form)).status == 201
    raw = await client.get("/files/doc.txt")
    assert raw.status == 200
    assert await raw.read() == b"hello file"
    assert raw.headers["Content-Type"].startswith("text/plain")


async def test_plugin_renderers_are_consulted_by_selector_and_extension(
    client: Client, app: web.Application, post: Post
) -> None:
    from repo_server.http.keys import extensions_key

    async def product(
        request: web.Request, session: Any, path: str, selectors: tuple[str, ...]
    ) -> web.StreamResponse:
        return web.json_response({"product": path, "selectors": list(selectors)})

    app[extensions_key].renderers[("product", "json")] = product
    await post("/t", [("x", "1")])
    body = await (await client.get("/t.product.json")).json()
    assert body == {"product": "/t", "selectors": ["product"]}
