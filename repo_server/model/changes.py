"""Change: what a write did. Responses, the journal, observation and replication consume it."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

ChangeKind = Literal["created", "modified", "deleted", "moved", "copied", "ordered", "mixins"]


class Change(NamedTuple):
    """One change in execution order, in Sling's vocabulary (`Modification` / `ModificationType`).

    `created`/`deleted` name a node path (`deleted` may name a property path); `modified` names a
    property path; `moved`/`copied` carry `argument` = destination; `ordered` carries the name of
    the sibling the node was placed before (None = last). A NamedTuple: a bulk load makes one
    per node.
    """

    kind: ChangeKind
    path: str
    argument: str | None = None

    @classmethod
    def from_wire(cls, raw: list[Any]) -> Change:
        """From [kind, path, argument]: what msgpack makes of the tuple (the journal packs
        changes as they are)."""
        return cls(raw[0], raw[1], raw[2])
