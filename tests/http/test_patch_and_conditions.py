"""PATCH (RFC 6902 below the request node), DELETE, ETag/If-Match, body limits, node types."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.http.app import create_app

from ..http_support import Client

AssertError = Callable[[aiohttp.ClientResponse, int, str], Awaitable[dict[str, Any]]]
Post = Callable[..., Awaitable[aiohttp.ClientResponse]]
PATCH_JSON = {"Content-Type": "application/json-patch+json"}


async def patch(client: Client, path: str, ops: Any, **headers: str) -> aiohttp.ClientResponse:
    return await client.patch(path, data=json.dumps(ops), headers={**PATCH_JSON, **headers})


async def test_patch_adds_replaces_and_removes_properties_and_nodes(
    client: Client, post: Post
) -> None:
    await post("/t", [("a", "1"), ("m", "x"), ("m", "y"), ("old/z", "1")])
    ops = [
        {"op": "replace", "path": "/a", "value": 2},
        {"op": "add", "path": "/m/1", "value": "between"},
        {"op": "remove", "path": "/m/0"},
        {"op": "add", "path": "/child", "value": {"jcr:primaryType": "nt:unstructured", "p": True}},
        {"op": "add", "path": "/child/q", "value": ["1", "2"]},
        {"op": "move", "from": "/old/z", "path": "/child/z"},
        {"op": "remove", "path": "/old"},
        {"op": "test", "path": "/a", "value": 2},
    ]
    resp = await patch(client, "/t", ops)
    assert resp.status == 200, await resp.text()
    assert "ETag" in resp.headers
    data = await (await client.get("/t.1.json")).json()
    assert data["a"] == 2
    assert data["m"] == ["between", "y"]
    assert data["child"] == {
        "jcr:primaryType": "nt:unstructured",
        "p": True,
        "q": ["1", "2"],
        "z": "1",
    }
    assert "old" not in data


async def test_a_failing_patch_writes_nothing(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    await post("/t", [("a", "1")])
    ops = [{"op": "add", "path": "/b", "value": "2"}, {"op": "test", "path": "/a", "value": "9"}]
    await assert_error(await patch(client, "/t", ops), 409, "patch-test-failed")
    assert "b" not in await (await client.get("/t.json")).json()


async def test_bad_patch_documents_are_4xx(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    await post("/t", [("a", "1")])
    await assert_error(await patch(client, "/t", {"op": "add"}), 400, "invalid-input")
    await assert_error(
        await patch(client, "/t", [{"op": "frob", "path": "/a"}]), 400, "invalid-input"
    )
    await assert_error(
        await patch(client, "/t", [{"op": "add", "path": "a", "value": 1}]), 400, "invalid-pointer"
    )
    await assert_error(
        await patch(client, "/t", [{"op": "remove", "path": "/nope"}]), 404, "property-not-found"
    )
    await assert_error(
        await patch(client, "/t", [{"op": "remove", "path": "/x/y/z"}]), 404, "node-not-found"
    )
    await assert_error(
        await patch(client, "/t", [{"op": "add", "path": "/a*b", "value": 1}]), 400, "invalid-name"
    )
    await assert_error(await patch(client, "/missing", []), 404, "node-not-found")
    bad = await client.patch("/t", data=b"{nope", headers=PATCH_JSON)
    await assert_error(bad, 400, "invalid-input")
    plain = await client.patch("/t", data=b"[]", headers={"Content-Type": "text/plain"})
    await assert_error(plain, 415, "unsupported-media-type")


async def test_if_match_with_a_stale_etag_is_412(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    await post("/t", [("a", "1")])
    etag = (await client.get("/t.json")).headers["ETag"]
    assert (
        await patch(client, "/t", [{"op": "add", "path": "/b", "value": 1}], **{"If-Match": etag})
    ).status == 200
    stale = await patch(
        client, "/t", [{"op": "add", "path": "/c", "value": 1}], **{"If-Match": etag}
    )
    body = await assert_error(stale, 412, "stale-revision")
    assert stale.headers["ETag"] == f'"{body["details"]["revision"]}"'
    resp = await client.post("/t", data=[("d", "1")], headers={"If-Match": etag})
    await assert_error(resp, 412, "stale-revision")
    assert "d" not in await (await client.get("/t.json")).json()


async def test_if_none_match_star_means_create_only(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    assert (await post("/t", [("a", "1")], headers={"If-None-Match": "*"})).status == 201
    await assert_error(
        await post("/t", [("a", "2")], headers={"If-None-Match": "*"}), 412, "stale-revision"
    )


async def test_delete_method_removes_nodes_and_properties(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    await post("/t", [("a", "1"), ("c/x", "1")])
    assert (await client.delete("/t/a")).status == 204
    assert (await client.delete("/t/c")).status == 204
    assert await (await client.get("/t.1.json")).json() == {"jcr:primaryType": "nt:unstructured"}
    await assert_error(await client.delete("/t/c"), 404, "node-not-found")


async def test_bodies_over_the_limit_are_413_and_write_nothing(
    aiohttp_client: AiohttpClient, settings: Settings, assert_error: AssertError
) -> None:
    import base64

    small = await aiohttp_client(create_app(replace(settings, max_body_bytes=1024)))
    token = base64.b64encode(b"admin:admin-secret").decode()
    auth = {"Authorization": f"Basic {token}"}
    big = [("x", "y" * 2000)]
    await assert_error(await small.post("/t", data=big, headers=auth), 413, "payload-too-large")
    form = aiohttp.FormData()
    form.add_field("./f", b"z" * 4000, filename="f.bin")
    await assert_error(await small.post("/t", data=form, headers=auth), 413, "payload-too-large")
    assert (await small.get("/t.json", headers=auth)).status == 404


async def test_node_types_json_lists_registered_types(client: Client) -> None:
    body = await (await client.get("/system/nodetypes.json")).json()
    assert body["nt:unstructured"]["orderable"] is True
    assert "mix:versionable" in body


async def test_registering_cnd_over_http(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    cnd = (
        "<acme = 'http://acme.example/ns'>\n[acme:Thing] > nt:unstructured\n  - acme:size (LONG)\n"
    )
    resp = await client.post("/system/nodetypes", data=cnd, headers={"Content-Type": "text/plain"})
    assert resp.status == 201
    assert await resp.json() == {"registered": ["acme:Thing"]}
    assert "acme:Thing" in await (await client.get("/system/nodetypes.json")).json()
    created = await post("/t", [("jcr:primaryType", "acme:Thing"), ("acme:size", "3")])
    assert created.status == 201
    bad = await client.post(
        "/system/nodetypes", data="[broken", headers={"Content-Type": "text/plain"}
    )
    assert bad.status == 400
    empty = await client.post("/system/nodetypes", data="", headers={"Content-Type": "text/plain"})
    await assert_error(empty, 400, "invalid-input")


async def test_system_health_still_answers(client: Client) -> None:
    assert (await client.get("/system/health")).status == 200
