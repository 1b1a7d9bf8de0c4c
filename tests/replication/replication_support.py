"""Helpers of the replication tests: credentials, error checks and the author/publish Pair."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from repo_server.http.keys import repository_key
from repo_server.session.session import Repository

from ..http_support import Client as Client
from ..http_support import assert_error as assert_error
from ..http_support import basic as basic

ADMIN_PASSWORD = "admin-secret"
RECEIVER_PASSWORD = "receiver-secret"


ADMIN = basic("admin", ADMIN_PASSWORD)


class Pair:
    """An author and a publish instance; requests go as admin unless told otherwise."""

    def __init__(self, author: Client, publish: Client) -> None:
        self.author = author
        self.publish = publish

    def repo(self, client: Client) -> Repository:
        return client.app[repository_key]

    async def make_page(
        self, path: str, title: str = "Page", *, children: dict[str, Any] | None = None
    ) -> None:
        """A cq:Page with jcr:content (and `children` under it) on author, parents created."""
        session = self.repo(self.author).session("admin")
        parts = path.strip("/").split("/")
        current = ""
        for part in parts[:-1]:
            current += "/" + part
            if not await session.exists(current):
                await session.add_node(current, "cq:Page")
        await session.add_node(path, "cq:Page")
        await session.add_node(
            path + "/jcr:content", "cq:PageContent", properties={"jcr:title": title}
        )
        for name, props in (children or {}).items():
            await session.add_node(
                f"{path}/jcr:content/{name}", "nt:unstructured", properties=props
            )
        await session.save()

    async def set_title(self, path: str, title: str) -> None:
        session = self.repo(self.author).session("admin")
        await session.set_property(path + "/jcr:content", "jcr:title", title)
        await session.save()

    async def set_agent(self, name: str, value: object, agent: str = "publish") -> None:
        """Change a property of an author agent's configuration."""
        session = self.repo(self.author).session("admin")
        await session.set_property(
            f"/etc/replication/agents.author/{agent}/jcr:content", name, value
        )
        await session.save()

    async def replicate(
        self,
        cmd: str,
        *paths: str,
        headers: dict[str, str] | None = None,
        extra: dict[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        form = [("cmd", cmd), *(("path", p) for p in paths), *(extra or {}).items()]
        return await self.author.post(
            "/bin/replicate.json", data=form, headers=ADMIN if headers is None else headers
        )

    async def activate(self, *paths: str, **extra: str) -> dict[str, Any]:
        resp = await self.replicate("Activate", *paths, extra=extra)
        body = await resp.json()
        assert resp.status == 200, body
        return dict(body)

    async def deactivate(self, *paths: str) -> dict[str, Any]:
        resp = await self.replicate("Deactivate", *paths)
        body = await resp.json()
        assert resp.status == 200, body
        return dict(body)

    async def queue(self, agent: str = "publish") -> dict[str, Any]:
        resp = await self.author.get(
            f"/etc/replication/agents.author/{agent}.queue.json", headers=ADMIN
        )
        body = await resp.json()
        assert resp.status == 200, body
        return dict(body)

    async def wait_idle(self, agent: str = "publish", within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while True:
            body = await self.queue(agent)
            if not body["entries"]:
                return
            assert time.monotonic() < deadline, body
            await asyncio.sleep(0.02)

    async def wait_state(
        self, state: str, agent: str = "publish", within: float = 10.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            body = await self.queue(agent)
            if body["state"] == state:
                return body
            assert time.monotonic() < deadline, body
            await asyncio.sleep(0.02)

    async def on_publish(self, path: str, anonymous: bool = True) -> aiohttp.ClientResponse:
        return await self.publish.get(path + ".json", headers=None if anonymous else ADMIN)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


StartAuthor = Callable[..., Awaitable[Client]]
