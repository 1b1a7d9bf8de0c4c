"""The Replicator: checks, preprocesses, records the status and queues (spec §15)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from repo_server.errors import NodeNotFound
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.values import Property, make_property, now
from repo_server.replication.agents import AgentConfig, AgentManager
from repo_server.replication.api import (
    RejectionReason,
    ReplicationAction,
    ReplicationActionType,
    ReplicationEvent,
    ReplicationListener,
    ReplicationOptions,
    ReplicationPreprocessor,
)
from repo_server.replication.errors import (
    ActivationRejected,
    NoReplicationAgent,
    ReplicationPermissionError,
    UnknownCommand,
)
from repo_server.replication.package import snapshot
from repo_server.replication.queue import QueueEntry, insert_entry, pending_entries
from repo_server.security import privileges as PR
from repo_server.security.acl import AclPolicy
from repo_server.services import ServiceRegistry
from repo_server.session.operations import OpContext, autocreated_properties
from repo_server.session.session import AccessPolicy, AllowAll, ContentSession, Repository
from repo_server.session.tree import TNode, Tree
from repo_server.store.base import StoreWriter
from repo_server.store.sqlite import now_ms

log = logging.getLogger(__name__)

REPLICATION_STATUS: Final = "cq:ReplicationStatus"
LAST_REPLICATED: Final = "cq:lastReplicated"
LAST_REPLICATED_BY: Final = "cq:lastReplicatedBy"
LAST_ACTION: Final = "cq:lastReplicationAction"
SUPPORTED: Final = frozenset(
    {
        ReplicationActionType.ACTIVATE,
        ReplicationActionType.DEACTIVATE,
        ReplicationActionType.DELETE,
    }
)
CHUNK: Final = 100  # paths queued per write transaction (spec §15 step 6)


@dataclass(frozen=True, slots=True)
class QueuedEntry:
    agent: str
    id: int
    action: str
    path: str


@dataclass(frozen=True, slots=True)
class ReplicationStatus:
    last_replicated: datetime | None
    last_replicated_by: str | None
    last_action: str | None
    pending: tuple[QueueEntry, ...]

    @property
    def is_activated(self) -> bool:
        return self.last_action == ReplicationActionType.ACTIVATE.value

    @property
    def is_deactivated(self) -> bool:
        return self.last_action in (
            ReplicationActionType.DEACTIVATE.value,
            ReplicationActionType.DELETE.value,
        )

    @property
    def is_pending(self) -> bool:
        return bool(self.pending)

    @property
    def is_delivered(self) -> bool:
        """Activated and arrived, or deactivated but still on publish (spec §15)."""
        if self.is_activated:
            return not self.pending
        return self.is_deactivated and bool(self.pending)


def can_replicate(access: AccessPolicy, path: str) -> bool:
    if isinstance(access, AclPolicy):
        return access.has(path, PR.REPLICATE)
    return isinstance(access, AllowAll)


async def status_node(session: ContentSession, path: str) -> str:
    """Where the status of `path` is kept: a page's `jcr:content`, else the node itself."""
    node = await session.node(path)
    if node.primary_type == N.CQ_PAGE:
        content = P.join(path, N.JCR_CONTENT)
        if await session.exists(content):
            return content
    return path


def _status_target(tree: Tree, path: str) -> str:
    """`status_node` on a transient tree (inside a store call)."""
    found = tree.get(path)
    if found is None:
        raise NodeNotFound(f"no node at {path}", path=path)
    primary = found.primary if isinstance(found, TNode) else found.primary_type
    if primary == N.CQ_PAGE:
        content = P.join(path, N.JCR_CONTENT)
        if tree.get(content) is not None:
            return content
    return path


@dataclass
class WriteStatus:
    """A session operation: the replication status of many paths in one pass (queue it).

    Each path's status goes on its page's `jcr:content` (else the node), which gets the mixin
    `cq:ReplicationStatus` with its auto-created items if its type does not have it yet.
    """

    paths: tuple[str, ...]
    action: str
    user_id: str
    stamp: datetime

    def apply(self, tree: Tree, ctx: OpContext) -> None:
        registry = ctx.registry
        values = {
            LAST_REPLICATED: make_property(self.stamp),
            LAST_REPLICATED_BY: make_property(self.user_id),
            LAST_ACTION: make_property(self.action),
        }
        for path in self.paths:
            target = _status_target(tree, path)
            t = tree.edit(target)
            if not registry.effective(t.primary, t.mixins).includes(REPLICATION_STATUS):
                registry.check_mixin(REPLICATION_STATUS)
                mixins = [*t.mixins, REPLICATION_STATUS]
                added: dict[str, Property] = autocreated_properties(
                    registry, t.primary, mixins, t.props, ctx.user_id, ctx.now
                )
                tree.set_types(target, None, mixins)
                for name, prop in added.items():
                    tree.set_property(target, name, prop)
            for name, prop in values.items():
                tree.set_property(target, name, prop)


