"""Fixtures of the robustness suite (helpers live in `robustness_support.py`).

settings (tests/conftest.py) -> robust_settings (plugins on, a 64 KiB body limit)
  -> app (create_app) -> client (pytest-aiohttp, admin Basic auth) -> tree (the /rt content
  imported, returns the Snapshot taken after loading)
anon: a client of the same app without credentials.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.http.app import create_app

from .robustness_support import ADMIN_PASSWORD, TREE, TREE_CONTENT, Client, Snapshot, snapshot

BODY_LIMIT = 64 * 1024


@pytest.fixture
def robust_settings(settings: Settings) -> Settings:
    return replace(settings, load_plugins=True, max_body_bytes=BODY_LIMIT, json_max_results=100_000)


@pytest.fixture
def app(robust_settings: Settings) -> web.Application:
    return create_app(robust_settings)


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, app: web.Application) -> Client:
    token = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode("ascii")
    return await aiohttp_client(app, headers={"Authorization": f"Basic {token}"})


@pytest.fixture
async def tree(client: Client) -> Snapshot:
    resp = await client.post(
        "/",
        data=[
            (":operation", "import"),
            (":contentType", "json"),
            (":name", TREE.lstrip("/")),
            (":content", json.dumps(TREE_CONTENT)),
        ],
        headers={"Accept": "application/json"},
    )
    assert resp.status == 201, await resp.text()
    return await snapshot(client)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/robustness/" in str(item.path):
            item.add_marker(
                pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
            )
            # aiohttp warns (and then ignores the header) for a malformed Content-Disposition;
            # under filterwarnings=error the warning would turn into a server-side 500.
            item.add_marker(
                pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionHeader")
            )
