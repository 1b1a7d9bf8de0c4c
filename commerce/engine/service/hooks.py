"""Persistence hooks (spec §6): ranked providers resolving Pre-/Post-Persist-Hook names."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Final, Protocol, TypeAlias, TypeVar

from commerce.engine.errors import HookNotFound, InvalidHookHeader
from commerce.engine.model.io import IntegrationObject
from commerce.engine.model.values import JSONObject
from commerce.engine.store.sqlite import Connection

log = logging.getLogger(__name__)
T = TypeVar("T")

PRE_GROUP: Final = "commerce.engine.pre_persist_hooks"
POST_GROUP: Final = "commerce.engine.post_persist_hooks"


@dataclass(slots=True)
class PersistItem:
    """The top-level item of a request: a pre hook may change ``payload`` before it is saved."""

    entity_type: str
    integration_key: str
    payload: JSONObject
    pk: int | None = None


@dataclass(frozen=True, slots=True)
class HookContext:
    content_language: str
    accept_language: str
    integration_object: IntegrationObject
    payload: JSONObject
    user: str
    # The request's own transaction: a post hook may read or write through it, never commit.
    connection: Connection


PrePersistHook: TypeAlias = Callable[
    [PersistItem, HookContext], "Awaitable[PersistItem | None] | PersistItem | None"
]
PostPersistHook: TypeAlias = Callable[[PersistItem, HookContext], "Awaitable[None] | None"]


class HookProvider(Protocol):
    """Resolves hook names; providers are asked in descending ``rank``."""

    rank: int

    def pre(self, name: str) -> PrePersistHook | None: ...

    def post(self, name: str) -> PostPersistHook | None: ...


class BeanHookProvider:
    """Python callables registered by name (``bean://name``), in code or by entry point."""

    def __init__(self, rank: int = 0) -> None:
        self.rank = rank
        self._pre: dict[str, PrePersistHook] = {}
        self._post: dict[str, PostPersistHook] = {}

    def register_pre(self, name: str, hook: PrePersistHook) -> None:
        self._pre[name] = hook

    def register_post(self, name: str, hook: PostPersistHook) -> None:
        self._post[name] = hook

    def pre(self, name: str) -> PrePersistHook | None:
        return self._pre.get(name)

    def post(self, name: str) -> PostPersistHook | None:
        return self._post.get(name)

    def load_entry_points(self) -> None:
        for group, register in ((PRE_GROUP, self._pre), (POST_GROUP, self._post)):
            for ep in entry_points(group=group):
                try:
                    register[ep.name] = ep.load()
                except Exception:
                    # One broken plugin must not stop the engine; its name stays unknown.
                    log.exception("cannot load persistence hook %s from %s", ep.name, ep.value)


class HookRegistry:
    def __init__(self) -> None:
        self.beans = BeanHookProvider()
        self._providers: list[HookProvider] = [self.beans]

    def add_provider(self, provider: HookProvider) -> None:
        self._providers.append(provider)
        self._providers.sort(key=lambda p: -p.rank)

    def register_pre(self, name: str, hook: PrePersistHook) -> None:
        self.beans.register_pre(name, hook)

    def register_post(self, name: str, hook: PostPersistHook) -> None:
        self.beans.register_post(name, hook)

    def resolve_pre(self, name: str) -> PrePersistHook:
        hook = self._resolve(name, lambda p, n: p.pre(n))
        if hook is None:
            raise HookNotFound(
                f"PrePersistHook [{name}] does not exist. Payload will not be persisted."
            )
        return hook

    def resolve_post(self, name: str) -> PostPersistHook:
        hook = self._resolve(name, lambda p, n: p.post(n))
        if hook is None:
            raise HookNotFound(
                f"PostPersistHook [{name}] does not exist. Payload will not be persisted."
            )
        return hook

    def _resolve(self, name: str, get: Callable[[HookProvider, str], T | None]) -> T | None:
        if name.startswith("bean://"):
            return get(self.beans, name.removeprefix("bean://"))
        if "://" in name:
            # dest:// (HTTP hooks on consumed destinations) is reserved but not implemented.
            return None
        for provider in self._providers:
            found = get(provider, name)
            if found is not None:
                return found
        return None


def hook_name(values: Sequence[str], header: str) -> str | None:
    """The one hook a request names; empty means none (spec §6), several is an error."""
    names = [v.strip() for v in values if v.strip()]
    if len(names) > 1 or any("," in n for n in names):
        raise InvalidHookHeader(f"At most one {header} header value is allowed.")
    return names[0] if names else None


async def call_maybe_async(result: T | Awaitable[T]) -> T:
    if inspect.isawaitable(result):
        return await result
    return result
