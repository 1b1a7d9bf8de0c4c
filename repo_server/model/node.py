"""Node snapshots: what a read of the repository returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from repo_server.model import path as _path
from repo_server.model.values import Property


@dataclass(frozen=True, slots=True)
class Node:
    """One node as read: identity, types, properties (without jcr:primaryType/jcr:mixinTypes).

    `properties` holds every property except the two type properties, which are kept as
    `primary_type` and `mixins` (they are rendered from there).
    """

    id: int
    path: str
    primary_type: str
    mixins: tuple[str, ...]
    properties: Mapping[str, Property] = field(repr=False)
    revision: int = 0

    @property
    def name(self) -> str:
        return _path.name(self.path)

    @property
    def parent_path(self) -> str:
        return _path.parent(self.path)

    @property
    def uuid(self) -> str | None:
        prop = self.properties.get("jcr:uuid")
        return str(prop.values[0]) if prop is not None and prop.values else None

    def get(self, name: str) -> Property | None:
        return self.properties.get(name)
