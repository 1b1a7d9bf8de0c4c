"""Polling importers in a running app: the file scheme, unknown schemes, no overlapping runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from commerce.http.import_http import ImportRuntime
from commerce.importer.polling import Importer, PollConfig, PollingImporter
from repo_server.config import Settings
from repo_server.extensions import Extensions
from repo_server.http.app import create_app
from repo_server.loader import load_document
from repo_server.model.node import Node
from repo_server.session.session import ContentSession, Repository

from .catalog_import_support import (
    CATALOGS,
    FIXTURES,
    ROOT,
    AiohttpClient,
    Client,
    repository_of,
)

CONFIG = "/etc/importers/polling"


async def started(aiohttp_client: AiohttpClient, settings: Settings, ext: Extensions) -> Client:
    runtime = ext.services.require(ImportRuntime)
    runtime.minimum_interval = 0
    runtime.tick = 0.05
    client = await aiohttp_client(create_app(settings, extensions=ext))
    session = repository_of(client).session("admin")
    for name in ("roots/etc.json", "examples/polling-importer.json"):
        await load_document(session, json.loads((FIXTURES / name).read_text("utf-8")))
    return client


async def add_config(session: ContentSession, name: str, **props: Any) -> str:
    page = f"{CONFIG}/{name}"
    await session.add_node(page, "cq:Page")
    await session.add_node(
        f"{page}/jcr:content", "cq:PageContent", mixins=["cq:PollConfig"], properties=props
    )
    await session.save()
    return f"{page}/jcr:content"


async def wait_for(session: ContentSession, path: str, name: str) -> Node:
    """The node once `name` is recorded on it (at most 5 s)."""
    async with asyncio.timeout(5):
        while True:
            node = await session.get_node(path)
            if node is not None and name in node.properties:
                return node
            await asyncio.sleep(0.05)


def value(node: Node, name: str) -> Any:
    return node.properties[name].values[0]


async def test_a_file_poll_config_imports_its_feed_and_records_the_outcome(
    aiohttp_client: AiohttpClient, settings: Settings, extensions: Extensions, tmp_path: Path
) -> None:
    client = await started(aiohttp_client, settings, extensions)
    repository: Repository = repository_of(client)
    session = repository.session("admin")
    feed = tmp_path / "trail.json"
    feed.write_bytes((CATALOGS / "trailhead.json").read_bytes())
    config = await add_config(session, "trail", source=f"file:{feed}", interval=3600, enabled=True)
    node = await wait_for(session, config, "lastImport")
    assert value(node, "lastStatus") == "ok"
    assert value(node, "lastCreated") == 4
    assert await session.exists(f"{ROOT}/trail/men/shirts/ridge_flannel")


async def test_the_documented_hybris_config_records_an_unknown_scheme_error(
    aiohttp_client: AiohttpClient, settings: Settings, extensions: Extensions
) -> None:
    client = await started(aiohttp_client, settings, extensions)
    session = repository_of(client).session("admin")
    node = await wait_for(session, f"{CONFIG}/outdoors/jcr:content", "lastError")
    assert "unknown scheme 'hybris'" in value(node, "lastError")
    assert value(node, "lastStatus") == "error"
    assert "lastErrorAt" in node.properties


class SlowImporter:
    schemes = ("slow",)

    def __init__(self) -> None:
        self.active = 0
        self.most = 0
        self.runs = 0
        self.three_runs = asyncio.Event()

    async def import_data(
        self,
        scheme: str,
        source: str,
        target: PollConfig,
        *,
        login: str | None = None,
        password: str | None = None,
    ) -> Mapping[str, int]:
        self.active += 1
        self.most = max(self.most, self.active)
        await asyncio.sleep(0.2)
        self.active -= 1
        self.runs += 1
        if self.runs >= 3:
            self.three_runs.set()
        return {"created": 0}


async def test_a_config_never_runs_twice_at_once(
    aiohttp_client: AiohttpClient, settings: Settings, extensions: Extensions
) -> None:
    slow = SlowImporter()
    extensions.services.register(Importer, slow)
    client = await started(aiohttp_client, settings, extensions)
    session = repository_of(client).session("admin")
    await add_config(session, "slow", source="slow:x", interval=0, enabled=True)
    async with asyncio.timeout(5):
        await slow.three_runs.wait()
    assert slow.runs >= 3
    assert slow.most == 1


async def test_disabled_configs_do_not_run_and_intervals_are_kept(
    repository: Repository, extensions: Extensions
) -> None:
    session = repository.session("admin")
    for name in ("roots/etc.json", "examples/polling-importer.json"):
        await load_document(session, json.loads((FIXTURES / name).read_text("utf-8")))
    await add_config(session, "off", source="file:x.json", interval=10, enabled=False)
    now = [1000.0]
    polling = PollingImporter(repository, extensions.services, clock=lambda: now[0])
    configs = {c.path: c for c in await polling.poll_configs()}
    off = configs[f"{CONFIG}/off/jcr:content"]
    hybris = configs[f"{CONFIG}/outdoors/jcr:content"]
    assert (off.enabled, off.scheme, off.interval) == (False, "file", 10)
    assert (hybris.scheme, hybris.source, hybris.target) == ("hybris", "outdoors", hybris.path)
    assert await polling.run_due() == [hybris.path]
    now[0] += 3600  # within the daily interval: not due again
    assert await polling.run_due() == []
    now[0] += 86400
    assert await polling.run_due() == [hybris.path]
