"""Replication packages: the snapshot an activation ships, and the operation that applies it.

A package is taken when a request is queued (spec §15 step 5), so a later edit on author
reaches publish only with the next activation. An activation holds the node with its subtree
except child pages (AEM: a page goes with its `jcr:content`, never with its child pages), the
types of its ancestors (missing parents are created on publish) and the bytes of the binaries
stored outside the property maps. It is msgpack with the repository's own property codec, so
every value keeps its exact type, `jcr:uuid`s included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from repo_server.errors import NodeNotFound
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.model.values import (
    Binary,
    Property,
    decode_properties,
    encode_properties,
    pack,
    unpack,
)
from repo_server.replication.api import ReplicationActionType
from repo_server.replication.errors import InvalidPackage
from repo_server.session.operations import OpContext, autocreated_properties, new_uuid
from repo_server.session.tree import TNode, Tree
from repo_server.store.base import StoreReader

VERSION: Final = 1  # `encode`: nodes as [relative path, primary, mixins, properties]
RAW_VERSION: Final = 2  # `snapshot` on SQL stores: [relative path, primary, stored row blob]
_EXTERNAL_BLOB: Final = b"\xa4blob"  # msgpack of the key of an external binary value
RECEIVED_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS replication_received ("
    " origin TEXT PRIMARY KEY, last_id INTEGER NOT NULL, received_at INTEGER NOT NULL"
    ") WITHOUT ROWID"
)


@dataclass(frozen=True, slots=True)
class PackageNode:
    path: str
    primary: str
    mixins: tuple[str, ...]
    props: dict[str, Property]


@dataclass(frozen=True, slots=True)
class Package:
    """What one queue entry delivers; `nodes` lists parents before children, root first."""

    action: ReplicationActionType
    path: str
    parents: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    nodes: tuple[PackageNode, ...] = ()
    blobs: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        return len(self.nodes)


def is_page(node: Node) -> bool:
    return node.primary_type == N.CQ_PAGE


def snapshot(reader: StoreReader, action: ReplicationActionType, path: str) -> bytes:
    """The encoded package of `action` on `path` as the store holds it now; NodeNotFound."""
    if action.removes:
        return encode(Package(action, path))
    sql = getattr(reader, "execute", None)
    if sql is not None:
        return _snapshot_rows(reader, sql, action, path)
    root = reader.node(path)
    if root is None:
        raise NodeNotFound(f"no node at {path}", path=path)
    by_parent: dict[str, list[Node]] = {}
    for node in reader.descendants(path):
        by_parent.setdefault(node.parent_path, []).append(node)
    ordered: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        ordered.append(node)
        # Child pages are replicated on their own (deep activation), never inside a page.
        kids = [k for k in by_parent.get(node.path, ()) if not is_page(k)]
        stack.extend(reversed(kids))
    parents = reader.nodes(P.ancestors(path))
    chain = tuple(
        (a, parents[a].primary_type, parents[a].mixins)
        for a in reversed(P.ancestors(path))
        if a != P.ROOT and a in parents
    )
    blobs: dict[str, bytes] = {}
    for node in ordered:
        for prop in node.properties.values():
            for value in prop.values:
                if isinstance(value, Binary) and value.data is None and value.sha256 not in blobs:
                    data = reader.blob(value.sha256)
                    if data is not None:
                        blobs[value.sha256] = data
    nodes = tuple(
        PackageNode(n.path, n.primary_type, n.mixins, dict(n.properties)) for n in ordered
    )
    return encode(Package(action, path, chain, nodes, blobs))


def _ancestor_chain(reader: StoreReader, path: str) -> list[list[object]]:
    parents = reader.nodes(P.ancestors(path))
    return [
        [a, parents[a].primary_type, list(parents[a].mixins)]
        for a in reversed(P.ancestors(path))
        if a != P.ROOT and a in parents
    ]


def _snapshot_rows(
    reader: StoreReader, sql: Any, action: ReplicationActionType, path: str
) -> bytes:
    """`snapshot` from the stored rows: each node's property blob ships as stored (types
    included), so nothing is decoded and encoded again but the blobs that hold an external
    binary (whose bytes go with the package)."""
    found = sql("SELECT ptype, props FROM node WHERE path = ?", (path,))
    if not found:
        raise NodeNotFound(f"no node at {path}", path=path)
    low, high = ("/\x00", "0") if path == P.ROOT else (path + "/", path + "0")
    by_parent: dict[str, list[tuple[str, str, bytes]]] = {}
    for row_path, ptype, props in sql(
        "SELECT path, ptype, props FROM node WHERE path >= ? AND path < ? "
        "ORDER BY parent_id, sort_key, name",
        (low, high),
    ):
        by_parent.setdefault(P.parent(row_path), []).append((row_path, ptype, props))
    ordered: list[tuple[str, str, bytes]] = []
    stack = [(path, str(found[0][0]), bytes(found[0][1]))]
    while stack:
        node = stack.pop()
        ordered.append(node)
        # Child pages are replicated on their own (deep activation), never inside a page.
        kids = [k for k in by_parent.get(node[0], ()) if k[1] != N.CQ_PAGE]
        stack.extend(reversed(kids))
    blobs: dict[str, bytes] = {}
    for _, _, props in ordered:
        if _EXTERNAL_BLOB not in props:
            continue
        for prop in decode_properties(props).values():
            for value in prop.values:
                if isinstance(value, Binary) and value.data is None and value.sha256 not in blobs:
                    data = reader.blob(value.sha256)
                    if data is not None:
                        blobs[value.sha256] = data
    return pack(
        {
            "v": RAW_VERSION,
            "action": action.value,
            "path": path,
            "parents": _ancestor_chain(reader, path),
            "nodes": [[P.relative(p, path), t, props] for p, t, props in ordered],
            "blobs": blobs,
        }
    )


def encode(package: Package) -> bytes:
    return pack(
        {
            "v": VERSION,
            "action": package.action.value,
            "path": package.path,
            "parents": [[p, t, list(m)] for p, t, m in package.parents],
            "nodes": [
                [
                    P.relative(n.path, package.path),
                    n.primary,
                    list(n.mixins),
                    encode_properties(n.props),
                ]
                for n in package.nodes
            ],
            "blobs": dict(package.blobs),
        }
    )


def decode(data: bytes) -> Package:
    """The package in `data`; InvalidPackage for anything else."""
    try:
        raw = unpack(data)
        if not isinstance(raw, dict) or raw.get("v") not in (VERSION, RAW_VERSION):
            raise InvalidPackage("not a replication package of a known version")
        version = raw["v"]
        action = ReplicationActionType.from_name(raw["action"])
        if action is None:
            raise InvalidPackage(f"unknown action {raw['action']!r}")
        root = P.normalize(raw["path"])
        blobs = {str(k): bytes(v) for k, v in raw.get("blobs", {}).items()}
        parents = tuple((P.normalize(p), str(t), tuple(m)) for p, t, m in raw.get("parents", []))
        nodes = []
        for item in raw.get("nodes", []):
            if version == VERSION:
                rel, primary, mixins, props_blob = item
            else:
                rel, primary, props_blob = item
            props = decode_properties(props_blob)
            props.pop(N.JCR_PRIMARY_TYPE, None)
            stored_mixins = props.pop(N.JCR_MIXIN_TYPES, None)
            if version != VERSION:
                mixins = stored_mixins.values if stored_mixins is not None else ()
            nodes.append(
                PackageNode(
                    P.join(root, rel) if rel else root,
                    str(primary),
                    tuple(str(m) for m in mixins),
                    _with_blobs(props, blobs) if blobs else props,
                )
            )
    except InvalidPackage:
        raise
    except Exception as exc:  # anything malformed in an untrusted body is the client's fault
        raise InvalidPackage(f"malformed replication package: {exc}") from None
    return Package(action, root, parents, tuple(nodes), blobs)


def _with_blobs(props: dict[str, Property], blobs: Mapping[str, bytes]) -> dict[str, Property]:
    for name, prop in list(props.items()):
        if not any(isinstance(v, Binary) and v.data is None for v in prop.values):
            continue
        values = []
        for v in prop.values:
            if isinstance(v, Binary) and v.data is None and v.sha256 in blobs:
                v = Binary(v.sha256, v.length, blobs[v.sha256])
            values.append(v)
        props[name] = Property(prop.type, prop.multiple, tuple(values))
    return props


# --- the receiving side --------------------------------------------------------------------------
@dataclass
class ApplyPackage:
    """A session operation that applies a package; queue it and save (one atomic commit).

    It runs when the session saves, inside the store's write transaction, where it also checks
    and records the receipt `(origin, entry id)`: an entry delivered twice (the author did not
    hear the first answer) is applied once, and `applied` tells which happened.
    """

    package: Package
    origin: str | None = None
    entry_id: int | None = None
    received_at: int = 0
    applied: bool = field(default=False, init=False)

    def apply(self, tree: Tree, ctx: OpContext) -> None:
        sql = getattr(tree.reader, "execute", None)
        if self.origin is not None and self.entry_id is not None and sql is not None:
            rows = sql("SELECT last_id FROM replication_received WHERE origin = ?", (self.origin,))
            if rows and int(str(rows[0][0])) >= self.entry_id:
                self.applied = False
                return
            sql(
                "INSERT INTO replication_received (origin, last_id, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT(origin) DO UPDATE SET last_id = excluded.last_id, "
                "received_at = excluded.received_at",
                (self.origin, self.entry_id, self.received_at),
            )
        self.applied = True
        if self.package.action.removes:
            if tree.get(self.package.path) is not None:
                tree.remove(self.package.path)
            return
        self._activate(tree, ctx)

    def _activate(self, tree: Tree, ctx: OpContext) -> None:
        package = self.package
        for path, primary, mixins in package.parents:
            if tree.get(path) is None:
                props = autocreated_properties(
                    ctx.registry, primary, list(mixins), {}, ctx.user_id, ctx.now
                )
                tree.add(path, primary, list(mixins), props)
        if not package.nodes:
            raise InvalidPackage("an activation package holds at least its root node")
        root, *rest = package.nodes
        kept_pages: list[str] = []
        existing = tree.get(root.path)
        if existing is None:
            tree.add(root.path, root.primary, list(root.mixins), self._props(tree, root))
        else:
            self._update(tree, existing, root)
            shipped = {P.name(n.path) for n in rest if P.parent(n.path) == root.path}
            for child in tree.children(root.path):
                if is_page(child) and child.name not in shipped:
                    kept_pages.append(child.name)
                else:
                    tree.remove(child.path)
        for node in rest:
            if tree.get(node.path) is not None:
                tree.remove(node.path)
            tree.add(node.path, node.primary, list(node.mixins), self._props(tree, node))
        if kept_pages and ctx.registry.effective(root.primary, list(root.mixins)).orderable:
            # Content first, then the child pages publish already has (AEM's usual order).
            for node in rest:
                if P.parent(node.path) == root.path:
                    tree.order_before(node.path, kept_pages[0])

    def _update(self, tree: Tree, existing: TNode | Node, root: PackageNode) -> None:
        current = dict(existing.props if isinstance(existing, TNode) else existing.properties)
        tree.set_types(root.path, root.primary, list(root.mixins))
        for name in current:
            if name not in root.props:
                tree.set_property(root.path, name, None)
        for name, prop in root.props.items():
            if current.get(name) != prop:
                tree.set_property(root.path, name, prop)

    @staticmethod
    def _props(tree: Tree, node: PackageNode) -> dict[str, Property]:
        props = dict(node.props)
        uuid_prop = props.get(N.JCR_UUID)
        reader = tree.reader
        if uuid_prop is not None and reader is not None:
            holder = reader.node_by_uuid(str(uuid_prop.value))
            if (
                holder is not None
                and holder.path != node.path
                and tree.get(holder.path) is not None
            ):
                # The identifier is taken on publish by another node (a page moved on author
                # and activated again before its old place was deactivated): a fresh one.
                props[N.JCR_UUID] = Property(uuid_prop.type, False, (new_uuid(),))
        return props


def describe(package: Package) -> dict[str, Any]:
    return {
        "action": package.action.value,
        "path": package.path,
        "nodes": len(package.nodes),
        "blobs": len(package.blobs),
    }
