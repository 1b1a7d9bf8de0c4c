"""Fixtures of the commerce activation tests: author and publish with the commerce plugin.

settings (tests/conftest.py: tmp data dir, admin password "admin-secret")
  -> publish (create_app(role=publish) + commerce plugin, receiver password "receiver-secret")
  -> author (create_app(role=author, publish_url=<publish>) + commerce plugin, roots and
     examples loaded: the shirt data and its product page /content/big-and-tall/en/shirts)
  -> shop (Shop: both clients with helpers to replicate, sync, unsync and read products)
  -> demo_shop (shop with the Geometrixx-like demo catalog and pages loaded too)
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytest_aiohttp import AiohttpClient

from commerce.plugin import register
from repo_server.config import Settings
from repo_server.extensions import Extensions, PluginContext
from repo_server.http.app import create_app
from repo_server.http.keys import repository_key

from .activation_support import RECEIVER_PASSWORD, Client, Shop, load_sets


@pytest.fixture
def publish_settings(settings: Settings) -> Settings:
    return replace(
        settings,
        role="publish",
        data_dir=settings.data_dir + "-publish",
        replication_password=RECEIVER_PASSWORD,
    )


@pytest.fixture
async def publish(aiohttp_client: AiohttpClient, publish_settings: Settings) -> Client:
    ext = Extensions()
    register(PluginContext(ext, publish_settings))
    return await aiohttp_client(create_app(publish_settings, extensions=ext))


@pytest.fixture
def author_settings(settings: Settings, publish: Client) -> Settings:
    return replace(
        settings,
        role="author",
        data_dir=settings.data_dir + "-author",
        publish_url=str(publish.make_url("/")).rstrip("/"),
        replication_password=RECEIVER_PASSWORD,
        replication_retry_delay_ms=200,
    )


@pytest.fixture
async def author(aiohttp_client: AiohttpClient, author_settings: Settings) -> Client:
    ext = Extensions()
    register(PluginContext(ext, author_settings))
    client = await aiohttp_client(create_app(author_settings, extensions=ext))
    await load_sets(client.app[repository_key].session("admin"), "roots", "examples")
    return client


@pytest.fixture
def shop(author: Client, publish: Client) -> Shop:
    return Shop(author, publish)


@pytest.fixture
async def demo_shop(shop: Shop) -> Shop:
    await load_sets(shop.admin(), "demo")
    return shop
