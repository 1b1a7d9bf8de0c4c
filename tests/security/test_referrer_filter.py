"""Browser safety: Sling's referrer filter on writes, and the request body limit (413)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.http.app import create_app

from .security_client import ADMIN, SecurityClient, assert_error


def own(http: SecurityClient) -> str:
    url = http.client.make_url("/")
    return f"{url.scheme}://{url.host}:{url.port}"


async def make(aiohttp_client: AiohttpClient, settings: Settings) -> SecurityClient:
    return SecurityClient(await aiohttp_client(create_app(settings)))


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page.html"},
        {"Referer": "not a url"},
        {"Origin": "http://127.0.0.1:1"},
    ],
)
async def test_a_write_from_a_foreign_page_is_403_and_writes_nothing(
    http: SecurityClient, headers: dict[str, str]
) -> None:
    head = http.head
    resp = await http.post("/content/new", {"title": "x"}, {**ADMIN, **headers})
    await assert_error(resp, 403, "origin-not-allowed")
    assert http.head == head


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_every_unsafe_method_is_filtered_even_before_authentication(
    http: SecurityClient, method: str
) -> None:
    resp = await http.client.request(method, "/content", headers={"Origin": "https://evil.example"})
    await assert_error(resp, 403, "origin-not-allowed")


async def test_a_login_form_posted_from_another_site_is_refused(http: SecurityClient) -> None:
    resp = await http.post(
        "/j_security_check",
        {"j_username": "admin", "j_password": "admin-secret"},
        headers={"Origin": "https://evil.example"},
    )
    await assert_error(resp, 403, "origin-not-allowed")
    assert "Set-Cookie" not in resp.headers


async def test_writes_from_the_servers_own_origin_pass(http: SecurityClient) -> None:
    resp = await http.post("/content/new", {"title": "x"}, {**ADMIN, "Origin": own(http)})
    assert resp.status in (200, 201), await resp.text()
    resp = await http.post(
        "/content/new", {"title": "y"}, {**ADMIN, "Referer": own(http) + "/content.html"}
    )
    assert resp.status == 200, await resp.text()


async def test_reads_are_never_filtered(http: SecurityClient) -> None:
    resp = await http.get("/content.json", {**ADMIN, "Origin": "https://evil.example"})
    assert resp.status == 200


async def test_configured_origins_and_hosts_may_write(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    http = await make(
        aiohttp_client,
        replace(settings, allowed_origins=("https://cms.example", "tools.example")),
    )
    for origin in ("https://cms.example", "https://cms.example:443", "http://tools.example:8080"):
        resp = await http.post("/content/new", {"t": "x"}, {**ADMIN, "Origin": origin})
        assert resp.status in (200, 201), (origin, await resp.text())
    resp = await http.post("/content/new", {"t": "x"}, {**ADMIN, "Origin": "http://cms.example"})
    await assert_error(resp, 403, "origin-not-allowed")


async def test_writes_without_origin_or_referer_pass_unless_configured_otherwise(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    strict = await make(aiohttp_client, replace(settings, allow_empty_referrer=False))
    head = strict.head
    resp = await strict.post("/content/new", {"t": "x"}, ADMIN)
    await assert_error(resp, 403, "origin-not-allowed")
    assert strict.head == head
    resp = await strict.post("/content/new", {"t": "x"}, {**ADMIN, "Origin": own(strict)})
    assert resp.status == 201, await resp.text()


async def test_a_body_over_the_limit_is_413_with_the_json_error_body(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    http = await make(aiohttp_client, replace(settings, max_body_bytes=1024))
    head = http.head
    big = "x" * 4096
    resp = await http.post(
        "/system/userManager/user.create.json",
        {":name": "big", "pwd": "p", "pwdConfirm": "p", "bio": big},
        ADMIN,
    )
    await assert_error(resp, 413, "payload-too-large")
    resp = await http.post("/j_security_check", {"j_username": big, "j_password": "x"})
    await assert_error(resp, 413, "payload-too-large")
    resp = await http.post("/content/new", {"t": big}, ADMIN)
    await assert_error(resp, 413, "payload-too-large")
    assert http.head == head
