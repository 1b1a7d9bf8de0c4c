"""Fixtures of the query tests (helpers and types live in `query_support.py`).

repository (tests/conftest.py) -> shop (products, pages and a folder of notes saved in it)
  -> search (runs a Query as admin, or with `access=` as someone else)
settings -> app (create_app) -> client (admin Basic auth; the shop content loaded)
make_client(app): the same client over another app (e.g. one with other query limits)
assert_error: `await assert_error(resp, 400, "unknown-predicate")`.
"""

from __future__ import annotations

import base64

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.http.app import create_app
from repo_server.http.keys import repository_key
from repo_server.query import engine
from repo_server.query.model import Group, Order, Predicate, Query
from repo_server.session.session import AccessPolicy, Repository

from .query_support import (
    ADMIN_PASSWORD,
    AssertError,
    Client,
    MakeClient,
    Search,
    assert_error_body,
    load_shop,
)


@pytest.fixture
async def shop(repository: Repository) -> Repository:
    await load_shop(repository.session("admin"))
    return repository


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


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


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


@pytest.fixture
def assert_error() -> AssertError:
    return assert_error_body
