"""The values and extension protocols of replication (spec §15): action types, options, the
preprocessors that may veto a request and the listeners that hear what happened.

Plugins register implementations as services, best `service.ranking` first:

    context.services.register(ReplicationPreprocessor, MyRules(), {"service.ranking": 10})
    context.services.register(ReplicationListener, MyListener())
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Literal, Protocol, TypedDict

if TYPE_CHECKING:
    from repo_server.replication.agents import AgentConfig
    from repo_server.session.session import ContentSession


class ReplicationActionType(Enum):
    ACTIVATE = "Activate"
    DEACTIVATE = "Deactivate"
    DELETE = "Delete"
    TEST = "Test"
    INTERNAL_POLL = "Internal Poll"

    @classmethod
    def from_name(cls, text: str | None) -> ReplicationActionType | None:
        """The member named `text` (member or display name, any case), None if unknown."""
        if not text:
            return None
        wanted = text.strip().lower()
        for member in cls:
            if wanted in (member.name.lower(), member.value.lower()):
                return member
        return None

    @property
    def removes(self) -> bool:
        return self in (ReplicationActionType.DEACTIVATE, ReplicationActionType.DELETE)


@dataclass(frozen=True, slots=True)
class ReplicationOptions:
    """How one request replicates (a subset of AEM's `ReplicationOptions`)."""

    synchronous: bool = False
    agent_filter: Callable[[AgentConfig], bool] | None = None
    suppress_status_update: bool = False
    disable_preprocessors: bool = False


@dataclass(frozen=True, slots=True)
class ReplicationAction:
    """What is about to be replicated: handed to preprocessors before anything is written.

    `session` reads with the rights of the system (the user's rights were checked already).
    """

    type: ReplicationActionType
    paths: tuple[str, ...]
    user_id: str
    session: ContentSession


class RejectionReason(TypedDict):
    """One reason of an `activation-rejected` answer."""

    path: str
    product: str | None
    reason: str


class ReplicationPreprocessor(Protocol):
    """Runs before a request is queued; raises `ActivationRejected` (with `reasons`) to veto.

    Every preprocessor sees every request; the reasons of all of them are reported together,
    and nothing is queued for any path when one path is refused.
    """

    async def preprocess(self, action: ReplicationAction, options: ReplicationOptions) -> None: ...


EventKind = Literal["queued", "delivered", "failed", "dropped"]


@dataclass(frozen=True, slots=True)
class ReplicationEvent:
    """Topic `com/day/cq/replication`: a request was queued, or an agent delivered an entry
    (or failed to, or gave up). `agent` and `entry_id` are None for `queued`."""

    kind: EventKind
    type: ReplicationActionType
    paths: tuple[str, ...]
    user_id: str
    modification_date: int  # epoch ms
    agent: str | None = None
    entry_id: int | None = None
    error: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


class ReplicationListener(Protocol):
    """Hears replication events; a listener that raises is logged and ignored."""

    async def on_event(self, event: ReplicationEvent) -> None: ...
