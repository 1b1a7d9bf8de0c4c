"""Helpers of the commerce activation tests: credentials, error checks, fixture loading and
`Shop`, an author and a publish instance with the commerce plugin, driven over HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from repo_server.http.keys import repository_key
from repo_server.loader import load_document, read_document
from repo_server.server import fixture_files
from repo_server.session.session import ContentSession, Repository

from ..http_support import Client as Client
from ..http_support import assert_error as assert_error
from ..http_support import basic as basic

ADMIN_PASSWORD = "admin-secret"
RECEIVER_PASSWORD = "receiver-secret"

SHIRT = "/etc/commerce/products/shirt"
SHIRT_L = "/etc/commerce/products/shirt/shirt-l"
SHIRTS_PAGE = "/content/big-and-tall/en/shirts"
CAMPAIGN = "/content/campaigns/summer"


ADMIN = basic("admin", ADMIN_PASSWORD)


async def load_sets(session: ContentSession, *sets: str) -> None:
    for filename in fixture_files(sets):
        await load_document(session, read_document(str(filename)))


class Shop:
    """An author and a publish instance; requests go as admin unless told otherwise."""

    def __init__(self, author: Client, publish: Client) -> None:
        self.author = author
        self.publish = publish

    def repo(self, client: Client) -> Repository:
        return client.app[repository_key]

    def admin(self) -> ContentSession:
        return self.repo(self.author).session("admin")

    async def make_campaign(self, path: str, **props: Any) -> None:
        """A page (parents created) whose `jcr:content/teaser` has `props`."""
        session = self.admin()
        current = ""
        for part in path.strip("/").split("/"):
            current += "/" + part
            if not await session.exists(current):
                await session.add_node(current, "cq:Page")
                await session.add_node(
                    current + "/jcr:content", "cq:PageContent", properties={"jcr:title": part}
                )
        await session.add_node(path + "/jcr:content/teaser", "nt:unstructured", properties=props)
        await session.save()

    async def set_price(self, path: str, price: str) -> None:
        from decimal import Decimal

        session = self.admin()
        await session.set_property(path, "price", Decimal(price))
        await session.save()

    async def replicate(
        self, cmd: str, *paths: str, headers: dict[str, str] | None = None, **extra: str
    ) -> aiohttp.ClientResponse:
        form = [("cmd", cmd), *(("path", p) for p in paths), *extra.items()]
        return await self.author.post(
            "/bin/replicate.json", data=form, headers=ADMIN if headers is None else headers
        )

    async def activate(self, *paths: str) -> dict[str, Any]:
        resp = await self.replicate("Activate", *paths)
        body = await resp.json()
        assert resp.status == 200, body
        return dict(body)

    async def operation(
        self,
        name: str,
        path: str,
        client: Client | None = None,
        headers: dict[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        return await (client or self.author).post(
            path, data={":operation": name}, headers=ADMIN if headers is None else headers
        )

    async def sync(self, path: str) -> dict[str, Any]:
        resp = await self.operation("commerce:sync", path)
        body = await resp.json()
        assert resp.status == 200, body
        return dict(body)

    async def unsync(self, path: str) -> dict[str, Any]:
        resp = await self.operation("commerce:unsync", path)
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

    async def wait_idle(self, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while True:
            body = await self.queue()
            if not body["entries"]:
                return
            assert time.monotonic() < deadline, body
            await asyncio.sleep(0.02)

    async def last_action(self, page: str) -> str | None:
        node = await self.admin().get_node(page + "/jcr:content")
        assert node is not None, page
        prop = node.properties.get("cq:lastReplicationAction")
        return None if prop is None else str(prop.values[0])

    async def product_json(
        self, client: Client, path: str, version: str | None = None, anonymous: bool = False
    ) -> aiohttp.ClientResponse:
        query = "" if version is None else f"?catalogVersion={version}"
        headers = None if anonymous else ADMIN
        return await client.get(f"{path}.product.json{query}", headers=headers)

    async def on_publish(self, path: str) -> aiohttp.ClientResponse:
        """GET `<path>.json` on publish as an anonymous visitor."""
        return await self.publish.get(path + ".json")
