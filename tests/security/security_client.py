"""A thin client for the security tests: who asks (Basic credentials), error checks, heads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from repo_server.http.keys import repository_key
from repo_server.security import SecurityManager, security_of
from repo_server.session.session import Repository

from ..http_support import Client
from ..http_support import basic as basic

ADMIN_PASSWORD = "admin-secret"


ADMIN = basic("admin", ADMIN_PASSWORD)


async def assert_error(resp: aiohttp.ClientResponse, status: int, code: str) -> dict[str, Any]:
    """The response is the repository's JSON error body with this status and code."""
    body = await resp.json()
    assert resp.status == status, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    return dict(body)


async def assert_post_error(resp: aiohttp.ClientResponse, status: int, code: str) -> dict[str, Any]:
    """The Sling POST servlet's JSON error response with this status and code."""
    body = await resp.json()
    assert resp.status == status, body
    assert body["status.code"] == status
    assert body["code"] == code, body
    assert body["changes"] == []
    return dict(body)


class SecurityClient:
    """Requests as a given user (Basic) against the real app; access to its repository."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @property
    def repository(self) -> Repository:
        return self.client.app[repository_key]

    @property
    def manager(self) -> SecurityManager:
        return security_of(self.repository)

    @property
    def head(self) -> int:
        return self.repository.store.head

    async def get(
        self, path: str, auth: Mapping[str, str] | None = None, **kw: Any
    ) -> aiohttp.ClientResponse:
        return await self.client.get(path, headers={**(auth or {}), **kw.pop("headers", {})}, **kw)

    async def post(
        self,
        path: str,
        data: Any = None,
        auth: Mapping[str, str] | None = None,
        **kw: Any,
    ) -> aiohttp.ClientResponse:
        headers = {**(auth or {}), **kw.pop("headers", {})}
        return await self.client.post(path, data=data, headers=headers, **kw)

    async def create_user(
        self, name: str, password: str, groups: tuple[str, ...] = ()
    ) -> dict[str, str]:
        """Create a user as admin (and add it to `groups`); its Basic auth headers."""
        resp = await self.post(
            "/system/userManager/user.create.json",
            {":name": name, "pwd": password, "pwdConfirm": password},
            ADMIN,
        )
        assert resp.status == 200, await resp.text()
        for group in groups:
            resp = await self.post(
                f"/system/userManager/group/{group}.update.json", {":member": name}, ADMIN
            )
            assert resp.status == 200, await resp.text()
        return basic(name, password)
