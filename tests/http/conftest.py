"""Fixtures of the HTTP tests: the real app on 127.0.0.1 through pytest-aiohttp.

settings (tests/conftest.py) -> app (create_app) -> client (aiohttp_client, admin Basic auth)
assert_error: `await assert_error(resp, 404, "node-not-found")` for both error shapes (the
middleware's `{"status", "code", ...}` and the Sling POST response with `status.code`).
post: `await post("/path", [("name", "value")], json=True)` form-encoded POST helper.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.http.app import create_app

from ..http_support import Client as Client

ADMIN_PASSWORD = "admin-secret"

AssertError = Callable[[aiohttp.ClientResponse, int, str], Awaitable[dict[str, Any]]]
Post = Callable[..., Awaitable[aiohttp.ClientResponse]]


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, app: web.Application) -> Client:
    token = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode("ascii")
    return await aiohttp_client(app, headers={"Authorization": f"Basic {token}"})


async def _assert_error(resp: aiohttp.ClientResponse, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = await resp.json()
    if "status.code" in body:
        assert body["status.code"] == status, body
    else:
        assert body["status"] == status, body
    assert resp.status == status, body
    assert body["code"] == code, body
    return body


@pytest.fixture
def assert_error() -> AssertError:
    return _assert_error


@pytest.fixture
def post(client: Client) -> Post:
    async def send(
        path: str,
        fields: list[tuple[str, str]] | None = None,
        *,
        json: bool = True,
        headers: dict[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        hdrs = {"Accept": "application/json"} if json else {}
        hdrs.update(headers or {})
        return await client.post(path, data=fields or [], headers=hdrs)

    return send


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # aiohttp 3.14 warns about str request keys; request["user_id"] is the agreed interface of
    # security_http (issue 3) until it moves to web.RequestKey.
    for item in items:
        if "tests/http/" in str(item.path):
            item.add_marker(
                pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
            )
