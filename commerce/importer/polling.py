"""Polling importers (commerce-api §13): `cq:PollConfig` nodes run on their interval.

A `PollConfig` is read from any node with the `cq:PollConfig` mixin (`source` is
`<scheme>:<rest>`, `interval` in seconds, `enabled`). The `PollingImporter` finds them with one
query, runs the due ones through the `Importer` registered for their scheme and records the
outcome on the node: `lastImport`, `lastStatus`, the counts, or `lastError`/`lastErrorAt`. An
unknown scheme (the documented `hybris:outdoors` example: the engine connector will bring the
`engine` scheme) is recorded as an error like any other failure and never stops other configs.

`PollScheduler` is the server's task: it wakes every `tick` seconds, re-reads the configs when a
commit touched one (a journal listener), and runs each config as its own task, so a slow import
never delays the others and one config never runs twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

from commerce.errors import ImporterError
from commerce.importer.feed import infer_format
from commerce.importer.importer import CatalogImporter, ImportOptions
from repo_server.errors import RepoError
from repo_server.model.node import Node
from repo_server.query.engine import execute
from repo_server.query.model import Group, Query, TypePredicate
from repo_server.services import ServiceRegistry
from repo_server.session.session import Repository
from repo_server.store.base import JournalEntry

log = logging.getLogger(__name__)

MIX_POLL_CONFIG: Final = "cq:PollConfig"
SYSTEM_USER: Final = "commerce-importer"


@dataclass(frozen=True, slots=True)
class PollConfig:
    path: str
    scheme: str
    source: str  # the text after `<scheme>:`
    target: str
    interval: int
    stored_interval: int
    enabled: bool
    login: str | None = None
    password: str | None = None
    catalog: str | None = None
    last_run: float | None = None  # epoch seconds of the last finished run

    @classmethod
    def from_node(cls, node: Node) -> PollConfig:
        def value(name: str) -> Any:
            prop = node.properties.get(name)
            return prop.values[0] if prop is not None and prop.values else None

        raw = value("source")
        source = raw if isinstance(raw, str) else ""
        scheme, _, rest = source.partition(":")
        interval = value("interval")
        stored = int(interval) if isinstance(interval, int | float) else 0
        target = value("target")
        last = value("lastRun")
        return cls(
            path=node.path,
            scheme=scheme if rest else "",
            source=rest,
            target=target if isinstance(target, str) and target else node.path,
            interval=max(stored, 0),
            stored_interval=stored,
            enabled=value("enabled") is True,
            login=_str(value("login")),
            password=_str(value("password")),
            catalog=_str(value("catalog")),
            last_run=last.timestamp() if isinstance(last, datetime) else None,
        )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@runtime_checkable
class Importer(Protocol):
    """Imports from one kind of source; `import_data` raises ImporterError on any failure and
    returns counts to record on the config node."""

    schemes: tuple[str, ...]

    async def import_data(
        self,
        scheme: str,
        source: str,
        target: PollConfig,
        *,
        login: str | None = None,
        password: str | None = None,
    ) -> Mapping[str, int]: ...


_IMPORTER: Final[type[Importer]] = Importer  # type: ignore[type-abstract]


class FileImporter:
    """The `file` scheme: `file:<path>` names a feed file (`.json`/`.csv`) or a folder of them.

    A file goes to the catalog named by the config's `catalog` property, else by the file's
    stem (`trailhead.json` -> `trailhead`); each file of a folder goes to its own stem's catalog.
    A relative path is relative to `base_dir` (the server's data directory).
    """

    schemes: tuple[str, ...] = ("file",)

    def __init__(self, repository: Repository, importer: CatalogImporter, base_dir: str) -> None:
        self.repository = repository
        self.importer = importer
        self.base_dir = base_dir

    async def import_data(
        self,
        scheme: str,
        source: str,
        target: PollConfig,
        *,
        login: str | None = None,
        password: str | None = None,
    ) -> Mapping[str, int]:
        del scheme, login, password
        path = Path(source) if os.path.isabs(source) else Path(self.base_dir) / source
        files = await asyncio.to_thread(_feed_files, path)
        counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0, "skipped": 0}
        for file in files:
            catalog = target.catalog if target.catalog and len(files) == 1 else file.stem
            try:
                data = await asyncio.to_thread(file.read_bytes)
            except OSError as exc:
                raise ImporterError(f"cannot read {file}: {exc}", cause=exc) from exc
            session = self.repository.session(SYSTEM_USER)
            try:
                result = await self.importer.import_data(
                    session, data, infer_format(file.name), ImportOptions(catalog=catalog)
                )
            except ImporterError:
                raise
            except RepoError as exc:
                raise ImporterError(f"{file.name}: {exc.message}", cause=exc) from exc
            for key, n in result.counts().items():
                counts[key] += n
        return counts


def _feed_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".csv"))
    if path.is_file():
        return [path]
    raise ImporterError(f"no feed file or folder at {path}", path=str(path))


class PollingImporter:
    """Runs the due poll configs (commerce-api §13)."""

    def __init__(
        self,
        repository: Repository,
        services: ServiceRegistry,
        *,
        minimum_interval: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.repository = repository
        self.services = services
        self.minimum_interval = minimum_interval
        self.clock = clock
        self._running: set[str] = set()
        self._started: dict[str, float] = {}

    def importer_for(self, scheme: str) -> Importer | None:
        for importer in self.services.all(_IMPORTER):
            if scheme in importer.schemes:
                return importer
        return None

    async def poll_configs(self) -> list[PollConfig]:
        session = self.repository.session(SYSTEM_USER)
        query = Query(where=Group((TypePredicate(MIX_POLL_CONFIG),)), limit=None)
        found = await execute(session, query)
        return [PollConfig.from_node(n) for n in found.nodes]

    def is_due(self, config: PollConfig, now: float) -> bool:
        if not config.enabled or config.path in self._running:
            return False
        runs = [t for t in (config.last_run, self._started.get(config.path)) if t is not None]
        return not runs or now - max(runs) >= max(config.interval, self.minimum_interval)

    def is_running(self, path: str) -> bool:
        return path in self._running

    async def run_due(self, now: float | None = None) -> list[str]:
        """Run every due config (one after the other); returns their paths."""
        at = self.clock() if now is None else now
        ran = []
        for config in await self.poll_configs():
            if self.is_due(config, at):
                await self.run(config)
                ran.append(config.path)
        return ran

    async def run(self, config: PollConfig) -> bool:
        """Run one config now and record the outcome; False if it is already running."""
        if config.path in self._running:
            return False
        self._running.add(config.path)
        self._started[config.path] = self.clock()
        try:
            importer = self.importer_for(config.scheme)
            try:
                if importer is None:
                    raise ImporterError(
                        f"unknown scheme {config.scheme or '(none)'!r} in source of {config.path}"
                    )
                counts = await importer.import_data(
                    config.scheme,
                    config.source,
                    config,
                    login=config.login,
                    password=config.password,
                )
            except ImporterError as exc:
                await self._record(config, error=exc.message)
            except Exception as exc:  # one broken importer must not stop the scheduler
                log.exception("polling import %s failed", config.path)
                await self._record(config, error=f"{type(exc).__name__}: {exc}")
            else:
                await self._record(config, counts=counts)
        finally:
            self._running.discard(config.path)
        return True

    async def _record(
        self, config: PollConfig, *, counts: Mapping[str, int] | None = None, error: str = ""
    ) -> None:
        session = self.repository.session(SYSTEM_USER)
        stamp = datetime.fromtimestamp(self.clock(), UTC)
        props: dict[str, Any] = {"lastRun": stamp}
        if error:
            props |= {"lastStatus": "error", "lastError": error, "lastErrorAt": stamp}
        else:
            props |= {"lastStatus": "ok", "lastImport": stamp, "lastError": None}
            for key, n in (counts or {}).items():
                props[f"last{key.capitalize()}"] = n
        try:
            if not await session.exists(config.path):
                return
            for name, value in props.items():
                await session.set_property(config.path, name, value)
            await session.save()
        except RepoError:
            log.exception("cannot record the polling status on %s", config.path)
            await session.refresh()


class PollScheduler:
    """The server task that runs `PollingImporter` configs on their interval."""

    def __init__(self, polling: PollingImporter, *, tick: float = 1.0) -> None:
        self.polling = polling
        self.tick = tick
        self._configs: list[PollConfig] | None = None
        self._task: asyncio.Task[None] | None = None
        self._runs: set[asyncio.Task[bool]] = set()
        self._wake = asyncio.Event()

    def start(self) -> None:
        self.polling.repository.store.add_listener(self.on_commit)
        self._task = asyncio.create_task(self._loop(), name="commerce-poll-scheduler")

    async def stop(self) -> None:
        self.polling.repository.store.remove_listener(self.on_commit)
        tasks = [t for t in (self._task, *self._runs) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None

    def on_commit(self, entry: JournalEntry) -> None:
        """Re-read the configs when a commit touched a node that is or was a config.

        A change's path may be a node or a property path; the config's own status writes
        come through here too, and only cost one query on the next tick.
        """
        if self._configs is None:
            return
        known = {c.path for c in self._configs}
        for change in entry.changes:
            path = change.path
            structural = change.kind in ("created", "deleted", "moved", "copied", "mixins")
            if structural or path in known or path.rpartition("/")[0] in known:
                self._configs = None
                self._wake.set()
                return

    async def _loop(self) -> None:
        while True:
            try:
                if self._configs is None:
                    self._configs = await self.polling.poll_configs()
                now = self.polling.clock()
                for config in self._configs:
                    if self.polling.is_due(config, now):
                        task = asyncio.create_task(self.polling.run(config))
                        self._runs.add(task)
                        task.add_done_callback(self._runs.discard)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("polling scheduler tick failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick)
