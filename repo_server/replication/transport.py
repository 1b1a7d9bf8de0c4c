"""Transports: how an agent delivers queue entries. The built-in one posts packages to a
publish instance's receiver (`POST /bin/receive`) with the agent's transport user: several
entries of one queue in one request (`deliver_batch`, body `encode_batch`), which the receiver
applies in one commit, or a single entry (`deliver`, the package as the body)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import aiohttp

from repo_server.model.values import pack
from repo_server.replication.agents import AgentConfig
from repo_server.replication.queue import QueueEntry

CONTENT_TYPE: Final = "application/x-msgpack"
BATCH_CONTENT_TYPE: Final = "application/vnd.repo-replication-batch+msgpack"
BATCH_VERSION: Final = 1
ORIGIN_HEADER: Final = "X-Replication-Origin"
ENTRY_HEADER: Final = "X-Replication-Entry"


@dataclass(frozen=True, slots=True)
class ReplicationResult:
    success: bool
    code: int
    message: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One entry on its way: the agent, its decrypted password, where it comes from."""

    agent: AgentConfig
    password: str
    origin: str
    entry: QueueEntry
    package: bytes


@dataclass(frozen=True, slots=True)
class BatchDelivery:
    """Consecutive entries of one queue, oldest first, delivered all or nothing."""

    agent: AgentConfig
    password: str
    origin: str
    entries: tuple[tuple[QueueEntry, bytes], ...]


class TransportHandler(Protocol):
    """Delivers entries for the agents it accepts. A handler may also have
    `async deliver_batch(BatchDelivery) -> ReplicationResult` (all or nothing); without it,
    entries go one by one."""

    def can_handle(self, agent: AgentConfig) -> bool: ...

    async def deliver(self, delivery: Delivery) -> ReplicationResult: ...


def encode_batch(entries: Sequence[tuple[int, bytes]]) -> bytes:
    """The body of a batch: `{"v": 1, "entries": [[entry id, package], ...]}` (msgpack)."""
    return pack({"v": BATCH_VERSION, "entries": [[i, p] for i, p in entries]})


class HttpTransport:
    """Repository to repository over HTTP; one client session for every agent."""

    def __init__(self, timeout_s: float = 60.0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=5)
        self._session: aiohttp.ClientSession | None = None

    def can_handle(self, agent: AgentConfig) -> bool:
        return agent.transport_uri.startswith(("http://", "https://"))

    async def deliver(self, delivery: Delivery) -> ReplicationResult:
        headers = {
            "Content-Type": CONTENT_TYPE,
            ORIGIN_HEADER: delivery.origin,
            ENTRY_HEADER: str(delivery.entry.id),
        }
        return await self._post(delivery.agent, delivery.password, delivery.package, headers)

    async def deliver_batch(self, batch: BatchDelivery) -> ReplicationResult:
        body = encode_batch([(entry.id, package) for entry, package in batch.entries])
        headers = {"Content-Type": BATCH_CONTENT_TYPE, ORIGIN_HEADER: batch.origin}
        return await self._post(batch.agent, batch.password, body, headers)

    async def _post(
        self, agent: AgentConfig, password: str, body: bytes, headers: dict[str, str]
    ) -> ReplicationResult:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers["Authorization"] = aiohttp.encode_basic_auth(agent.transport_user, password)
        try:
            async with self._session.post(agent.transport_uri, data=body, headers=headers) as resp:
                text = await resp.text()
                if resp.status == 200:
                    return ReplicationResult(True, 200, text[:200])
                return ReplicationResult(False, resp.status, f"{resp.status}: {text[:300]}")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return ReplicationResult(False, 0, f"{type(exc).__name__}: {exc}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
