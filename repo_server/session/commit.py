"""The commit pipeline: validate a replayed Tree (node types, references) and flush it.

Runs inside the store's write transaction (spec §10.3): editors validate and complete the
changes, rows and the journal entry are written together, and observers hear of it after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from repo_server.errors import ConstraintViolation, ReferentialIntegrity
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.changes import Change
from repo_server.model.text import NOT_TEXT
from repo_server.model.values import (
    Property,
    PropertyType,
    blobs_of,
    convert_property,
    encode_new_node,
    encode_node,
    new_record,
)
from repo_server.nodetypes import check_constraints
from repo_server.query.indexing import maintain as maintain_indexes
from repo_server.session.tree import TNode, Tree
from repo_server.store.base import NewRow, StoreWriter

if TYPE_CHECKING:
    from repo_server.nodetypes import NodeTypeRegistry

SORT_GAP: Final = 1024
MAX_REFERRERS_LISTED: Final = 20


@dataclass
class CommitResult:
    revision: int
    changes: list[Change]
    created_ids: dict[str, int] = field(default_factory=dict)


CommitHook = Callable[[Tree, StoreWriter], None]


def validate(tree: Tree, registry: NodeTypeRegistry) -> None:
    """Node-type validation of every added or changed node (spec §7.8); converts values where
    the matching definition asks for another type."""
    for path, t in list(tree.nodes.items()):
        if t is None:
            continue
        if not (t.dirty or t.new or t.moved) or t.checked:
            continue
        if t.new or t.types_dirty:
            registry.check_primary(t.primary)
            for mixin in t.mixins:
                registry.check_mixin(mixin)
        eff = registry.effective(t.primary, t.mixins)
        if t.dirty:
            for name, prop in list(t.props.items()):
                found = eff.property_definition(name, prop.type, prop.multiple)
                if found is None:
                    kind = "multi-valued" if prop.multiple else "single-valued"
                    raise ConstraintViolation(
                        f"no definition of {t.primary} allows the {kind} "
                        f"{prop.type.jcr_name} property {name} at {path}",
                        path=path,
                        property=name,
                    )
                defn, target = found
                if target != prop.type:
                    try:
                        prop = convert_property(prop, target)
                    except Exception as exc:
                        raise ConstraintViolation(
                            f"property {name} at {path} must be {target.jcr_name}", path=path
                        ) from exc
                    t.props[name] = prop
                if defn.constraints:
                    check_constraints(defn, prop)
            for defn in eff.mandatory_properties:
                # Protected, not auto-created mandatory items (mix:versionable's version
                # references) are the version manager's to write; it is out of scope (sling-http
                # §3.12), so a client must still be able to add the mixin.
                if defn.protected and not defn.autocreated:
                    continue
                if (
                    defn.name != "*"
                    and defn.name not in t.props
                    and defn.name
                    not in (
                        N.JCR_PRIMARY_TYPE,
                        N.JCR_MIXIN_TYPES,
                    )
                ):
                    raise ConstraintViolation(
                        f"mandatory property {defn.name} of {path} is missing",
                        path=path,
                        property=defn.name,
                    )
        if t.new:
            for cdef in eff.mandatory_children:
                if cdef.name != "*" and not tree.exists(P.join(path, cdef.name)):
                    raise ConstraintViolation(
                        f"mandatory child node {cdef.name} of {path} is missing",
                        path=path,
                        child=cdef.name,
                    )
        if (t.new or t.moved or t.types_dirty) and path != P.ROOT:
            parent = tree.require(P.parent(path))
            if isinstance(parent, TNode):
                ptype, pmixins = parent.primary, parent.mixins
            else:
                ptype, pmixins = parent.primary_type, list(parent.mixins)
            try:
                registry.effective(ptype, pmixins).child_definition(P.name(path), t.primary)
            except ConstraintViolation as exc:
                raise ConstraintViolation(
                    f"{ptype} at {P.parent(path)} does not allow a child {P.name(path)} "
                    f"of type {t.primary}",
                    path=path,
                ) from exc


def _refs(props: dict[str, Property]) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    for name, prop in props.items():
        if prop.type is PropertyType.REFERENCE or prop.type is PropertyType.WEAKREFERENCE:
            weak = prop.type is PropertyType.WEAKREFERENCE
            for value in dict.fromkeys(prop.values):
                out.append((str(value), name, weak))
    return out


def _uuid_of(t: TNode) -> str | None:
    prop = t.props.get(N.JCR_UUID)
    return str(prop.values[0]) if prop is not None and prop.values else None


def _depth(t: TNode) -> int:
    return t.path.count("/")


def _blobs(props: dict[str, Property]) -> list[tuple[str, bytes]]:
    return [(b.sha256, b.data) for b in blobs_of(props) if b.data is not None]


def flush(
    tree: Tree,
    writer: StoreWriter,
    registry: NodeTypeRegistry,
    user_id: str,
    committed_at: int,
) -> CommitResult:
    """Write the validated tree: moves, deletions, inserts, updates, order, references, journal."""
    revision = writer.next_revision()
    # One pass sorts the changed nodes out (a bulk load brings 100,000 new ones per
    # commit, which the steps for stored nodes need not walk again).
    new_list: list[TNode] = []
    stored: list[TNode] = []
    ordering: list[TNode] = []
    for t in tree.nodes.values():
        if t is None:
            continue
        if t.new:
            new_list.append(t)
        else:
            stored.append(t)
        if t.added or t.reorders:
            ordering.append(t)

    # 1. Moves. Two phases through temporary paths when several nodes move, so a swap or a
    # move onto a path freed in the same commit never collides on UNIQUE(path).
    moved = [t for t in stored if t.moved and t.id is not None]
    parent_ids: dict[str, int] = {}

    def parent_id_of(path: str) -> int:
        ppath = P.parent(path)
        if ppath in parent_ids:
            return parent_ids[ppath]
        found = tree.require(ppath)
        node_id = found.id
        assert node_id is not None, f"parent of {path} has no id"
        assert node_id >= 0, f"parent of {path} has no id"
        parent_ids[ppath] = node_id
        return node_id

    # New nodes get their ids first: moved nodes may go under them.
    new_nodes = sorted(new_list, key=_depth)
    if new_nodes:
        first = writer.allocate_ids(len(new_nodes))
        for offset, t in enumerate(new_nodes):
            t.id = first + offset

    direct = len(moved) == 1 and writer.node(moved[0].path) is None and not tree.deleted
    if not direct:
        for t in moved:
            assert t.id is not None
            writer.move_node(t.id, parent_id_of(t.path), f"/\x01move/{t.id}", None, revision)

    # 2. Deletions (by id: the store finds where each node is now).
    gone_uuids: set[str] = set()
    gone_ids: list[int] = []
    gone_texts: list[tuple[int, str]] = []
    for node_id, _ in tree.deleted:
        for gid, guuid, gtext in writer.delete_subtree(node_id):
            gone_ids.append(gid)
            if guuid is not None:
                gone_uuids.add(guuid)
            if gtext:
                gone_texts.append((gid, gtext))
    if gone_ids:
        writer.delete_references_from(gone_ids)

    for t in sorted(moved, key=_depth):
        assert t.id is not None
        writer.move_node(t.id, parent_id_of(t.path), t.path, None, revision)

    # 3. Inserts, parents first. The children of a new orderable parent get their sort keys
    # with the insert: there is no older sibling to follow (step 5 would query and update).
    sort_keys: dict[str, int] = {}
    keyed_parents: set[str] = set()
    for t in new_nodes:
        if not t.added or t.reorders or not registry.effective(t.primary, t.mixins).orderable:
            continue
        # Every added child has an entry of its own (new, moved or copied in; None once
        # removed again): no store lookup through `tree.get` needed.
        prefix = t.path + "/" if t.path != P.ROOT else P.ROOT
        kids = []
        for name in t.added:
            kid = tree.nodes.get(prefix + name)
            if kid is not None and kid.id is not None and kid.id >= 0:
                kids.append(kid)
        if all(kid.new for kid in kids):
            keyed_parents.add(t.path)
            for index, kid in enumerate(kids):
                sort_keys[kid.path] = (index + 1) * SORT_GAP
    # One pass over each new node (a bulk load makes 100,000 of them): the row and its
    # full-text row from one walk over the properties, and the references and large
    # binaries of the few nodes that have any.
    rows: list[NewRow] = []
    blobs: list[tuple[str, bytes]] = []
    refs_of: dict[int, list[tuple[str, str, bool]]] = {}
    texts: dict[int, str] = {}  # the full-text rows of new nodes, made with their blobs
    mixins: list[tuple[int, str]] = []
    for t in new_nodes:
        new_id = t.id
        assert new_id is not None
        path = t.path
        cut = path.rfind("/")
        ppath = path[:cut] if cut > 0 else P.ROOT
        pid = parent_ids.get(ppath)
        if pid is None:
            pid = parent_id_of(path)
        props = t.props
        text: list[str] = []
        blob, referencing = encode_new_node(t.primary, t.mixins, props, text, NOT_TEXT)
        if text:
            texts[new_id] = "\n".join(text)
        if referencing:
            refs = _refs(props)
            if refs:
                refs_of[new_id] = refs
            blobs.extend(_blobs(props))
        uuid = props.get(N.JCR_UUID)
        rows.append(
            new_record(
                NewRow,
                (
                    new_id,
                    pid,
                    path[cut + 1 :],
                    path,
                    sort_keys.get(path),
                    t.primary,
                    str(uuid.values[0]) if uuid is not None and uuid.values else None,
                    blob,
                ),
            )
        )
        if t.mixins:
            mixins.extend((new_id, m) for m in t.mixins)
    if rows:
        writer.insert_nodes(rows, revision, mixins)

    # 4. Updates of changed stored nodes.
    updates = []
    for t in stored:
        if not t.dirty:
            continue
        assert t.id is not None
        old_uuid = t.base.uuid if t.base is not None else None
        new_uuid = _uuid_of(t)
        if old_uuid is not None and old_uuid != new_uuid:
            gone_uuids.add(old_uuid)
        blobs.extend(_blobs(t.props))
        updates.append(
            (t.id, t.primary, new_uuid, encode_node(t.primary, t.mixins, t.props), tuple(t.mixins))
        )
    if updates:
        writer.update_nodes(updates, revision)
    if blobs:
        writer.put_blobs(blobs)

    # 5. Child order of orderable parents whose child set or order changed.
    for t in ordering:
        if t.id is None or t.path in keyed_parents:
            continue
        if not registry.effective(t.primary, t.mixins).orderable:
            continue
        if t.reorders:
            names = tree.child_names(t.path)
            keys = []
            for index, name in enumerate(names):
                child = tree.get(P.join(t.path, name))
                if child is not None and child.id is not None:
                    keys.append((child.id, (index + 1) * SORT_GAP))
            writer.set_sort_keys(keys)
        else:
            added_ids = []
            for name in t.added:
                child = tree.get(P.join(t.path, name))
                if child is not None and child.id is not None and child.id >= 0:
                    added_ids.append(child.id)
            if not added_ids:
                continue
            marks = ",".join("?" * len(added_ids))
            row = writer.execute(
                f"SELECT max(sort_key) FROM node WHERE parent_id = ? AND id NOT IN ({marks})",
                [t.id, *added_ids],
            )
            start = row[0][0] if row and row[0][0] is not None else 0
            assert isinstance(start, int)
            writer.set_sort_keys(
                [(cid, start + (i + 1) * SORT_GAP) for i, cid in enumerate(added_ids)]
            )

    # 6. References: bookkeeping and integrity (spec §9). New nodes' were found in step 3.
    strong_targets: set[str] = set()
    for node_id, refs in refs_of.items():
        writer.replace_references(node_id, refs)
        strong_targets.update(target for target, _, weak in refs if not weak)
    for t in stored:
        if not t.dirty:
            continue
        assert t.id is not None
        refs = _refs(t.props)
        writer.replace_references(t.id, refs)
        strong_targets.update(target for target, _, weak in refs if not weak)
    if strong_targets:
        found = {
            str(r[0])
            for r in writer.execute(
                f"SELECT uuid FROM node WHERE uuid IN ({','.join('?' * len(strong_targets))})",
                list(strong_targets),
            )
        }
        missing = sorted(strong_targets - found)
        if missing:
            raise ReferentialIntegrity(
                f"REFERENCE to a node that does not exist: {missing[0]}", targets=missing[:20]
            )
    if gone_uuids:
        still = gone_uuids - {
            str(r[0])
            for r in writer.execute(
                f"SELECT uuid FROM node WHERE uuid IN ({','.join('?' * len(gone_uuids))})",
                list(gone_uuids),
            )
        }
        referrers = writer.referrers(still, weak=False) if still else []
        if referrers:
            listed = [f"{p}/{n}" for p, n, _ in referrers[:MAX_REFERRERS_LISTED]]
            raise ReferentialIntegrity(
                f"cannot remove a node still referenced by {', '.join(listed)}",
                referrers=listed,
            )

    # 7. Property and full-text indexes (issue 7): entries of added/changed/removed/moved
    # nodes, and a rebuild of any index whose /oak:index definition changed.
    maintain_indexes(tree, writer, registry, gone_texts, texts)

    # 8. The journal entry; its revision is the one every written row carries.
    rev = writer.append_journal(user_id, tree.changes, committed_at)
    assert rev == revision
    return CommitResult(
        revision=rev,
        changes=list(tree.changes),
        created_ids={t.path: t.id for t in new_nodes if t.id is not None},
    )
