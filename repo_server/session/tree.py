"""The transient tree: a session's unsaved changes overlaid on the stored nodes.

One piece serves both sides of a save: the session applies operations to a `Tree` over a
reader as the client calls them (so reads see them), and the commit replays the same operations
on a fresh `Tree` over the writer, against the latest state, before validating and flushing it.

Layout: `nodes` maps current paths to transient nodes (`TNode`) or to None (a tombstone: the
stored node that was there is gone or moved away). A path with no entry is resolved through its
nearest ancestor entry: a new ancestor means "does not exist", a stored ancestor maps the path
to the store path below that ancestor's stored location (which differs after a move).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from types import MappingProxyType
from typing import Final

from repo_server.errors import InvalidPath, MoveIntoDescendant, NodeExists, NodeNotFound
from repo_server.model import path as P
from repo_server.model.changes import Change
from repo_server.model.node import Node
from repo_server.model.values import Property
from repo_server.store.base import StoreReader


class _Missing:
    """The marker for "no entry" in `Tree.nodes` (None already means a tombstone)."""


_MISSING: Final = _Missing()


class TNode:
    """A node as changed in this session (new, or a stored node with edits or a new place)."""

    __slots__ = (
        "added",
        "base",
        "base_path",
        "checked",
        "dirty",
        "id",
        "mixins",
        "moved",
        "new",
        "path",
        "primary",
        "props",
        "removed",
        "reorders",
        "types_dirty",
    )

    def __init__(
        self,
        path: str,
        primary: str,
        mixins: list[str],
        props: dict[str, Property],
        base: Node | None = None,
    ) -> None:
        self.path = path
        self.primary = primary
        self.mixins = mixins
        self.props = props
        self.base = base
        self.new = base is None
        self.id: int | None = base.id if base is not None else None
        self.base_path: str | None = base.path if base is not None else None
        self.added: dict[str, None] = {}  # children added here (new, moved or copied in), in order;
        # a dict for O(1) membership: bulk loads add thousands of children to one parent
        self.reorders: list[tuple[str, str | None]] = []
        self.dirty = self.new
        self.types_dirty = self.new
        self.moved = False
        self.checked = False  # validated by the operation that made it (bulk imports)

    def snapshot(self) -> Node:
        return Node(
            id=self.id if self.id is not None else -1,
            path=self.path,
            primary_type=self.primary,
            mixins=tuple(self.mixins),
            properties=MappingProxyType(dict(self.props)),
            revision=self.base.revision if self.base is not None else 0,
        )


Entry = TNode | None


class Tree:
    """Transient changes over a store reader. Not thread-safe; one operation at a time."""

    def __init__(self) -> None:
        self.nodes: dict[str, Entry] = {}
        self.deleted: list[tuple[int, str]] = []  # stored (id, store path) whose subtree goes
        self.changes: list[Change] = []
        self.reader: StoreReader | None = None

    # --- resolution ---------------------------------------------------------------------------
    @property
    def has_changes(self) -> bool:
        return bool(self.nodes) or bool(self.deleted)

    def _reader(self) -> StoreReader:
        assert self.reader is not None, "Tree used outside a store call"
        return self.reader

    def store_path(self, path: str) -> str | None:
        """Where the node at current `path` lives in the store, or None if it cannot be there."""
        entry = self.nodes.get(path, _MISSING)
        if not isinstance(entry, _Missing):
            return None if entry is None or entry.new else entry.base_path
        p = path
        while p != P.ROOT:
            p = P.parent(p)
            entry = self.nodes.get(p, _MISSING)
            if isinstance(entry, _Missing):
                continue
            if entry is None or entry.new or entry.base_path is None:
                return None
            return P.rebase(path, p, entry.base_path)
        return path

    def get(self, path: str) -> TNode | Node | None:
        """The node at `path` in the current view: a TNode if changed here, a stored Node, None."""
        entry = self.nodes.get(path, _MISSING)
        if not isinstance(entry, _Missing):
            return entry
        base = self.store_path(path)
        if base is None:
            return None
        node = self._reader().node(base)
        if node is not None and base != path:
            node = replace(node, path=path)
        return node

    def node(self, path: str) -> Node | None:
        found = self.get(path)
        return found.snapshot() if isinstance(found, TNode) else found

    def exists(self, path: str) -> bool:
        return self.get(path) is not None

    def require(self, path: str) -> TNode | Node:
        found = self.get(path)
        if found is None:
            raise NodeNotFound(f"no node at {path}", path=path)
        return found

    def edit(self, path: str) -> TNode:
        """The node at `path` as a TNode, materialising a stored node on first change."""
        found = self.require(path)
        if isinstance(found, TNode):
            return found
        base = found
        if base.path != path:  # read through a moved ancestor: keep the store location
            store = self.store_path(path)
            assert store is not None
            base = replace(base, path=store)
        t = TNode(path, found.primary_type, list(found.mixins), dict(found.properties), base)
        self.nodes[path] = t
        return t

    def child_names(self, path: str) -> list[str]:
        """Names of the children of `path` in the current view, in child order."""
        found = self.require(path)
        names: list[str] = []
        added: dict[str, None] = {}
        reorders: list[tuple[str, str | None]] = []
        if isinstance(found, TNode):
            added, reorders = found.added, found.reorders
            node_id = found.id
            is_new = found.new
        else:
            node_id, is_new = found.id, False
        if not is_new and node_id is not None:
            for name in self._reader().child_names(node_id):
                if name in added:
                    continue
                child = P.join(path, name)
                if child in self.nodes and self.nodes[child] is None:
                    continue  # removed or moved away
                names.append(name)
        names.extend(n for n in added if self.nodes.get(P.join(path, n)) is not None)
        for name, before in reorders:
            if name in names:
                names.remove(name)
                if before is None or before not in names:
                    names.append(name)
                else:
                    names.insert(names.index(before), name)
        return names

    def children(self, path: str) -> list[Node]:
        out = []
        for name in self.child_names(path):
            node = self.node(P.join(path, name))
            if node is not None:
                out.append(node)
        return out

    def descendants_in_tree(self, path: str) -> Iterator[str]:
        prefix = path if path == P.ROOT else path + "/"
        for key in list(self.nodes):
            if key.startswith(prefix) and key != path:
                yield key

    # --- changes ------------------------------------------------------------------------------
    def add(
        self,
        path: str,
        primary: str,
        mixins: list[str],
        props: dict[str, Property],
    ) -> TNode:
        """Add a new node at `path` (its parent must exist, the path must be free)."""
        if path == P.ROOT:
            raise NodeExists("the root node exists", path=path)
        parent_path = P.parent(path)
        parent = self.edit(parent_path)
        if self.get(path) is not None:
            raise NodeExists(f"a node already exists at {path}", path=path)
        name = P.name(path)
        if name in parent.props:
            # Properties and children share one namespace per node (spec §4.4).
            raise NodeExists(f"a property named {name} already exists at {parent_path}", path=path)
        t = TNode(path, primary, mixins, props)
        self.nodes[path] = t
        parent.added.pop(name, None)
        parent.added[name] = None
        self.changes.append(Change("created", path))
        return t

    def remove(self, path: str) -> None:
        """Remove the node at `path` with its subtree."""
        if path == P.ROOT:
            raise InvalidPath("the root node cannot be removed", path=path)
        found = self.require(path)
        if isinstance(found, TNode):
            if found.id is not None:
                self.deleted.append((found.id, found.base_path or path))
        else:
            store = self.store_path(path)
            self.deleted.append((found.id, store or path))
        for key in list(self.descendants_in_tree(path)):
            entry = self.nodes.pop(key)
            # A stored node moved into the removed subtree is not covered by the subtree's
            # stored range: delete it by its own id.
            if entry is not None and entry.moved and entry.id is not None:
                self.deleted.append((entry.id, entry.base_path or key))
        self.nodes[path] = None
        parent = self.edit(P.parent(path))
        name = P.name(path)
        parent.added.pop(name, None)
        parent.reorders = [r for r in parent.reorders if r[0] != name]
        self.changes.append(Change("deleted", path))

    def move(self, source: str, destination: str) -> TNode:
        """Move the subtree at `source` to `destination` (which must be free)."""
        if source == P.ROOT:
            raise InvalidPath("the root node cannot be moved", path=source)
        if P.is_same_or_descendant(destination, source):
            raise MoveIntoDescendant(
                f"cannot move {source} into its own subtree at {destination}",
                source=source,
                destination=destination,
            )
        t = self.edit(source)
        self.require(P.parent(destination))
        if self.get(destination) is not None:
            raise NodeExists(f"a node already exists at {destination}", path=destination)
        for key in list(self.descendants_in_tree(source)):
            entry = self.nodes.pop(key)
            new_key = P.rebase(key, source, destination)
            if entry is not None:
                entry.path = new_key
            self.nodes[new_key] = entry
        del self.nodes[source]
        old_parent = self.edit(P.parent(source))
        name = P.name(source)
        old_parent.added.pop(name, None)
        old_parent.reorders = [r for r in old_parent.reorders if r[0] != name]
        if not t.new:
            self.nodes[source] = None
            t.moved = True
        t.path = destination
        self.nodes[destination] = t
        new_parent = self.edit(P.parent(destination))
        new_name = P.name(destination)
        new_parent.added.pop(new_name, None)
        new_parent.added[new_name] = None
        self.changes.append(Change("moved", source, destination))
        return t

    def set_property(self, path: str, name: str, prop: Property | None) -> TNode:
        t = self.edit(path)
        if prop is None:
            if name in t.props:
                del t.props[name]
                t.dirty = True
                self.changes.append(Change("deleted", P.join(path, name)))
        else:
            if name not in t.props and self.get(P.join(path, name)) is not None:
                # Properties and children share one namespace per node (spec §4.4).
                raise NodeExists(
                    f"a child node named {name} already exists at {path}", path=P.join(path, name)
                )
            t.props[name] = prop
            t.dirty = True
            self.changes.append(Change("modified", P.join(path, name)))
        return t

    def set_types(self, path: str, primary: str | None, mixins: list[str] | None) -> TNode:
        t = self.edit(path)
        if primary is not None and primary != t.primary:
            t.primary = primary
            t.dirty = t.types_dirty = True
            self.changes.append(Change("modified", P.join(path, "jcr:primaryType")))
        if mixins is not None and mixins != t.mixins:
            t.mixins = list(mixins)
            t.dirty = t.types_dirty = True
            self.changes.append(Change("modified", P.join(path, "jcr:mixinTypes")))
        return t

    def order_before(self, path: str, before: str | None) -> None:
        """Place the node at `path` before its sibling `before` (None: last)."""
        self.require(path)
        parent_path = P.parent(path)
        name = P.name(path)
        if before is not None:
            if before == name:
                return
            if self.get(P.join(parent_path, before)) is None:
                raise NodeNotFound(
                    f"no sibling {before!r} of {path}", path=P.join(parent_path, before)
                )
        parent = self.edit(parent_path)
        parent.reorders.append((name, before))
        self.changes.append(Change("ordered", path, before))
