"""ReplicationService: one instance's agents, queues, delivery tasks and replicator.

`start` runs in the application's cleanup context (aiohttp), so delivery stops with the app:
one task per agent takes the head of its queue, delivers it, and on failure leaves it at the
head (the queue is BLOCKED) until the agent's retry delay has passed. Where the transport can
(`deliver_batch`), the head goes with the entries after it, up to `BATCH_ENTRIES`, in one
request that publish applies in one commit; when a batch fails, the head is delivered alone
at once, so what is recorded and retried is always the head's own result. A task sleeps on an
event that queuing, configuration changes and `force_retry` set, so an idle instance does no
polling at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import weakref
from typing import Final

from repo_server.config import Settings
from repo_server.errors import RepoError
from repo_server.model import path as P
from repo_server.replication.agents import ROOT, AgentConfig, AgentManager, PasswordHook
from repo_server.replication.api import EventKind, ReplicationActionType, ReplicationEvent
from repo_server.replication.crypto import PasswordCipher
from repo_server.replication.errors import AgentNotFound
from repo_server.replication.package import RECEIVED_DDL
from repo_server.replication.queue import QueueEntry, ReplicationQueue, create_tables
from repo_server.replication.replicator import Replicator
from repo_server.replication.transport import (
    BatchDelivery,
    Delivery,
    HttpTransport,
    ReplicationResult,
    TransportHandler,
)
from repo_server.services import ServiceRegistry
from repo_server.session.session import Repository
from repo_server.store.base import JournalEntry, StoreWriter
from repo_server.store.sqlite import now_ms

log = logging.getLogger(__name__)

ORIGIN_META: Final = "replication_origin"
BATCH_ENTRIES: Final = 100  # queue entries per delivery request at most
BATCH_BYTES: Final = 4 * 1024 * 1024  # and packages of at most this size (unless one is larger)
_services: weakref.WeakKeyDictionary[Repository, ReplicationService] = weakref.WeakKeyDictionary()


def replication_of(repository: Repository) -> ReplicationService:
    """The replication service attached to `repository` (KeyError when it has none)."""
    return _services[repository]


class ReplicationService:
    """Everything replication needs at run time for one repository (see the module docstring)."""

    def __init__(
        self,
        repository: Repository,
        settings: Settings,
        services: ServiceRegistry,
        cipher: PasswordCipher,
        origin: str,
    ) -> None:
        self.repository = repository
        self.settings = settings
        self.services = services
        self.cipher = cipher
        self.origin = origin
        self.agents = AgentManager(repository, settings, cipher)
        self.replicator = Replicator(repository, self.agents, services, origin, self.notify)
        self.transport = HttpTransport()
        self._queues: dict[str, ReplicationQueue] = {}
        self._wakes: dict[str, asyncio.Event] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._hook = PasswordHook(cipher)
        self._stopping = False
        self.batch_entries = BATCH_ENTRIES

    @classmethod
    async def attach(
        cls, repository: Repository, settings: Settings, services: ServiceRegistry
    ) -> ReplicationService:
        """Create the tables, the key and the instance id; register the password hook."""
        cipher = await asyncio.to_thread(PasswordCipher.load_or_create, settings.data_dir)

        def prepare(writer: StoreWriter) -> bytes:
            create_tables(writer)
            writer.execute(RECEIVED_DDL)
            origin = writer.meta(ORIGIN_META)
            if origin is None:
                origin = secrets.token_hex(8).encode("ascii")
                writer.set_meta(ORIGIN_META, origin)
            return origin

        origin = (await repository.store.write(prepare)).decode("ascii")
        service = cls(repository, settings, services, cipher, origin)
        repository.commit_hooks.append(service._hook)
        _services[repository] = service
        return service

    # --- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        """Create the default agent if configured, then start delivering."""
        if self.settings.role == "author" and self.settings.publish_url:
            await self.agents.create_default_agent(
                self.settings.publish_url, self.settings.replication_password
            )
        self.repository.store.add_listener(self._on_commit)
        await self.refresh()

    async def stop(self) -> None:
        self._stopping = True
        self.repository.store.remove_listener(self._on_commit)
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.transport.close()
        if self._hook in self.repository.commit_hooks:
            self.repository.commit_hooks.remove(self._hook)
        _services.pop(self.repository, None)

    async def refresh(self) -> None:
        """Start a delivery task for every agent that has none; wake them all."""
        if self._stopping:
            return
        self.agents.invalidate()
        for name in await self.agents.agents():
            task = self._tasks.get(name)
            if task is None or task.done():
                self._wakes.setdefault(name, asyncio.Event())
                self._tasks[name] = asyncio.get_running_loop().create_task(
                    self._run(name), name=f"replication-agent-{name}"
                )
        for wake in self._wakes.values():
            wake.set()

    async def _on_commit(self, entry: JournalEntry) -> None:
        if any(P.is_same_or_descendant(c.path, ROOT) for c in entry.changes):
            await self.refresh()

    def notify(self, agent: str) -> None:
        wake = self._wakes.get(agent)
        if wake is not None:
            wake.set()

    # --- queues -----------------------------------------------------------------------------
    def queue(self, agent: str) -> ReplicationQueue:
        found = self._queues.get(agent)
        if found is None:
            found = self._queues[agent] = ReplicationQueue(self.repository.store, agent)
        return found

    async def agent_queue(self, name: str) -> tuple[AgentConfig, ReplicationQueue]:
        agent = await self.agents.get(name)
        if agent is None:
            raise AgentNotFound(f"no replication agent {name!r}", agent=name)
        return agent, self.queue(name)

    async def force_retry(self, name: str) -> None:
        _agent, queue = await self.agent_queue(name)
        await queue.force_retry()
        self.notify(name)

    # --- delivery ---------------------------------------------------------------------------
    def _transport_for(self, agent: AgentConfig) -> TransportHandler:
        for handler in self.services.all(TransportHandler):  # type: ignore[type-abstract]
            if handler.can_handle(agent):
                return handler
        return self.transport

    async def _run(self, name: str) -> None:
        wake = self._wakes[name]
        queue = self.queue(name)
        while True:
            wake.clear()  # before looking: a notify from now on is not lost
            try:
                agent = await self.agents.get(name)
                if agent is None:
                    return
                if not agent.enabled or queue.paused:
                    await wake.wait()
                    continue
                batch = await queue.head_batch(self.batch_entries, BATCH_BYTES)
                if not batch:
                    await wake.wait()
                    continue
                entry, package = batch[0]
                wait_ms = (entry.next_retry or 0) - now_ms()
                if wait_ms > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), wait_ms / 1000)
                    continue
                handler = self._transport_for(agent)
                # A head that failed before is retried alone: its error stays its own.
                batchable = len(batch) > 1 and not entry.attempts
                if (
                    batchable
                    and hasattr(handler, "deliver_batch")
                    and await self._deliver_batch(agent, queue, handler, batch)
                ):
                    continue
                await self._deliver(agent, queue, entry, package)
            except asyncio.CancelledError:
                raise
            except RepoError as exc:
                if self._stopping:
                    return
                log.warning("replication agent %s: %s", name, exc)
                await asyncio.sleep(1)
            except Exception:
                log.exception("replication agent %s failed", name)
                await asyncio.sleep(1)

    async def _deliver_batch(
        self,
        agent: AgentConfig,
        queue: ReplicationQueue,
        handler: TransportHandler,
        batch: list[tuple[QueueEntry, bytes]],
    ) -> bool:
        """Deliver consecutive entries in one request; False (nothing recorded) if it failed."""
        queue.processing_since = now_ms()
        delivery = BatchDelivery(
            agent, self.agents.password(agent), f"{self.origin}/{agent.name}", tuple(batch)
        )
        try:
            result: ReplicationResult = await handler.deliver_batch(delivery)  # type: ignore[attr-defined]
        finally:
            queue.processing_since = None
            queue.last_process_time = now_ms()
        if not result.success:
            log.info(
                "replication agent %s: a batch of %s entries failed (%s); the head goes alone",
                agent.name,
                len(batch),
                result.message,
            )
            return False
        await queue.remove_many([entry.id for entry, _ in batch])
        for entry, _ in batch:
            action = ReplicationActionType.from_name(entry.action) or ReplicationActionType.ACTIVATE
            await self.replicator.emit(
                ReplicationEvent(
                    "delivered",
                    action,
                    (entry.path,),
                    entry.user_id,
                    now_ms(),
                    agent.name,
                    entry.id,
                )
            )
        return True

    async def _deliver(
        self, agent: AgentConfig, queue: ReplicationQueue, entry: QueueEntry, package: bytes
    ) -> None:
        queue.processing_since = now_ms()
        delivery = Delivery(
            agent, self.agents.password(agent), f"{self.origin}/{agent.name}", entry, package
        )
        try:
            result = await self._transport_for(agent).deliver(delivery)
        finally:
            queue.processing_since = None
            queue.last_process_time = now_ms()
        action = ReplicationActionType.from_name(entry.action) or ReplicationActionType.ACTIVATE
        paths = (entry.path,)
        if result.success:
            await queue.remove(entry.id)
            await self.replicator.emit(
                ReplicationEvent(
                    "delivered", action, paths, entry.user_id, now_ms(), agent.name, entry.id
                )
            )
            return
        attempts = entry.attempts + 1
        if agent.max_retries and attempts >= agent.max_retries:
            await queue.remove(entry.id)
            log.error(
                "replication agent %s dropped entry %s (%s %s) after %s attempts: %s",
                agent.name,
                entry.id,
                entry.action,
                entry.path,
                attempts,
                result.message,
            )
            kind: EventKind = "dropped"
        else:
            await queue.failed(entry.id, result.message, now_ms() + agent.retry_delay_ms)
            log.warning(
                "replication agent %s: %s %s failed (attempt %s): %s",
                agent.name,
                entry.action,
                entry.path,
                attempts,
                result.message,
            )
            kind = "failed"
        await self.replicator.emit(
            ReplicationEvent(
                kind, action, paths, entry.user_id, now_ms(), agent.name, entry.id, result.message
            )
        )
