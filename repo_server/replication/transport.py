"""Transports: how an agent delivers a queue entry. The built-in one posts the package to a
publish instance's receiver (`POST /bin/receive`) with the agent's transport user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

import aiohttp

from repo_server.replication.agents import AgentConfig
from repo_server.replication.queue import QueueEntry

CONTENT_TYPE: Final = "application/x-msgpack"
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


class TransportHandler(Protocol):
    def can_handle(self, agent: AgentConfig) -> bool: ...

    async def deliver(self, delivery: Delivery) -> ReplicationResult: ...


class HttpTransport:
    """Repository to repository over HTTP; one client session for every agent."""

    def __init__(self, timeout_s: float = 60.0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=5)
        self._session: aiohttp.ClientSession | None = None

    def can_handle(self, agent: AgentConfig) -> bool:
        return agent.transport_uri.startswith(("http://", "https://"))

    async def deliver(self, delivery: Delivery) -> ReplicationResult:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        agent = delivery.agent
        headers = {
            "Authorization": aiohttp.encode_basic_auth(agent.transport_user, delivery.password),
            "Content-Type": CONTENT_TYPE,
            ORIGIN_HEADER: delivery.origin,
            ENTRY_HEADER: str(delivery.entry.id),
        }
        try:
            async with self._session.post(
                agent.transport_uri, data=delivery.package, headers=headers
            ) as resp:
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
