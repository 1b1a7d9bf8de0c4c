"""Helpers of the query tests: the shop content, the fixtures' types, the error check.

A module of its own because `from conftest import ...` clashes across test directories.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from repo_server.query import engine
from repo_server.query.model import Order, Predicate
from repo_server.session.session import AccessPolicy, ContentSession

from ..http_support import Client as Client

ADMIN_PASSWORD = "admin-secret"
AssertError = Callable[[aiohttp.ClientResponse, int, str], Awaitable[dict[str, Any]]]

COLORS = ("red", "green", "blue")


def product(i: int) -> dict[str, Any]:
    return {
        "sku": f"SKU-{i:03d}",
        "price": i * 10,
        "weight": i + 0.5,
        "color": COLORS[i % 3],
        "tags": ["sale", "new"] if i % 2 == 0 else ["new"],
        "released": datetime(2024, 1, 1 + i, tzinfo=UTC),
        "onSale": i % 2 == 0,
        "jcr:title": f"{COLORS[i % 3].capitalize()} shirt number {i}",
        "sling:resourceType": "shop/product",
    }


async def load_shop(session: ContentSession) -> None:
    """/content/shop/p01..p12 (nt:unstructured products), /content/site (pages), /content/notes."""
    if not await session.exists("/content"):
        await session.add_node("/content", "nt:unstructured")
    await session.add_node("/content/shop", "sling:OrderedFolder")
    for i in range(1, 13):
        await session.add_node(f"/content/shop/p{i:02d}", "nt:unstructured", properties=product(i))
    await session.add_node("/content/site", "cq:Page")
    await session.add_node(
        "/content/site/jcr:content",
        "cq:PageContent",
        properties={"jcr:title": "Site home", "cq:lastModified": datetime(2024, 5, 1, tzinfo=UTC)},
    )
    await session.add_node("/content/site/about", "cq:Page")
    await session.add_node(
        "/content/site/about/jcr:content",
        "cq:PageContent",
        properties={"jcr:title": "About the shop", "text": "We sell shirts and hats"},
    )
    await session.add_node("/content/notes", "sling:Folder")
    await session.add_node(
        "/content/notes/hats",
        "nt:unstructured",
        mixins=["mix:title"],
        properties={"jcr:title": "Hats are back", "sku": "HAT-1"},
    )
    await session.save()


class Search(Protocol):
    async def __call__(
        self,
        *predicates: Predicate,
        any: bool = False,
        orders: tuple[Order, ...] = (),
        offset: int = 0,
        limit: int | None = None,
        guess_total: int | None = None,
        access: AccessPolicy | None = None,
        options: engine.QueryOptions | None = None,
    ) -> engine.QueryResult: ...


def paths(result: engine.QueryResult) -> list[str]:
    return [n.path for n in result.nodes]


MakeClient = Callable[[web.Application], Awaitable[Client]]


async def assert_error_body(resp: aiohttp.ClientResponse, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = await resp.json()
    assert resp.status == status, body
    assert body["status"] == status, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    return body
