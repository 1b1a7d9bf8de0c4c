"""Fixtures of the engine tests.

``engine_server`` (session) runs one engine over real HTTP on 127.0.0.1 in a background thread
with its own event loop, so pyodata's synchronous ``requests`` client can drive it directly.
``fresh_server`` is the same for one test, built by ``make_server`` with per-test settings.
``http`` is a ``requests.Session`` authenticated as admin; ``client`` a pyodata client for an IO
(``client("InboundProduct")``). Helpers are fixtures (no package imports between test dirs):
``assert_error(resp, 400, "missing_key")`` checks the SAP error shape, ``make_product(code)``
builds an InboundProduct payload whose catalog version and catalog are auto-created.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pyodata  # type: ignore[import-untyped]
import pytest
import requests
from aiohttp import web

from commerce.engine.config import EngineSettings
from commerce.engine.http.app import create_app
from commerce.engine.http.keys import engine_key
from commerce.engine.service.auth import User
from commerce.engine.service.engine import Engine

T = TypeVar("T")
ADMIN_PASSWORD = "admin-secret"


class EngineServer:
    """An engine app served by AppRunner on an ephemeral port in a thread of its own."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner = web.AppRunner(self.app, access_log=None)
        self.port = 0

    @property
    def engine(self) -> Engine:
        return self.app[engine_key]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def start(self) -> None:
        self.thread.start()

        async def setup() -> int:
            await self.runner.setup()
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            await site.start()
            address = self.runner.addresses[0]
            return int(address[1])

        self.port = self.run(setup())

    def stop(self) -> None:
        self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def add_user(self, uid: str, password: str, *groups: str) -> User:
        async def add() -> User:
            async with self.engine.write() as session:
                return await self.engine.auth.add_user(
                    session.conn, uid, password, frozenset(groups)
                )

        return self.run(add())

    def session(self, uid: str = "admin", password: str = ADMIN_PASSWORD) -> requests.Session:
        s = requests.Session()
        s.auth = (uid, password)
        return s

    def client(self, io: str, session: requests.Session | None = None) -> Any:
        return pyodata.Client(f"{self.url}/odata2webservices/{io}", session or self.session())


def settings_for(data_dir: Path, **changes: Any) -> EngineSettings:
    base = EngineSettings(
        data_dir=data_dir, admin_password=ADMIN_PASSWORD, password_iterations=1000
    )
    return replace(base, **changes)


@pytest.fixture(scope="session")
def make_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., EngineServer]]:
    servers: list[EngineServer] = []

    def make(**changes: Any) -> EngineServer:
        server = EngineServer(settings_for(tmp_path_factory.mktemp("engine"), **changes))
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def engine_server(make_server: Callable[..., EngineServer]) -> EngineServer:
    return make_server()


@pytest.fixture
def http(engine_server: EngineServer) -> Iterator[requests.Session]:
    session = engine_server.session()
    yield session
    session.close()


@pytest.fixture
def odata_url(engine_server: EngineServer) -> str:
    return f"{engine_server.url}/odata2webservices"


@pytest.fixture
def client(engine_server: EngineServer) -> Callable[[str], Any]:
    cache: dict[str, Any] = {}

    def get(io: str) -> Any:
        if io not in cache:
            cache[io] = engine_server.client(io)
        return cache[io]

    return get


def _assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """The response is an SAP-shaped OData error with this status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]["lang"] == "en"
    assert "Traceback" not in response.text
    return dict(body["error"])


def _product(
    code: str, version: str = "Staged", catalog: str = "Default", **extra: Any
) -> dict[str, Any]:
    """An InboundProduct payload whose catalog version and catalog are auto-created."""
    return {
        "code": code,
        "catalogVersion": {"version": version, "catalog": {"id": catalog}},
        **extra,
    }


AssertError = Callable[[requests.Response, int, str], dict[str, Any]]
MakeProduct = Callable[..., dict[str, Any]]


@pytest.fixture
def assert_error() -> AssertError:
    return _assert_error


@pytest.fixture
def make_product() -> MakeProduct:
    return _product
