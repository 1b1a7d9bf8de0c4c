"""An OSGi-like service registry: implementations of an interface, ranked and filtered."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from repo_server.errors import NotFound

T = TypeVar("T")
_counter = itertools.count()


class ServiceNotFound(NotFound):
    code = "service-not-found"


@dataclass(frozen=True)
class ServiceReference(Generic[T]):
    interface: type[T]
    service: T
    properties: Mapping[str, Any] = field(default_factory=dict)
    order: int = 0

    @property
    def ranking(self) -> int:
        value = self.properties.get("service.ranking", 0)
        return (
            int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else 0
        )


class ServiceRegistry:
    """Register services under an interface; the highest `service.ranking` wins, and among
    equal rankings the one registered first (OSGi's rule: lowest service id)."""

    def __init__(self) -> None:
        self._refs: dict[type[Any], list[ServiceReference[Any]]] = {}
        self._listeners: list[Callable[[ServiceReference[Any], str], None]] = []

    def register(
        self, interface: type[T], service: T, properties: Mapping[str, Any] | None = None
    ) -> ServiceReference[T]:
        ref = ServiceReference(interface, service, dict(properties or {}), next(_counter))
        self._refs.setdefault(interface, []).append(ref)
        for listener in self._listeners:
            listener(ref, "registered")
        return ref

    def unregister(self, ref: ServiceReference[Any]) -> None:
        refs = self._refs.get(ref.interface, [])
        if ref in refs:
            refs.remove(ref)
            for listener in self._listeners:
                listener(ref, "unregistered")

    def references(self, interface: type[T], **filters: Any) -> list[ServiceReference[T]]:
        """All references of `interface` whose properties match `filters`, best ranked first."""
        refs = [
            r
            for r in self._refs.get(interface, [])
            if all(r.properties.get(k) == v for k, v in filters.items())
        ]
        return sorted(refs, key=lambda r: (-r.ranking, r.order))

    def get(self, interface: type[T], **filters: Any) -> T | None:
        refs = self.references(interface, **filters)
        return refs[0].service if refs else None

    def require(self, interface: type[T], **filters: Any) -> T:
        found = self.get(interface, **filters)
        if found is None:
            wanted = ", ".join(f"{k}={v}" for k, v in filters.items())
            raise ServiceNotFound(
                f"no {interface.__name__} service{' with ' + wanted if wanted else ''}",
                interface=interface.__name__,
            )
        return found

    def all(self, interface: type[T], **filters: Any) -> list[T]:
        return [r.service for r in self.references(interface, **filters)]

    def add_listener(self, listener: Callable[[ServiceReference[Any], str], None]) -> None:
        self._listeners.append(listener)