class Replicator:
    """Replicates paths of one repository through its agents; see `replicate`."""

    def __init__(
        self,
        repository: Repository,
        agents: AgentManager,
        services: ServiceRegistry,
        origin: str,
        notify: Callable[[str], None],
    ) -> None:
        self.repository = repository
        self.agents = agents
        self.services = services
        self.origin = origin
        self._notify = notify

    async def replicate(
        self,
        user_id: str,
        action: ReplicationActionType,
        paths: str | Sequence[str],
        *,
        access: AccessPolicy | None = None,
        deep: bool = False,
        options: ReplicationOptions | None = None,
    ) -> list[QueuedEntry]:
        """Queue `action` on `paths` for every selected agent; all or nothing.

        Raises UnknownCommand (TEST, INTERNAL_POLL), NodeNotFound (missing or unreadable path),
        ReplicationPermissionError (no `crx:replicate`), ActivationRejected (a preprocessor),
        NoReplicationAgent.
        """
        options = options or ReplicationOptions()
        access = access or AllowAll()
        if action not in SUPPORTED:
            raise UnknownCommand(f"{action.value} is not supported here", cmd=action.value)
        wanted = list(
            dict.fromkeys(P.normalize(p) for p in ([paths] if isinstance(paths, str) else paths))
        )
        user_session = self.repository.session(user_id, access)
        await self.check_permissions(user_session, access, wanted)
        if deep and action is ReplicationActionType.ACTIVATE:
            wanted = await self._with_descendant_pages(user_session, access, wanted)
        system = self.repository.session(user_id)
        if not options.disable_preprocessors:
            await self._preprocess(
                ReplicationAction(action, tuple(wanted), user_id, system), options
            )
        agents = await self.select_agents(options)
        if not options.suppress_status_update:
            await self._write_status(system, action, wanted, user_id)
        queued = await self._enqueue(action, wanted, user_id, agents)
        for agent in agents:
            self._notify(agent.name)
        await self.emit(ReplicationEvent("queued", action, tuple(wanted), user_id, now_ms()))
        return queued

    async def check_permissions(
        self, session: ContentSession, access: AccessPolicy, paths: Sequence[str]
    ) -> None:
        """Every path exists and may be replicated by the user (all checked before any work).

        One store read for every path (a request may name thousands)."""
        found = await self.repository.store.read(lambda r: r.nodes(paths))
        for path in paths:
            if path not in found or not access.can_read(path):
                raise NodeNotFound(f"no node at {path}", path=path)
        refused = [p for p in paths if not can_replicate(access, p)]
        if refused:
            raise ReplicationPermissionError(
                f"{session.user_id} may not replicate {', '.join(refused)}", paths=refused
            )

    async def _with_descendant_pages(
        self, session: ContentSession, access: AccessPolicy, paths: list[str]
    ) -> list[str]:
        out: list[str] = []
        for path in paths:
            out.append(path)
            tree = await session.subtree(path, None)
            stack = list(reversed(tree.children))
            while stack:
                holder = stack.pop()
                if holder.node.primary_type == N.CQ_PAGE:
                    out.append(holder.node.path)
                stack.extend(reversed(holder.children))
        out = list(dict.fromkeys(out))
        await self.check_permissions(session, access, out)
        return out

    async def _preprocess(self, action: ReplicationAction, options: ReplicationOptions) -> None:
        reasons: list[RejectionReason] = []
        messages: list[str] = []
        for preprocessor in self.services.all(ReplicationPreprocessor):  # type: ignore[type-abstract]
            try:
                await preprocessor.preprocess(action, options)
            except ActivationRejected as exc:
                messages.append(exc.message)
                reasons.extend(exc.details.get("reasons", []))
        if messages:
            raise ActivationRejected("; ".join(messages), reasons=reasons)

    async def select_agents(self, options: ReplicationOptions | None = None) -> list[AgentConfig]:
        """Enabled agents; the default ones, or those the options' filter accepts."""
        agent_filter = options.agent_filter if options else None
        found = [
            a
            for a in (await self.agents.agents()).values()
            if a.enabled and (agent_filter(a) if agent_filter else not a.ignore_default)
        ]
        if not found:
            raise NoReplicationAgent("no enabled replication agent would take the request")
        return found

    async def _write_status(
        self,
        session: ContentSession,
        action: ReplicationActionType,
        paths: Sequence[str],
        user_id: str,
    ) -> None:
        """One queued operation and one save for the status of every path."""
        session.queue(WriteStatus(tuple(paths), action.value, user_id, now()))
        await session.save()

    async def _enqueue(
        self,
        action: ReplicationActionType,
        paths: Sequence[str],
        user_id: str,
        agents: Sequence[AgentConfig],
    ) -> list[QueuedEntry]:
        names = [a.name for a in agents]
        queued: list[QueuedEntry] = []
        for start in range(0, len(paths), CHUNK):
            chunk = paths[start : start + CHUNK]

            def run(writer: StoreWriter, chunk: Sequence[str] = chunk) -> list[QueuedEntry]:
                out = []
                for path in chunk:
                    package = snapshot(writer, action, path)
                    for name in names:
                        entry_id = insert_entry(writer, name, action.value, path, user_id, package)
                        out.append(QueuedEntry(name, entry_id, action.value, path))
                return out

            queued += await self.repository.store.write(run)
        return queued

    async def replication_status(self, path: str) -> ReplicationStatus | None:
        """The recorded status of `path` with its pending entries; None if never replicated."""
        session = self.repository.session("system")
        if not await session.exists(path):
            return None
        node = await session.node(await status_node(session, path))
        if LAST_ACTION not in node.properties:
            return None
        when = node.properties.get(LAST_REPLICATED)
        by = node.properties.get(LAST_REPLICATED_BY)
        value = when.value if when is not None else None
        return ReplicationStatus(
            value if isinstance(value, datetime) else None,
            str(by.value) if by is not None else None,
            str(node.properties[LAST_ACTION].value),
            tuple(await pending_entries(self.repository.store, path)),
        )

    async def emit(self, event: ReplicationEvent) -> None:
        for listener in self.services.all(ReplicationListener):  # type: ignore[type-abstract]
            try:
                await listener.on_event(event)
            except Exception:
                log.exception("replication listener %r failed on %s", listener, event.kind)
