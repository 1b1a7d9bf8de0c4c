"""The NodeStore protocol: read nodes and children, commit a batch atomically, query by path.

Repository logic above the store (node types, sessions, conflicts) runs as plain synchronous
functions handed to `NodeStore.read` / `NodeStore.write`, which execute them next to the
database in one hop. Per-row awaits through aiosqlite cost 0.25-0.8 ms each on the dev VM
(research §5); one hop per operation keeps a single-node save well above 1 000/s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, TypeVar

from repo_server.model.changes import Change
from repo_server.model.node import Node

T = TypeVar("T")


class NewRow(NamedTuple):
    """A node row to insert; `props` is the encoded property map (incl. type properties).

    A NamedTuple: bulk loads make one per node, and a tuple is the cheapest record to build."""

    id: int
    parent_id: int
    name: str
    path: str
    sort_key: int | None
    ptype: str
    uuid: str | None
    props: bytes


class GoneNode(NamedTuple):
    """A node a subtree delete removed: its id, uuid and searchable text ("" for none)."""

    id: int
    uuid: str | None
    text: str


@dataclass(frozen=True, slots=True)
class JournalEntry:
    revision: int
    committed_at: int
    user_id: str
    changes: tuple[Change, ...]


class StoreReader(Protocol):
    """Synchronous reads inside one store transaction (a consistent snapshot)."""

    def node(self, path: str) -> Node | None:
        """The node at `path`, or None."""

    def nodes(self, paths: Sequence[str]) -> dict[str, Node]:
        """The nodes that exist among `paths`, keyed by path, in one query."""

    def node_by_id(self, node_id: int) -> Node | None: ...

    def node_by_uuid(self, uuid: str) -> Node | None: ...

    def children(self, parent_id: int, *, offset: int = 0, limit: int | None = None) -> list[Node]:
        """Children of the node `parent_id` in child order."""

    def child_names(self, parent_id: int) -> list[str]:
        """Names of the children of `parent_id` in child order."""

    def count_children(self, parent_id: int, limit: int | None = None) -> int: ...

    def descendants(self, path: str, max_depth: int | None = None) -> list[Node]:
        """Strict descendants of `path` down to `max_depth` levels (None = all); siblings come
        in child order (rows are grouped by parent)."""

    def count_descendants(self, path: str, max_depth: int, limit: int) -> list[int]:
        """Number of descendants at each level 1..max_depth, stopping after `limit` in all."""

    def referrers(
        self, uuids: Iterable[str], *, weak: bool | None = False
    ) -> list[tuple[str, str, str]]:
        """(source path, property name, target uuid) of the properties referring to `uuids`."""

    def blob(self, sha256: str) -> bytes | None: ...

    def head_revision(self) -> int: ...

    def index_lookup(self, index_name: str, value: bytes) -> list[int]:
        """Node ids under `value` in the property index `index_name`."""

    def meta(self, key: str) -> bytes | None: ...

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """Escape hatch for repository services with their own tables (queues, tokens)."""


class StoreWriter(StoreReader, Protocol):
    """Synchronous writes inside the one write transaction; all or nothing."""

    def allocate_ids(self, count: int) -> int:
        """Reserve `count` fresh node ids (never reused); returns the first."""

    def insert_nodes(
        self, rows: Sequence[NewRow], revision: int, mixins: Sequence[tuple[int, str]] = ()
    ) -> None:
        """Insert new node rows (parents first) and their (node id, mixin) pairs."""

    def update_nodes(
        self, rows: Sequence[tuple[int, str, str | None, bytes, tuple[str, ...]]], revision: int
    ) -> None:
        """Rewrite (id, ptype, uuid, props, mixins) of existing nodes."""

    def move_node(
        self, node_id: int, new_parent_id: int, new_path: str, sort_key: int | None, revision: int
    ) -> None:
        """Move the node and rewrite the paths of its whole subtree (one UPDATE)."""

    def delete_subtree(self, node_id: int) -> list[GoneNode]:
        """Delete the node and its descendants; returns what the commit's index and
        reference work needs of them."""

    def max_sort_key(self, parent_id: int) -> int | None: ...

    def set_sort_keys(self, keys: Sequence[tuple[int, int | None]]) -> None: ...

    def put_blobs(self, blobs: Sequence[tuple[str, bytes]]) -> None: ...

    def replace_references(self, source_id: int, refs: Iterable[tuple[str, str, bool]]) -> None:
        """Replace the (target uuid, property name, weak) rows of `source_id`."""

    def delete_references_from(self, source_ids: Sequence[int]) -> None: ...

    def replace_index_entries(
        self, node_id: int, entries: Iterable[tuple[str, bytes]], index_names: Iterable[str]
    ) -> None:
        """Replace the node's rows in the named property indexes by `entries`."""

    def delete_index_entries(self, node_ids: Sequence[int]) -> None: ...

    def clear_index(self, index_name: str) -> None: ...

    def insert_fulltext(self, rows: Sequence[tuple[int, str]]) -> None:
        """Index texts, each given as (node id, text)."""

    def delete_fulltext(self, rows: Sequence[tuple[int, str]]) -> None:
        """Remove full-text rows, each given as (node id, the text it was indexed with)."""

    def rebuild_fulltext(self) -> None:
        """Make the full-text index anew from the stored nodes."""

    def append_journal(self, user_id: str, changes: Sequence[Change], committed_at: int) -> int:
        """Record a committed change set; returns its revision (the next head revision)."""

    def next_revision(self) -> int: ...

    def set_meta(self, key: str, value: bytes) -> None: ...


CommitListener = Callable[[JournalEntry], object]


class NodeStore(Protocol):
    """An async node store. Every read or write runs one synchronous function in one hop."""

    async def open(self) -> None:
        """Open (and if needed create) the store; StoreUnavailable when it cannot."""

    async def close(self) -> None: ...

    async def read(self, fn: Callable[[StoreReader], T]) -> T:
        """Run `fn` against a consistent snapshot; returns its result."""

    async def write(self, fn: Callable[[StoreWriter], T]) -> T:
        """Run `fn` in the single write transaction: committed if it returns, rolled back if
        it raises (the exception propagates). Writes are serialised."""

    async def get_node(self, path: str) -> Node | None:
        """The node at `path` (served from the hot-node cache when possible)."""

    async def journal(self, since: int, limit: int = 1000) -> list[JournalEntry]:
        """Journal entries with revision > `since`, in revision order."""

    @property
    def head(self) -> int:
        """The latest committed revision."""

    def add_listener(self, listener: CommitListener) -> None: ...
