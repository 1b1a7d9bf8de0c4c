"""HTTP helpers shared by the test packages: the client type, Basic credentials, error checks."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient

Client = TestClient[web.Request, web.Application]


def basic(user: str, password: str) -> dict[str, str]:
    """The Authorization header of HTTP Basic credentials."""
    return {"Authorization": aiohttp.encode_basic_auth(user, password)}


async def assert_error(resp: aiohttp.ClientResponse, status: int, code: str) -> dict[str, Any]:
    """The response is the repository's JSON error body with this status and code."""
    body: dict[str, Any] = await resp.json()
    assert resp.status == status, body
    assert body["status"] == status, body
    assert body["code"] == code, body
    return dict(body)
