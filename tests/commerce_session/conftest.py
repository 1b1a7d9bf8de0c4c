"""CommerceSession fixtures.

settings (tests/conftest.py) -> publish_settings (role publish)
  -> extensions (commerce plugin registered) -> manager (its CommerceSessionManager)
repository (tests/conftest.py) + manager -> shop (test shop, campaigns, /var/commerce started)
  -> shopper(user_id) -> a JcrCommerceSession factory for unit-level tests
publish_settings + extensions -> app -> client (anonymous shopper on a publish instance),
  -> shoppers (users alice and bob); login(client, user) logs in through /j_security_check
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from commerce.plugin import register
from commerce.session import CommerceSessionManager, JcrCommerceSession, SessionContext
from repo_server.config import Settings
from repo_server.extensions import Extensions, PluginContext
from repo_server.http.app import create_app
from repo_server.http.keys import repository_key
from repo_server.security import users
from repo_server.security.manager import security_of
from repo_server.session.session import Repository

from .session_support import PASSWORD, Client, Shopper, load_shop, login


@pytest.fixture
def publish_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, role="publish")


@pytest.fixture
def extensions(settings: Settings) -> Extensions:
    ext = Extensions()
    register(PluginContext(ext, settings))
    return ext


@pytest.fixture
def manager(extensions: Extensions) -> CommerceSessionManager:
    found = extensions.services.get(CommerceSessionManager)
    assert found is not None
    return found


@pytest.fixture
async def shop(repository: Repository, manager: CommerceSessionManager) -> Repository:
    await load_shop(repository.session("admin"))
    await manager.start(repository)
    return repository


@pytest.fixture
def shopper(shop: Repository, manager: CommerceSessionManager) -> Shopper:
    """`await shopper("alice")`: a fresh session of that user (None: anonymous)."""

    async def open_session(
        user_id: str | None = "alice",
        *,
        cookies: dict[str, str] | None = None,
        locale: str = "en_US",
        segments: frozenset[str] = frozenset(),
        jar: dict[str, str] | None = None,
    ) -> JcrCommerceSession:
        def set_cookie(name: str, value: str, max_age: int, http_only: bool) -> None:
            if jar is not None:
                if max_age <= 0:
                    jar.pop(name, None)
                else:
                    jar[name] = value

        ctx = SessionContext(
            user_id=user_id,
            locale=locale,
            cookies=dict(cookies if cookies is not None else jar or {}),
            set_cookie=set_cookie,
            segments=segments,
        )
        return await manager.login(shop, shop.session("admin"), ctx)

    return open_session


@pytest.fixture
async def app(publish_settings: Settings, extensions: Extensions) -> web.Application:
    return create_app(publish_settings, extensions=extensions)


async def _start(aiohttp_client: AiohttpClient, app: web.Application, demo: bool) -> Client:
    client = await aiohttp_client(app)
    repository = app[repository_key]
    await load_shop(repository.session("admin"), demo=demo)
    return client


@pytest.fixture
async def shoppers(client: Client) -> tuple[str, ...]:
    """The users alice and bob (password PASSWORD) on the client's instance."""
    repository = client.app[repository_key]
    manager = security_of(repository)
    for user in ("alice", "bob"):
        await users.create_user(manager, repository.session("admin"), user, PASSWORD, {})
    return ("alice", "bob")


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, app: web.Application) -> Client:
    return await _start(aiohttp_client, app, demo=False)


@pytest.fixture
async def demo_client(aiohttp_client: AiohttpClient, app: web.Application) -> Client:
    return await _start(aiohttp_client, app, demo=True)


@pytest.fixture
def log_in() -> Callable[[Client, str], Awaitable[None]]:
    return login
