"""ContentSession: the read and write API of the repository, and the Repository that makes them.

A session reads the latest committed state of nodes it has not changed (as Jackrabbit 2's
shared item state does; each read is one atomic store call) with its own transient changes
overlaid, and `save()` replays those changes on the latest state as one atomic commit,
refusing what conflicts (spec §10.4). One short session per HTTP request is the expected use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar

from repo_server.errors import (
    AccessDenied,
    InvalidPath,
    InvalidValue,
    NodeNotFound,
    PropertyNotFound,
    ProtectedItem,
)
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.changes import Change
from repo_server.model.node import Node
from repo_server.model.values import (
    Binary,
    Property,
    PropertyType,
    convert_property,
    make_property,
    now,
    type_properties,
)
from repo_server.nodetypes import NodeTypeRegistry
from repo_server.session import operations as ops
from repo_server.session.commit import CommitHook, CommitResult, flush, validate
from repo_server.session.tree import Tree
from repo_server.store.base import NewRow, StoreReader, StoreWriter
from repo_server.store.sqlite import SQLiteNodeStore, now_ms

log = logging.getLogger(__name__)
T = TypeVar("T")

InheritanceMode = Literal["ancestors", "pages", "component"]


class AccessPolicy(Protocol):
    """What one user may do; `repo_server.security` provides the ACL-backed one."""

    def can_read(self, path: str) -> bool: ...

    def can_write(self, path: str) -> bool: ...


class AllowAll:
    def can_read(self, path: str) -> bool:
        return True

    def can_write(self, path: str) -> bool:
        return True


@dataclass
class NodeTree:
    """A node with its children down to some depth, in child order (for renderings)."""

    node: Node
    children: list[NodeTree]


class Repository:
    """The open repository: store, node types, commit hooks. Creates sessions."""

    def __init__(self, store: SQLiteNodeStore, registry: NodeTypeRegistry | None = None) -> None:
        self.store = store
        self.registry = registry or NodeTypeRegistry()
        self.commit_hooks: list[CommitHook] = []

    async def open(self) -> None:
        await self.store.open()
        await self.store.write(self._bootstrap)

    async def close(self) -> None:
        await self.store.close()

    def _bootstrap(self, writer: StoreWriter) -> None:
        for prefix, uri in writer.execute("SELECT prefix, uri FROM namespace"):
            assert isinstance(prefix, str)
            assert isinstance(uri, str)
            self.registry.namespaces.register(prefix, uri)
        stored = [str(r[0]) for r in writer.execute("SELECT cnd FROM node_type ORDER BY rowid")]
        for cnd in stored:
            try:
                self.registry.register_cnd(cnd, allow_update=True)
            except Exception:
                log.exception("a stored node type definition could not be loaded")
        if writer.node(P.ROOT) is not None:
            return
        first = writer.allocate_ids(2)
        root_props = type_properties(N.REP_ROOT, [])
        system_props = type_properties(N.REP_SYSTEM, [])
        from repo_server.model.values import encode_properties

        writer.insert_nodes(
            [
                NewRow(first, 0, "", P.ROOT, None, N.REP_ROOT, None, encode_properties(root_props)),
                NewRow(
                    first + 1,
                    first,
                    N.JCR_SYSTEM,
                    "/jcr:system",
                    1024,
                    N.REP_SYSTEM,
                    None,
                    encode_properties(system_props),
                ),
            ],
            writer.next_revision(),
        )
        writer.execute("UPDATE node SET parent_id = NULL WHERE id = ?", (first,))
        writer.append_journal("system", [Change("created", P.ROOT)], now_ms())

    async def register_node_types(self, cnd: str) -> list[str]:
        """Register CND text at run time and keep it in the store (admin only over HTTP)."""
        types = self.registry.register_cnd(cnd, allow_update=True)
        namespaces = dict(self.registry.namespaces.prefixes)

        def save(writer: StoreWriter) -> None:
            for prefix, uri in namespaces.items():
                if prefix not in N.BUILTIN_NAMESPACES:
                    writer.execute(
                        "INSERT OR IGNORE INTO namespace (prefix, uri) VALUES (?, ?)", (prefix, uri)
                    )
            writer.execute(
                "INSERT INTO node_type (name, cnd) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET cnd = excluded.cnd",
                (",".join(t.name for t in types), cnd),
            )

        await self.store.write(save)
        return [t.name for t in types]

    def session(self, user_id: str = "admin", access: AccessPolicy | None = None) -> ContentSession:
        return ContentSession(self, user_id, access or AllowAll())


class ContentSession:
    """Reads and transient writes of one user; `save()` commits them atomically."""

    def __init__(self, repository: Repository, user_id: str, access: AccessPolicy) -> None:
        self.repository = repository
        self.store = repository.store
        self.registry = repository.registry
        self.user_id = user_id
        self.access = access
        self._tree = Tree()
        self._ops: list[ops.Operation] = []
        self._now: datetime | None = None

    # --- plumbing ----------------------------------------------------------------------------
    @property
    def has_pending_changes(self) -> bool:
        return bool(self._ops)

    def _context(self, replay: bool = False) -> ops.OpContext:
        if self._now is None:
            self._now = now()
        return ops.OpContext(self.registry, self.user_id, self._now, replay)

    async def _read(self, fn: Callable[[Tree], T]) -> T:
        tree = self._tree

        def run(reader: StoreReader) -> T:
            tree.reader = reader
            try:
                return fn(tree)
            finally:
                tree.reader = None

        return await self.store.read(run)

    async def _apply(self, op: ops.Operation) -> None:
        ctx = self._context()
        # A failing operation must leave the transient space as it was: apply it to the tree
        # and undo by re-applying the log when it fails (rare; keeps every op simple).
        try:
            await self._read(lambda tree: op.apply(tree, ctx))
        except BaseException:
            await self._rebuild()
            raise
        self._ops.append(op)

    async def _rebuild(self) -> None:
        self._tree = Tree()
        ctx = self._context()
        pending = list(self._ops)

        def run(tree: Tree) -> None:
            for op in pending:
                op.apply(tree, ctx)

        await self._read(run)

    def _readable(self, node: Node | None) -> Node | None:
        if node is None or not self.access.can_read(node.path):
            return None
        return node

    def _check_write(self, path: str) -> None:
        ops.check_writable_path(path)
        if not self.access.can_read(path):
            # An unreadable node is indistinguishable from a missing one, writes included
            # (issue 3): 404 here, 403 only for what the user can see.
            raise NodeNotFound(f"no node at {path}", path=path)
        if not self.access.can_write(path):
            raise AccessDenied(f"{self.user_id} may not write {path}", path=path)

    # --- reads --------------------------------------------------------------------------------
    async def get_node(self, path: str) -> Node | None:
        """The node at `path`, or None (also when the user may not read it)."""
        path = self._path(path)
        if not self._tree.has_changes:
            return self._readable(await self.store.get_node(path))
        return self._readable(await self._read(lambda tree: tree.node(path)))

    async def node(self, path: str) -> Node:
        """The node at `path`; NodeNotFound when missing or unreadable."""
        found = await self.get_node(path)
        if found is None:
            raise NodeNotFound(f"no node at {path}", path=path)
        return found

    async def exists(self, path: str) -> bool:
        return await self.get_node(path) is not None

    async def item_exists(self, path: str) -> bool:
        """A node or a property exists at `path`."""
        if await self.exists(path):
            return True
        if path == P.ROOT:
            return False
        parent = await self.get_node(P.parent(path))
        return parent is not None and (
            P.name(path) in parent.properties
            or P.name(path) in (N.JCR_PRIMARY_TYPE, N.JCR_MIXIN_TYPES)
        )

    async def get_property(self, path: str) -> Property:
        """The property at `path` (node path + '/' + name); PropertyNotFound if none."""
        path = self._path(path)
        parent = await self.get_node(P.parent(path)) if path != P.ROOT else None
        name = P.name(path)
        if parent is not None:
            if name == N.JCR_PRIMARY_TYPE:
                return Property(PropertyType.NAME, False, (parent.primary_type,))
            if name == N.JCR_MIXIN_TYPES and parent.mixins:
                return Property(PropertyType.NAME, True, parent.mixins)
            prop = parent.properties.get(name)
            if prop is not None:
                return prop
        raise PropertyNotFound(f"no property at {path}", path=path)

    async def children(self, path: str, *, offset: int = 0, limit: int | None = None) -> list[Node]:
        """Readable children of `path` in child order."""
        path = self._path(path)
        if not self._tree.has_changes:
            parent = await self.node(path)

            def fetch(r: StoreReader) -> list[Node]:
                return r.children(parent.id, offset=offset, limit=limit)

            # A bounded page is a point read; an unbounded listing may be huge: thread it.
            if limit is not None and limit <= 1000:
                found = self.store.read_point(fetch)
            else:
                found = await self.store.read(fetch)
        else:
            found = await self._read(lambda tree: tree.children(path))
            found = found[offset : None if limit is None else offset + limit]
        return [n for n in found if self.access.can_read(n.path)]

    async def child_names(self, path: str) -> list[str]:
        return [n.name for n in await self.children(path)]

    async def subtree(self, path: str, depth: int | None) -> NodeTree:
        """The node at `path` with its readable descendants down to `depth` (None = all).

        Unchanged content comes in one range query, grouped by parent in child order.
        """
        path = self._path(path)
        root = await self.node(path)
        if depth == 0:
            return NodeTree(root, [])
        if not self._tree.has_changes:
            nodes = await self.store.read(lambda r: r.descendants(path, depth))
            by_parent: dict[str, list[NodeTree]] = {}
            holders: dict[str, NodeTree] = {path: NodeTree(root, [])}
            for node in nodes:
                holder = NodeTree(node, [])
                holders[node.path] = holder
                by_parent.setdefault(node.parent_path, []).append(holder)
            for parent_path, kids in by_parent.items():
                owner = holders.get(parent_path)
                if owner is not None:
                    owner.children = [k for k in kids if self.access.can_read(k.node.path)]
            return holders[path]

        def walk(tree: Tree) -> NodeTree:
            def build(node: Node, level: int) -> NodeTree:
                kids: list[NodeTree] = []
                if depth is None or level < depth:
                    for child in tree.children(node.path):
                        if self.access.can_read(child.path):
                            kids.append(build(child, level + 1))
                return NodeTree(node, kids)

            return build(root, 0)

        return await self._read(walk)

    async def count_descendants(self, path: str, max_depth: int, limit: int) -> list[int]:
        path = self._path(path)
        return await self.store.read(lambda r: r.count_descendants(path, max_depth, limit))

    async def node_by_uuid(self, uuid: str) -> Node | None:
        return self._readable(self.store.read_point(lambda r: r.node_by_uuid(uuid)))

    async def references(
        self, path: str, name: str | None = None, *, weak: bool = False
    ) -> list[str]:
        """Paths of the (weak) REFERENCE properties pointing at the node at `path`."""
        node = await self.node(path)
        if node.uuid is None:
            return []
        uuid = node.uuid
        rows = await self.store.read(lambda r: r.referrers([uuid], weak=weak))
        return [
            P.join(src, prop)
            for src, prop, _ in rows
            if (name is None or prop == name) and self.access.can_read(src)
        ]

    async def read_binary(self, value: Binary) -> bytes:
        if value.data is not None:
            return value.data
        sha = value.sha256
        data = await self.store.read(lambda r: r.blob(sha))
        if data is None:
            raise PropertyNotFound(f"binary {sha} is missing from the blob store", sha256=sha)
        return data

    async def get_inherited(
        self, path: str, name: str, mode: InheritanceMode = "ancestors"
    ) -> Property | None:
        """The first value of `name` found on the node or up its hierarchy (spec §12).

        `ancestors`: the node, then each ancestor (a cq:Page's jcr:content counts for it);
        `pages`: the same page-relative node under each ancestor page; `component`: ancestors
        within the node's own page content. All candidates come in one query per step.
        """
        path = self._path(path)
        chain = [path, *P.ancestors(path)]
        if mode == "ancestors":
            keys = [k for a in chain for k in (a, P.join(a, N.JCR_CONTENT))]
            found = await self._nodes(keys)
            if path not in found:  # as in the other modes: no inheriting for a missing node
                raise NodeNotFound(f"no node at {path}", path=path)
            for a in chain:
                node = found.get(a)
                if node is None:
                    continue
                if name in node.properties:
                    return node.properties[name]
                if node.primary_type == N.CQ_PAGE:
                    content = found.get(P.join(a, N.JCR_CONTENT))
                    if content is not None and name in content.properties and content.path != path:
                        return content.properties[name]
            return None
        found = await self._nodes(chain)
        own = found.get(path)
        if own is None:
            raise NodeNotFound(f"no node at {path}", path=path)
        if name in own.properties:
            return own.properties[name]
        page = next((a for a in chain if (n := found.get(a)) and n.primary_type == N.CQ_PAGE), None)
        if mode == "component":
            limit = P.join(page, N.JCR_CONTENT) if page else P.ROOT
            for a in chain[1:]:
                if not P.is_same_or_descendant(a, limit):
                    break
                node = found.get(a)
                if node is not None and name in node.properties:
                    return node.properties[name]
            return None
        if page is None:
            return None
        rel = P.relative(path, page)
        pages = [
            a for a in P.ancestors(page) if (n := found.get(a)) and n.primary_type == N.CQ_PAGE
        ]
        candidates = [P.join(a, rel) if rel else a for a in pages]
        found = await self._nodes(candidates)
        for c in candidates:
            node = found.get(c)
            if node is not None and name in node.properties:
                return node.properties[name]
        return None

    async def _nodes(self, paths: Sequence[str]) -> dict[str, Node]:
        if not self._tree.has_changes:
            found = self.store.read_point(lambda r: r.nodes(paths))
        else:

            def run(tree: Tree) -> dict[str, Node]:
                out = {}
                for p in paths:
                    n = tree.node(p)
                    if n is not None:
                        out[p] = n
                return out

            found = await self._read(run)
        return {p: n for p, n in found.items() if self.access.can_read(p)}

    # --- writes (transient until save) --------------------------------------------------------
    async def add_node(
        self,
        path: str,
        primary_type: str | None = None,
        *,
        mixins: Iterable[str] = (),
        properties: Mapping[str, Any] | None = None,
    ) -> Node:
        """Add a node (its parent must exist). Properties are Python values or Property objects.

        Raises NodeExists, NodeNotFound (parent), ConstraintViolation, InvalidValue.
        """
        path = self._path(path)
        self._check_write(path)
        props = {self._name(k): self._property(v) for k, v in (properties or {}).items()}
        for name in props:
            if name in (
                N.JCR_PRIMARY_TYPE,
                N.JCR_MIXIN_TYPES,
                N.JCR_UUID,
                N.JCR_CREATED,
                N.JCR_CREATED_BY,
            ):
                raise ProtectedItem(f"property {name} is protected", name=name)
        op = ops.AddNode(
            path,
            self._name(primary_type) if primary_type else None,
            [self._name(m) for m in mixins],
            props,
        )
        await self._apply(op)
        return await self.node(path)

    def _name(self, name: str) -> str:
        return N.validate_name(name, self.registry.namespaces)

    def _path(self, path: str) -> str:
        """Normalize with the repository's namespaces (runtime-registered prefixes included).

        The built-in mapping is tried first: its results are cached, and it serves nearly every
        path; only a path with a registered prefix takes the slower second pass.
        """
        try:
            return P.normalize(path)
        except InvalidPath:
            return P.normalize(path, namespaces=self.registry.namespaces)

    @staticmethod
    def _property(value: Any, type_: PropertyType | None = None) -> Property:
        if isinstance(value, Property):
            return value if type_ is None else convert_property(value, type_)
        return make_property(value, type_)

    async def set_property(
        self, path: str, name: str, value: Any, type_: PropertyType | None = None
    ) -> None:
        """Set a property (None removes it); InvalidValue, ProtectedItem, NodeNotFound."""
        path = self._path(path)
        name = self._name(name)
        self._check_write(path)
        prop = None if value is None else self._property(value, type_)
        node = await self.node(path)
        ops.check_not_protected(self.registry, node, name)
        await self._apply(ops.SetProperty(path, name, prop))

    async def remove_property(self, path: str, name: str) -> None:
        await self.set_property(path, name, None)

    async def set_primary_type(self, path: str, primary_type: str) -> None:
        path = self._path(path)
        self._check_write(path)
        await self._apply(ops.SetTypes(path, self._name(primary_type), None))

    async def set_mixins(self, path: str, mixins: Iterable[str]) -> None:
        path = self._path(path)
        self._check_write(path)
        await self._apply(ops.SetTypes(path, None, [self._name(m) for m in mixins]))

    async def add_mixin(self, path: str, mixin: str) -> None:
        """Add a mixin (no effect if the effective type already has it, spec §7.9)."""
        node = await self.node(path)
        mixin = self._name(mixin)
        self.registry.check_mixin(mixin)
        if self.registry.effective(node.primary_type, node.mixins).includes(mixin):
            return
        await self.set_mixins(path, [*node.mixins, mixin])

    async def remove_mixin(self, path: str, mixin: str) -> None:
        node = await self.node(path)
        mixin = self._name(mixin)
        if mixin not in node.mixins:
            raise InvalidValue(f"{mixin} is not a mixin of {path}", path=path, mixin=mixin)
        await self.set_mixins(path, [m for m in node.mixins if m != mixin])

    async def remove(self, path: str) -> None:
        """Remove the node at `path` with its subtree."""
        path = self._path(path)
        self._check_write(path)
        await self.node(path)
        await self._apply(ops.Remove(path))

    async def move(self, source: str, destination: str) -> None:
        """Move a subtree; MoveIntoDescendant, NodeExists, NodeNotFound."""
        source, destination = self._path(source), self._path(destination)
        self._check_write(source)
        self._check_write(destination)
        await self.node(source)
        await self._apply(ops.Move(source, destination))

    async def rename(self, path: str, new_name: str) -> None:
        path = self._path(path)
        await self.move(path, P.join(P.parent(path), self._name(new_name)))

    async def copy(self, source: str, destination: str) -> None:
        """Copy a subtree; the copies get new `jcr:uuid`s and internal references follow."""
        source, destination = self._path(source), self._path(destination)
        # /jcr:system is the repository's own: its nodes (rep:system, version storage) have
        # no place in content, so they are not copied out either.
        ops.check_writable_path(source)
        self._check_write(destination)
        await self.node(source)
        await self._apply(ops.Copy(source, destination))

    async def order_before(self, path: str, before: str | None) -> None:
        """Place the node before its sibling named `before` (None: last)."""
        path = self._path(path)
        self._check_write(P.parent(path))
        await self._apply(ops.Order(path, before))

    def queue(self, op: ops.Operation) -> None:
        """Queue an operation without applying it now (bulk loads): it runs at save."""
        self._ops.append(op)
        # Its own marker per session: trees carry a reader while in use, so none may be shared.
        self._tree = _StaleTree()

    # --- save / refresh ----------------------------------------------------------------------
    async def save(self) -> CommitResult:
        """Commit every transient change atomically; on any error nothing is written and the
        transient changes stay for the caller to fix or `refresh()`.

        Raises ConcurrentModification, ConstraintViolation, ReferentialIntegrity, ...
        """
        if not self._ops:
            return CommitResult(self.store.head, [])
        pending = list(self._ops)
        ctx = self._context(replay=True)
        registry = self.registry
        hooks = list(self.repository.commit_hooks)
        user = self.user_id

        def commit(writer: StoreWriter) -> CommitResult:
            tree = Tree()
            tree.reader = writer
            for op in pending:
                op.apply(tree, ctx)
            validate(tree, registry)
            for hook in hooks:
                hook(tree, writer)
            return flush(tree, writer, registry, user, now_ms())

        result = await self.store.write(commit)
        self._ops.clear()
        self._tree = Tree()
        self._now = None
        return result

    async def refresh(self, keep_changes: bool = False) -> None:
        """Drop the transient changes (or keep them, re-applied on the latest state)."""
        if keep_changes:
            await self._rebuild()
        else:
            self._ops.clear()
            self._tree = Tree()
            self._now = None

    def pending_changes(self) -> list[Change]:
        return list(self._tree.changes)


class _StaleTree(Tree):
    """Marks a session whose queued operations have not been applied to a tree."""

    @property
    def has_changes(self) -> bool:
        return True
