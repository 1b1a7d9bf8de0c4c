"""Fixtures of the security tests (helpers live in `security_client.py`).

settings (tests/conftest.py: tmp data dir, admin password "admin-secret")
  -> http (SecurityClient over create_app(settings), author role)
publish_settings -> publish (the same on a publish instance)
repository (tests/conftest.py) -> manager (bootstrap_security ran on it)
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.http.app import create_app
from repo_server.security import SecurityManager, bootstrap_security, security_of
from repo_server.session.session import Repository

from .security_client import SecurityClient


@pytest.fixture
async def http(aiohttp_client: AiohttpClient, settings: Settings) -> SecurityClient:
    return SecurityClient(await aiohttp_client(create_app(settings)))


@pytest.fixture
def publish_settings(settings: Settings) -> Settings:
    return replace(settings, role="publish")


@pytest.fixture
async def publish(aiohttp_client: AiohttpClient, publish_settings: Settings) -> SecurityClient:
    return SecurityClient(await aiohttp_client(create_app(publish_settings)))


@pytest.fixture
async def manager(repository: Repository, settings: Settings) -> SecurityManager:
    await bootstrap_security(repository, settings)
    return security_of(repository)
