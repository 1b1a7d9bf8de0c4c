"""POST operations: delete, move, copy, import, nop, plugins; redirects, status modes, formats."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from ..http_support import Client

AssertError = Callable[[aiohttp.ClientResponse, int, str], Awaitable[dict[str, Any]]]
Post = Callable[..., Awaitable[aiohttp.ClientResponse]]


async def exists(client: Client, path: str) -> bool:
    return (await client.get(path + ".json")).status == 200


async def test_delete_removes_the_subtree(client: Client, post: Post) -> None:
    await post("/t/a/b", [("x", "1")])
    resp = await post("/t/a", [(":operation", "delete")])
    assert resp.status == 200
    assert (await resp.json())["changes"] == [{"type": "deleted", "argument": "/t/a"}]
    assert not await exists(client, "/t/a")


@pytest.mark.parametrize("url", ["/t.html", "/t.other/nothing", "/t/some.node.selector.html/x"])
async def test_delete_with_selectors_or_suffix_is_403(
    client: Client, post: Post, assert_error: AssertError, url: str
) -> None:
    await post("/t/some", [("x", "1")])
    await assert_error(await post(url, [(":operation", "delete")]), 403, "delete-with-selectors")
    assert await exists(client, "/t/some")


async def test_delete_apply_to_with_stars(client: Client, post: Post) -> None:
    await post("/t", [("a/x", "1"), ("b/x", "1"), ("sub/c/x", "1"), ("sub/d/x", "1")])
    await post(
        "/t",
        [(":operation", "delete"), (":applyTo", "a"), (":applyTo", "sub/*"), (":applyTo", "gone")],
    )
    body = await (await client.get("/t.2.json")).json()
    assert "a" not in body
    assert "b" in body
    assert body["sub"] == {"jcr:primaryType": "nt:unstructured"}
    await post("/t", [(":operation", "delete"), (":applyTo", "/*")])
    assert await exists(client, "/t")
    assert "b" not in await (await client.get("/t.1.json")).json()


async def test_delete_of_a_missing_resource_is_404(post: Post, assert_error: AssertError) -> None:
    await assert_error(await post("/nothing", [(":operation", "delete")]), 404, "node-not-found")


@pytest.mark.parametrize(
    ("dest", "where"),
    [
        ("/content/new", "/content/new"),
        ("other/new", "/content/other/new"),
        ("/content/other/", "/content/other/sample"),
        ("other/", "/content/other/sample"),
    ],
)
async def test_move_destinations(client: Client, post: Post, dest: str, where: str) -> None:
    await post("/content/sample", [("x", "1")])
    await post("/content/other", [("y", "1")])
    resp = await post("/content/sample", [(":operation", "move"), (":dest", dest)])
    assert resp.status == 201, await resp.text()
    assert resp.headers["Location"] == where
    assert (await resp.json())["changes"] == [
        {"type": "moved", "argument": ["/content/sample", where]}
    ]
    assert await exists(client, where)
    assert not await exists(client, "/content/sample")


async def test_move_onto_an_existing_node_needs_replace(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    await post("/t", [("a/x", "1"), ("b/y", "2")])
    await assert_error(
        await post("/t/a", [(":operation", "move"), (":dest", "b")]), 412, "destination-exists"
    )
    resp = await post("/t/a", [(":operation", "move"), (":dest", "b"), (":replace", "TRUE")])
    assert resp.status == 200
    assert (await (await client.get("/t/b.json")).json())["x"] == "1"


async def test_move_errors(post: Post, assert_error: AssertError) -> None:
    await post("/t/a", [("x", "1")])
    await assert_error(await post("/t/a", [(":operation", "move")]), 500, "missing-destination")
    await assert_error(
        await post("/t/a", [(":operation", "move"), (":dest", "/nope/here")]),
        412,
        "destination-parent-missing",
    )
    await assert_error(
        await post("/t/a", [(":operation", "copy"), (":dest", "/t/a/inside")]),
        409,
        "move-into-descendant",
    )
    await assert_error(
        await post("/t/missing", [(":operation", "move"), (":dest", "/t/b")]), 404, "node-not-found"
    )


async def test_copy_with_apply_to_into_a_folder(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    await post("/t", [("a/x", "1"), ("b/x", "2"), ("dest/a/old", "z")])
    resp = await post(
        "/t", [(":operation", "copy"), (":dest", "/t/dest/"), (":applyTo", "a"), (":applyTo", "b")]
    )
    assert resp.status == 200
    body = await (await client.get("/t.2.json")).json()
    assert body["a"]["x"] == "1"
    assert body["dest"]["a"] == {
        "jcr:primaryType": "nt:unstructured",
        "x": "1",
    }
    assert body["dest"]["b"]["x"] == "2"
    await assert_error(
        await post("/t", [(":operation", "copy"), (":dest", "/t/nodest"), (":applyTo", "a")]),
        500,
        "destination-not-folder",
    )
    await assert_error(
        await post("/t", [(":operation", "copy"), (":dest", "/t/dest"), (":applyTo", "a")]),
        412,
        "destination-exists",
    )


async def test_copy_with_order(client: Client, post: Post) -> None:
    await post("/t", [("a/x", "1"), ("b/x", "2")])
    resp = await post("/t/b", [(":operation", "copy"), (":dest", "c"), (":order", "first")])
    assert resp.status == 201
    names = [
        k for k, v in (await (await client.get("/t.1.json")).json()).items() if isinstance(v, dict)
    ]
    assert names == ["c", "a", "b"]


async def test_import_json_with_name_replace_and_merge(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    doc = {"title": "imported", "child": {"jcr:primaryType": "sling:Folder", "n": 5, "f": 1.5}}
    resp = await post(
        "/t",
        [
            (":operation", "import"),
            (":contentType", "json"),
            (":name", "imp"),
            (":content", json.dumps(doc)),
        ],
    )
    assert resp.status == 201
    assert (await resp.json())["path"] == "/t/imp"
    data = await (await client.get("/t/imp.1.json")).json()
    assert data["title"] == "imported"
    assert data["child"]["jcr:primaryType"] == "sling:Folder"
    assert (data["child"]["n"], data["child"]["f"]) == (5, 1.5)
    again = [
        (":operation", "import"),
        (":contentType", "json"),
        (":name", "imp"),
        (":content", "{}"),
    ]
    await assert_error(await post("/t", again), 412, "destination-exists")
    replaced = await post("/t", [*again, (":replace", "true")])
    assert replaced.status == 200
    assert "title" not in await (await client.get("/t/imp.json")).json()
    merge = [
        (":operation", "import"),
        (":contentType", "json"),
        (":content", '{"title": "new", "x": "1"}'),
    ]
    await post("/t/imp", merge)
    await post("/t/imp", [*merge[:2], (":content", '{"x": "2"}')])
    assert (await (await client.get("/t/imp.json")).json())["x"] == "1"
    await post("/t/imp", [*merge[:2], (":content", '{"x": "2"}'), (":replaceProperties", "true")])
    assert (await (await client.get("/t/imp.json")).json())["x"] == "2"


async def test_import_errors(post: Post, assert_error: AssertError) -> None:
    op = (":operation", "import")
    await assert_error(await post("/t", [op, (":contentType", "json")]), 412, "missing-parameter")
    await assert_error(await post("/t", [op, (":content", "{}")]), 412, "missing-parameter")
    await assert_error(
        await post("/t", [op, (":contentType", "json"), (":content", "{nope")]),
        400,
        "invalid-input",
    )
    await assert_error(
        await post("/t", [op, (":contentType", "json"), (":content", "{}"), (":name", "a*b")]),
        409,
        "illegal-node-name",
    )


@pytest.mark.parametrize(
    ("given", "status"), [("708", 708), ("88", 200), ("1234", 200), ("x", 200)]
)
async def test_nop_status(client: Client, post: Post, given: str, status: int) -> None:
    resp = await post("/t/nop", [(":operation", "nop"), (":nopstatus", given)])
    assert resp.status == status
    assert (await resp.json())["status.message"] == f"Null Operation Status: {status}"
    assert not await exists(client, "/t/nop")


async def test_unknown_operation_is_500(post: Post, assert_error: AssertError) -> None:
    body = await assert_error(
        await post("/t", [(":operation", "explode")]), 500, "unknown-operation"
    )
    assert body["error"]["class"] == "unknown-operation"
    assert body["changes"] == []


async def test_plugin_operations_are_dispatched_by_name(app: web.Application, post: Post) -> None:
    from repo_server.http.keys import extensions_key

    async def hello(
        request: web.Request, session: Any, path: str, params: Any
    ) -> web.StreamResponse:
        return web.json_response({"hello": path, "x": params.first("x")})

    app[extensions_key].operations["hello"] = hello
    resp = await post("/t", [(":operation", "hello"), ("x", "1")])
    assert await resp.json() == {"hello": "/t", "x": "1"}


@pytest.mark.parametrize(
    ("url", "redirect", "location"),
    [
        ("/a/b/", "*", "/a/b/Друга"),
        ("/a/b/c", "xyz/*", "/a/b/xyz/c"),
        ("/a/b/c", "*.html", "/a/b/c.html"),
        ("/a/b/c", "/forced", "/forced"),
        ("/a/b/c", "elsewhere/", "/a/b/elsewhere/c"),
    ],
)
async def test_redirects(client: Client, url: str, redirect: str, location: str) -> None:
    from urllib.parse import quote

    fields = [(":redirect", redirect), (":name", "Друга"), ("x", "1")]
    resp = await client.post(url, data=fields, allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == quote(location)


async def test_open_redirects_are_ignored(client: Client) -> None:
    for target in ("http://evil.example/", "//evil.example/x"):
        resp = await client.post("/a", data=[(":redirect", target)], allow_redirects=False)
        assert resp.status in (200, 201)


async def test_browser_status_mode_answers_200_and_failures_never_redirect(
    client: Client, post: Post
) -> None:
    await post("/t/a", [("x", "1")])
    fields = [
        (":operation", "move"),
        (":dest", "/nope/x"),
        (":status", "browser"),
        (":redirect", "*"),
    ]
    resp = await client.post("/t/a", data=fields, allow_redirects=False)
    assert resp.status == 200
    assert '<div id="Status">412</div>' in await resp.text()


@pytest.mark.parametrize(
    ("accept", "is_json"),
    [
        ("application/json,*/*;q=0.9", True),
        ("text/plain; q=0.5, text/html; q=0.8, application/json; q=0.9", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("text/html, application/json", False),
        (None, False),
    ],
)
async def test_response_format_follows_accept(
    client: Client, accept: str | None, is_json: bool
) -> None:
    headers = {"Accept": accept} if accept else {}
    resp = await client.post("/t", data=[("x", "1")], headers=headers)
    assert resp.headers["Content-Type"].startswith("application/json" if is_json else "text/html")


async def test_html_response_has_sling_element_ids(client: Client) -> None:
    resp = await client.post("/t/n", data=[("title", "x")])
    text = await resp.text()
    for element in (
        "Status",
        "Message",
        "Location",
        "ParentLocation",
        "Path",
        "Referer",
        "ChangeLog",
    ):
        assert f'id="{element}"' in text
    assert "modified(&quot;/t/n/title&quot;);" in text


async def test_http_equiv_accept_parameter_overrides_the_header(client: Client) -> None:
    resp = await client.post("/t", data=[(":http-equiv-accept", "application/json")])
    assert resp.headers["Content-Type"].startswith("application/json")
    assert (await resp.json())["referer"] == ""


async def test_display_extension_is_appended_to_locations(post: Post) -> None:
    body = await (await post("/t/n", [(":displayExtension", ".html")])).json()
    assert (body["location"], body["parentLocation"]) == ("/t/n.html", "/t.html")
