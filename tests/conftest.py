"""Shared fixtures.

settings (tmp data dir, admin password "admin-secret")
  -> repository (opened Repository on the SQLite store)  -> session (admin ContentSession)
  -> app (create_app(settings)) -> client (pytest-aiohttp client on 127.0.0.1, admin auth)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from repo_server.config import Settings
from repo_server.session.session import ContentSession, Repository
from repo_server.store.sqlite import SQLiteNodeStore

ADMIN_PASSWORD = "admin-secret"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=str(tmp_path / "data"), admin_password=ADMIN_PASSWORD, load_plugins=False
    )


@pytest.fixture
async def repository(settings: Settings) -> AsyncIterator[Repository]:
    repo = Repository(SQLiteNodeStore(settings.store_path))
    await repo.open()
    try:
        yield repo
    finally:
        await repo.close()


@pytest.fixture
def session(repository: Repository) -> ContentSession:
    return repository.session("admin")
