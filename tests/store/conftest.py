"""Store-level fixtures.

settings (tests/conftest.py) -> store (an opened SQLiteNodeStore, no repository bootstrap)
repository, session (tests/conftest.py) -> other (a second admin session on the same repository)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from repo_server.config import Settings
from repo_server.session.session import ContentSession, Repository
from repo_server.store.sqlite import SQLiteNodeStore


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[SQLiteNodeStore]:
    opened = SQLiteNodeStore(settings.store_path)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def other(repository: Repository) -> ContentSession:
    return repository.session("other")
