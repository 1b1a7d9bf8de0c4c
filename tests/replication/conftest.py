"""Fixtures of the replication tests: a publish and an author instance on real servers.

settings (tests/conftest.py: tmp data dir, admin password "admin-secret")
  -> publish (create_app(role=publish) on 127.0.0.1, receiver password "receiver-secret")
  -> author (create_app(role=author, publish_url=<publish>), 200 ms retry delay)
  -> pair (Pair: both clients with helpers to make pages, replicate and wait for the queue)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.extensions import Extensions
from repo_server.http.app import create_app

from .replication_support import RECEIVER_PASSWORD, Client, Pair, StartAuthor


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
    return await aiohttp_client(create_app(publish_settings))


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
def start_author(aiohttp_client: AiohttpClient, author_settings: Settings) -> StartAuthor:
    """Start an author app: `await start_author(extensions=..., **settings overrides)`."""

    async def start(extensions: Extensions | None = None, **overrides: Any) -> Client:
        return await aiohttp_client(
            create_app(replace(author_settings, **overrides), extensions=extensions)
        )

    return start


@pytest.fixture
async def author(start_author: StartAuthor) -> Client:
    return await start_author()


@pytest.fixture
def pair(author: Client, publish: Client) -> Pair:
    return Pair(author, publish)
