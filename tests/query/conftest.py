"""Fixtures of the query tests.

repository (tests/conftest.py) -> shop (products, pages and a folder of notes saved in it)
  -> search (runs a Query as admin, or with `access=` as someone else)
settings -> app (create_app) -> client (admin Basic auth; the shop content loaded)
make_client(app): the same client over another app (e.g. one with other query limits)
assert_error: `await assert_error(resp, 400, "unknown-predicate")`.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.http.app import create_app
from repo_server.http.keys import repository_key
from repo_server.query import engine
from repo_server.query.model import Group, Order, Predicate, Query
from repo_server.session.session import AccessPolicy, ContentSession, Repository

ADMIN_PASSWORD = "admin-secret"
Client = TestClient[web.Request, web.Application]
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


@pytest.fixture
async def shop(repository: Repository) -> Repository:
    await load_shop(repository.session("admin"))
    return repository


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


@pytest.fixture
def search(shop: Repository) -> Search:
    async def run(
        *predicates: Predicate,
        any: bool = False,
        orders: tuple[Order, ...] = (),
        offset: int = 0,
        limit: int | None = None,
        guess_total: int | None = None,
        access: AccessPolicy | None = None,
        options: engine.QueryOptions | None = None,
    ) -> engine.QueryResult:
        session = shop.session("admin" if access is None else "someone", access)
        query = Query(Group(tuple(predicates), any), orders, offset, limit, guess_total)
        return await engine.execute(session, query, options)

    return run


def paths(result: engine.QueryResult) -> list[str]:
    return [n.path for n in result.nodes]


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


MakeClient = Callable[[web.Application], Awaitable[Client]]


@pytest.fixture
def make_client(aiohttp_client: AiohttpClient) -> MakeClient:
    """A client of `app` as admin, with the shop content loaded."""

    async def make(app: web.Application) -> Client:
        token = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode("ascii")
        test_client = await aiohttp_client(app, headers={"Authorization": f"Basic {token}"})
        await load_shop(test_client.app[repository_key].session("admin"))
        return test_client

    return make


@pytest.fixture
async def client(make_client: MakeClient, app: web.Application) -> Client:
    return await make_client(app)


async def _assert_error(resp: aiohttp.ClientResponse, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = await resp.json()
    assert resp.status == status, body
    assert body["status"] == status, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    return body


@pytest.fixture
def assert_error() -> AssertError:
    return _assert_error
