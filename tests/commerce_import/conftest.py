"""Catalog import fixtures.

settings (tests/conftest.py) -> extensions (commerce plugin registered) -> importer (its
CatalogImporter, default ImportHandler at ranking 0)
repository -> session (admin) -> roots (the /etc and /content fixture roots loaded)
aiohttp_client + extensions -> client (admin), author_client (user 'author', writes /etc/commerce)
"""

from __future__ import annotations

import json

import pytest

from commerce.importer.importer import CatalogImporter
from commerce.plugin import register
from repo_server.config import Settings
from repo_server.extensions import Extensions, PluginContext
from repo_server.http.app import create_app
from repo_server.loader import load_document
from repo_server.session.session import ContentSession

from .catalog_import_support import FIXTURES, AiohttpClient, Client, basic


@pytest.fixture
def extensions(settings: Settings) -> Extensions:
    ext = Extensions()
    register(PluginContext(ext, settings))
    return ext


@pytest.fixture
def importer(extensions: Extensions) -> CatalogImporter:
    found = extensions.services.require(CatalogImporter)
    found.save_batch_size = 10
    return found


@pytest.fixture
async def roots(session: ContentSession) -> ContentSession:
    for name in ("etc", "content"):
        doc = json.loads((FIXTURES / "roots" / f"{name}.json").read_text("utf-8"))
        await load_document(session, doc)
    return session


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, settings: Settings, extensions: Extensions
) -> Client:
    app = create_app(settings, extensions=extensions)
    return await aiohttp_client(app, headers=basic("admin", settings.admin_password or ""))
