"""The small async repository protocol of commerce-api §0, adapted over `ContentSession`.

Reads are cached for the life of one `RepoSession` (one request, as the session is): a product
needs its node, its ancestors, the `image` child of each and its `productData` targets, and the
same nodes come up again for its variants. The cache turns those repeats into no store call, and
`nodes()` fetches whatever is missing in one store query. Any write clears the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.node import Node as RepoNode
from repo_server.model.values import Property, Value
from repo_server.session.session import ContentSession, NodeTree

PropertyValue = Value | list[Value]


class _Values(Mapping[str, PropertyValue]):
    """A read-only view of a node's properties as Python values (lists for multi-valued ones)."""

    __slots__ = ("_props",)

    def __init__(self, props: Mapping[str, Property]) -> None:
        self._props = props

    def __getitem__(self, key: str) -> PropertyValue:
        return self._props[key].python()

    def __iter__(self) -> Iterator[str]:
        return iter(self._props)

    def __len__(self) -> int:
        return len(self._props)

    def __contains__(self, key: object) -> bool:
        return key in self._props


class Node:
    """A node read through a `RepoSession`: values, plus `parent()`/`children()` reads."""

    __slots__ = ("properties", "raw", "session")

    def __init__(self, session: RepoSession, raw: RepoNode) -> None:
        self.session = session
        self.raw = raw
        self.properties: Mapping[str, PropertyValue] = _Values(raw.properties)

    @property
    def path(self) -> str:
        return self.raw.path

    @property
    def name(self) -> str:
        return self.raw.name

    @property
    def primary_type(self) -> str:
        return self.raw.primary_type

    @property
    def mixins(self) -> tuple[str, ...]:
        return self.raw.mixins

    @property
    def parent_path(self) -> str | None:
        return None if self.raw.path == P.ROOT else self.raw.parent_path

    @property
    def is_page(self) -> bool:
        return self.raw.primary_type == N.CQ_PAGE

    def value(self, name: str) -> Value | None:
        """The single value of `name` (the first of a multi-valued one), or None."""
        prop = self.raw.properties.get(name)
        return prop.values[0] if prop is not None and prop.values else None

    def string(self, name: str) -> str | None:
        found = self.value(name)
        return found if isinstance(found, str) else None

    async def parent(self) -> Node | None:
        parent = self.parent_path
        return None if parent is None else await self.session.get(parent)

    async def children(self) -> list[Node]:
        return await self.session.children(self.path)

    def __repr__(self) -> str:
        return f"Node({self.path!r})"


class RepoSession:
    """commerce-api §0 `RepoSession` over a `ContentSession` (same user, same access rules)."""

    def __init__(self, session: ContentSession) -> None:
        self.content = session
        self._known: dict[str, Node | None] = {}
        self._kids: dict[str, tuple[str, ...]] = {}
        # Bumped by every write, so readers holding derived data (the product loader's chain
        # memo) know to drop it.
        self.generation = 0

    @property
    def user_id(self) -> str:
        return self.content.user_id

    # --- reads --------------------------------------------------------------------------------
    def is_known(self, path: str) -> bool:
        return path in self._known

    def cached(self, path: str) -> Node | None:
        """A node already read (None when it was read as missing, or never read)."""
        return self._known.get(path)

    async def get(self, path: str) -> Node | None:
        """The node at `path`, or None when missing or unreadable."""
        path = P.normalize(path)
        if path not in self._known:
            raw = await self.content.get_node(path)
            self._known[path] = None if raw is None else Node(self, raw)
        return self._known[path]

    async def nodes(self, paths: Iterable[str]) -> dict[str, Node]:
        """The readable nodes among `paths`, fetching every uncached one in one store query."""
        wanted = list(dict.fromkeys(paths))
        missing = [p for p in wanted if p not in self._known]
        if missing:
            for path, raw in (await self._read_many(missing)).items():
                self._known[path] = Node(self, raw)
            for path in missing:
                self._known.setdefault(path, None)
        return {p: n for p in wanted if (n := self._known[p]) is not None}

    async def _read_many(self, paths: Sequence[str]) -> dict[str, RepoNode]:
        session = self.content
        if session.has_pending_changes:
            # Transient changes live in the session's tree: read through it (rare on reads).
            found = {}
            for path in paths:
                node = await session.get_node(path)
                if node is not None:
                    found[path] = node
            return found
        raw = await session.store.read(lambda r: r.nodes(paths))
        return {p: n for p, n in raw.items() if session.access.can_read(p)}

    async def subtree(self, path: str) -> Node | None:
        """Read the node and all its readable descendants (one store query) into the cache;
        `cached_children()` then answers for every node of the subtree."""
        path = P.normalize(path)
        if path in self._kids:
            return self._known.get(path)
        node = await self.get(path)
        if node is None:
            return None
        tree = await self.content.subtree(path, None)

        def remember(holder: NodeTree) -> None:
            if holder.node.path not in self._known or self._known[holder.node.path] is None:
                self._known[holder.node.path] = Node(self, holder.node)
            self._kids[holder.node.path] = tuple(c.node.path for c in holder.children)
            for child in holder.children:
                remember(child)

        remember(tree)
        return self._known[path]

    def cached_children(self, path: str) -> list[Node] | None:
        """Children in child order when the subtree of `path` (or an ancestor) was read."""
        kids = self._kids.get(path)
        if kids is None:
            return None
        return [n for p in kids if (n := self._known.get(p)) is not None]

    def has_complete_children(self, path: str) -> bool:
        return path in self._kids

    async def children(self, path: str) -> list[Node]:
        """Readable children of `path` in child order."""
        path = P.normalize(path)
        cached = self.cached_children(path)
        if cached is not None:
            return cached
        found = [Node(self, raw) for raw in await self.content.children(path)]
        for node in found:
            self._known[node.path] = node
        self._kids[path] = tuple(n.path for n in found)
        return found

    async def query(self, root: str, predicate: Callable[[Node], bool]) -> list[Node]:
        """The nodes of the subtree of `root` (itself included) that match, in document order."""
        top = await self.subtree(root)
        if top is None:
            return []
        out: list[Node] = []
        stack = [top]
        while stack:
            node = stack.pop()
            if predicate(node):
                out.append(node)
            stack.extend(reversed(self.cached_children(node.path) or []))
        return out

    # --- writes (transient until save) --------------------------------------------------------
    def _forget(self) -> None:
        self._known.clear()
        self._kids.clear()
        self.generation += 1

    async def create(
        self, path: str, primary_type: str | None = None, props: Mapping[str, Any] | None = None
    ) -> Node:
        self._forget()
        raw = await self.content.add_node(path, primary_type, properties=props or {})
        return Node(self, raw)

    async def update(self, path: str, props: Mapping[str, Any]) -> None:
        """Set properties; a None value removes the key."""
        self._forget()
        for name, value in props.items():
            await self.content.set_property(path, name, value)

    async def delete(self, path: str) -> None:
        self._forget()
        await self.content.remove(path)

    async def save(self) -> None:
        self._forget()
        await self.content.save()
