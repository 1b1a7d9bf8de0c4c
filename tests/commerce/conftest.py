"""Commerce fixtures.

session (tests/conftest.py)
  -> examples (roots + documented example trees loaded) -> repo (RepoSession)
  -> demo (examples + the Geometrixx-like demo catalog and pages)
settings -> extensions (commerce plugin registered) -> registry (its ProviderRegistry)
store_reads: counts store round trips of the repository
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from commerce.plugin import register
from commerce.providers import ProviderRegistry
from commerce.repo import RepoSession
from repo_server.config import Settings
from repo_server.extensions import Extensions, PluginContext
from repo_server.session.session import ContentSession, Repository

from .commerce_support import StoreReads, load_sets


@pytest.fixture
async def examples(session: ContentSession) -> ContentSession:
    await load_sets(session, "roots", "examples")
    return session


@pytest.fixture
async def demo(session: ContentSession) -> ContentSession:
    await load_sets(session, "roots", "examples", "demo")
    return session


@pytest.fixture
def repo(examples: ContentSession) -> RepoSession:
    return RepoSession(examples)


@pytest.fixture
def extensions(settings: Settings) -> Extensions:
    ext = Extensions()
    register(PluginContext(ext, settings))
    return ext


@pytest.fixture
def registry(extensions: Extensions) -> ProviderRegistry:
    return ProviderRegistry(extensions.services)


@pytest.fixture
def store_reads(repository: Repository, monkeypatch: pytest.MonkeyPatch) -> StoreReads:
    counter = StoreReads()
    original: Callable[..., Any] = repository.store.read

    async def counting(fn: Callable[..., Any]) -> Any:
        counter.count += 1
        return await original(fn)

    monkeypatch.setattr(repository.store, "read", counting)
    return counter
