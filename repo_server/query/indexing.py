"""Index maintenance in the commit: declared property indexes and the full-text index.

Property indexes are content (spec §11.4): `/oak:index/<name>` nodes of type
`oak:QueryIndexDefinition` with `type = "property"`, `propertyNames`, and optionally
`declaringNodeTypes`, `unique`, `includedPaths`, `excludedPaths`. Their rows live in
`prop_index` (index name, order-preserving value key, node id). One built-in index,
`sling:resourceType`, is always there (spec §11.4); `jcr:uuid`, `jcr:primaryType` and
`jcr:mixinTypes` are served by the node table's own columns and `node_mixin`.

`maintain()` runs inside the write transaction after the rows are written. It compares the
definitions with the fingerprints recorded in `meta` (one probe) and rebuilds any index whose
definition is new or changed, so creating, editing, renaming or removing a definition reindexes
in the same commit, and a store written before an index existed catches up on its next commit.
Then it replaces the entries of every added or changed node, drops those of removed nodes, and
re-evaluates moved subtrees for indexes restricted by path (a move keeps ids, so nothing else
changes). The full-text table `node_fts` (rowid = node id) holds the text of each node's STRING
properties and is maintained the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol, cast

from repo_server.errors import ConstraintViolation
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.text import node_text
from repo_server.model.values import (
    Property,
    decode_properties,
    pack,
    unpack,
)
from repo_server.query.values import property_keys

if TYPE_CHECKING:
    from repo_server.nodetypes import NodeTypeRegistry
    from repo_server.session.tree import Tree

INDEX_ROOT: Final = "/oak:index"
INDEX_TYPE: Final = "oak:QueryIndexDefinition"
META_KEY: Final = "query.indexes"
# Bumped when the text of nodes changes (repo_server.model.text) or the table's options do:
# stores written before rebuild it on their next commit. (The store itself makes anew a
# table of an older layout when it opens: schema.FULLTEXT_DDL.)
# fulltext/2: the table without its document-size table (columnsize=0), automerge 8.
FULLTEXT_VERSION: Final = "fulltext/2"
BATCH: Final = 1000
_ROWS_PER_INSERT: Final = 300  # 3 variables a row, under SQLite's old 999-variable ceiling
_IDS_PER_STATEMENT: Final = 500


class SqlExecutor(Protocol):
    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]: ...


class IndexWriter(SqlExecutor, Protocol):
    def delete_index_entries(self, node_ids: Sequence[int]) -> None: ...

    def clear_index(self, index_name: str) -> None: ...

    def set_meta(self, key: str, value: bytes) -> None: ...

    def meta(self, key: str) -> bytes | None: ...

    def insert_fulltext(self, rows: Sequence[tuple[int, str]]) -> None: ...

    def delete_fulltext(self, rows: Sequence[tuple[int, str]]) -> None: ...

    def rebuild_fulltext(self) -> None: ...


@dataclass(frozen=True, slots=True)
class IndexDefinition:
    """One property index: which properties of which nodes below which paths it holds."""

    name: str
    property_names: tuple[str, ...]
    declaring_node_types: tuple[str, ...] = ()
    unique: bool = False
    included_paths: tuple[str, ...] = ()
    excluded_paths: tuple[str, ...] = ()
    reindex_mark: str = ""

    @property
    def fingerprint(self) -> str:
        return repr(
            (
                self.property_names,
                self.declaring_node_types,
                self.unique,
                self.included_paths,
                self.excluded_paths,
                self.reindex_mark,
            )
        )

    @property
    def is_path_restricted(self) -> bool:
        return bool(self.included_paths or self.excluded_paths)

    def covers_path(self, path: str) -> bool:
        if self.included_paths and not any(
            P.is_same_or_descendant(path, p) for p in self.included_paths
        ):
            return False
        return not any(P.is_same_or_descendant(path, p) for p in self.excluded_paths)

    def covers_query_path(self, path: str | None) -> bool:
        """Every node below `path` (None = the whole repository) that has the property is in the
        index, so the index may answer for that part of the tree."""
        if self.included_paths and (
            path is None or not any(P.is_same_or_descendant(path, p) for p in self.included_paths)
        ):
            return False
        for excluded in self.excluded_paths:
            if path is None or P.is_same_or_descendant(path, excluded):
                return False
            if P.is_same_or_descendant(excluded, path):
                return False
        return True

    def applies_to(
        self, primary: str, mixins: Iterable[str], registry: NodeTypeRegistry | None
    ) -> bool:
        if not self.declaring_node_types:
            return True
        if registry is None:
            return False
        return any(is_a(registry, primary, mixins, t) for t in self.declaring_node_types)

    def keys(self, props: Mapping[str, Property]) -> list[bytes]:
        out: list[bytes] = []
        for name in self.property_names:
            prop = props.get(name)
            if prop is not None:
                out.extend(property_keys(prop))
        return list(dict.fromkeys(out))


BUILTIN_INDEXES: Final = (
    # ':' cannot start a JCR node name, so a declared index can never shadow a built-in one.
    IndexDefinition(":slingResourceType", (N.SLING_RESOURCE_TYPE,)),
)


def is_a(registry: NodeTypeRegistry, primary: str, mixins: Iterable[str], node_type: str) -> bool:
    """The node's primary type or one of its mixins is `node_type` or a subtype of it."""
    if registry.is_subtype(primary, node_type):
        return True
    return any(registry.is_subtype(m, node_type) for m in mixins)


def _strings(prop: Property | None) -> tuple[str, ...]:
    if prop is None:
        return ()
    return tuple(str(v) for v in prop.values)


def parse_definition(name: str, props: Mapping[str, Property]) -> IndexDefinition | None:
    """The definition stored on `/oak:index/<name>`, or None if it is not a property index."""
    kind = props.get("type")
    if kind is None or str(kind.values[0] if kind.values else "") != "property":
        return None
    names = _strings(props.get("propertyNames"))
    if not names:
        return None
    unique = props.get("unique")
    paths = []
    for key in ("includedPaths", "excludedPaths"):
        found = []
        for raw in _strings(props.get(key)):
            try:
                found.append(P.normalize(raw))
            except Exception:
                continue  # a malformed path restricts nothing
        paths.append(tuple(found))
    reindex = props.get("reindex")
    return IndexDefinition(
        name=name,
        property_names=names,
        declaring_node_types=_strings(props.get("declaringNodeTypes")),
        unique=bool(unique is not None and unique.values and unique.values[0] is True),
        included_paths=paths[0],
        excluded_paths=paths[1],
        reindex_mark=repr(reindex.values) if reindex is not None else "",
    )


def load_definitions(reader: SqlExecutor) -> list[IndexDefinition]:
    """The built-in indexes and every property index declared under /oak:index (one query)."""
    out = list(BUILTIN_INDEXES)
    rows = reader.execute(
        "SELECT path, props FROM node WHERE path > ? AND path < ? AND ptype = ?",
        (INDEX_ROOT + "/", INDEX_ROOT + "0", INDEX_TYPE),
    )
    for path, blob in rows:
        assert isinstance(path, str)
        assert isinstance(blob, bytes)
        if P.parent(path) != INDEX_ROOT:
            continue
        found = parse_definition(P.name(path), decode_properties(blob))
        if found is not None:
            out.append(found)
    return out


# --- writing rows -----------------------------------------------------------------------------
def _insert_entries(writer: SqlExecutor, rows: Sequence[tuple[str, bytes, int]]) -> None:
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        writer.execute(
            "INSERT OR IGNORE INTO prop_index (index_name, value, node_id) VALUES "
            + ",".join(["(?, ?, ?)"] * len(chunk)),
            [x for row in chunk for x in row],
        )


def _check_unique(writer: SqlExecutor, index: IndexDefinition, keys: Iterable[bytes]) -> None:
    values = list(dict.fromkeys(keys))
    for start in range(0, len(values), _IDS_PER_STATEMENT):
        chunk = values[start : start + _IDS_PER_STATEMENT]
        clash = writer.execute(
            "SELECT value FROM prop_index WHERE index_name = ? AND value IN "
            f"({','.join('?' * len(chunk))}) GROUP BY value HAVING count(*) > 1 LIMIT 1",
            [index.name, *chunk],
        )
        if clash:
            raise ConstraintViolation(
                f"unique index {index.name}: another node already has this value of "
                f"{'/'.join(index.property_names)}",
                index=index.name,
            )


def _by_property(defs: Sequence[IndexDefinition]) -> dict[str, list[IndexDefinition]]:
    out: dict[str, list[IndexDefinition]] = {}
    for index in defs:
        for name in index.property_names:
            out.setdefault(name, []).append(index)
    return out


def _entries(
    by_property: Mapping[str, Sequence[IndexDefinition]],
    node_id: int,
    path: str,
    primary: str,
    mixins: Sequence[str],
    props: Mapping[str, Property],
    registry: NodeTypeRegistry | None,
) -> list[tuple[str, bytes, int]]:
    """The property index rows of one node, for the definitions in `by_property` (`_by_property`:
    definitions by property name). Walks the node's few properties instead of every definition
    (a catalog import visits 90,000 nodes against a dozen definitions)."""
    out: list[tuple[str, bytes, int]] = []
    for name, prop in props.items():
        indexes = by_property.get(name)
        if indexes is None:
            continue
        keys: list[bytes] | None = None
        for index in indexes:
            if index.is_path_restricted and not index.covers_path(path):
                continue
            if not index.applies_to(primary, mixins, registry):
                continue
            if keys is None:
                keys = property_keys(prop)
            out.extend((index.name, key, node_id) for key in keys)
    return list(dict.fromkeys(out)) if len(out) > 1 else out


def _row(raw: tuple[object, ...]) -> tuple[int, str, str, bytes]:
    return cast(tuple[int, str, str, bytes], raw)


def _stored_rows(
    writer: SqlExecutor, low: str, high: str, include: str | None = None
) -> Iterator[list[tuple[int, str, str, bytes]]]:
    """Batches of (id, path, ptype, props) in the key range [low, high), by path."""
    if include is not None:
        first = writer.execute("SELECT id, path, ptype, props FROM node WHERE path = ?", (include,))
        yield [_row(r) for r in first]
    after = low
    inclusive = True
    while True:
        rows = writer.execute(
            "SELECT id, path, ptype, props FROM node WHERE path "
            + (">=" if inclusive else ">")
            + " ? AND path < ? ORDER BY path LIMIT ?",
            (after, high, BATCH),
        )
        if not rows:
            return
        batch = [_row(r) for r in rows]
        yield batch
        after, inclusive = batch[-1][1], False
        if len(rows) < BATCH:
            return


def _subtree_range(path: str) -> tuple[str, str]:
    return ("/\x00", "0") if path == P.ROOT else (path + "/", path + "0")


def _type_of(props: dict[str, Property], ptype: str) -> tuple[str, tuple[str, ...]]:
    mixins = props.get(N.JCR_MIXIN_TYPES)
    return ptype, tuple(str(m) for m in mixins.values) if mixins is not None else ()


def _reindex(
    writer: IndexWriter, index: IndexDefinition, registry: NodeTypeRegistry | None
) -> None:
    writer.clear_index(index.name)
    by_property = _by_property((index,))
    roots = index.included_paths or (P.ROOT,)
    for root in roots:
        low, high = _subtree_range(root)
        for batch in _stored_rows(writer, low, high, include=root):
            rows: list[tuple[str, bytes, int]] = []
            for node_id, path, ptype, blob in batch:
                props = decode_properties(blob)
                primary, mixins = _type_of(props, ptype)
                rows.extend(_entries(by_property, node_id, path, primary, mixins, props, registry))
            _insert_entries(writer, rows)
            if index.unique:
                _check_unique(writer, index, (r[1] for r in rows))


def _recorded(writer: IndexWriter) -> dict[str, str]:
    raw = writer.meta(META_KEY)
    return unpack(raw) if raw is not None else {}


def _refresh(
    writer: IndexWriter,
    defs: Sequence[IndexDefinition],
    registry: NodeTypeRegistry | None,
    recorded: dict[str, str],
) -> None:
    current = {d.name: d.fingerprint for d in defs}
    current[FULLTEXT_VERSION] = FULLTEXT_VERSION
    if recorded == current:
        return
    for name in recorded:
        if name not in current:
            writer.clear_index(name)
    for index in defs:
        if recorded.get(index.name) != index.fingerprint:
            _reindex(writer, index, registry)
    writer.set_meta(META_KEY, pack(current))


def maintain(
    tree: Tree,
    writer: IndexWriter,
    registry: NodeTypeRegistry | None,
    gone_texts: Sequence[tuple[int, str]] = (),
    new_texts: Mapping[int, str] | None = None,
) -> None:
    """Bring property and full-text indexes up to date with this commit (see the module doc).

    `gone_texts`: (id, text) of the removed nodes that had text (the store's subtree deletes
    return them). `new_texts`: the full text of new nodes by id where the caller made it
    already (the commit does, with their rows); a new node missing from it has no text.

    Raises ConstraintViolation when a unique index would hold a value twice.
    """
    defs = load_definitions(writer)
    recorded = _recorded(writer)
    # A store without this version's full-text index makes it anew from the rows as they
    # stand, this commit's included; the loop below then has no text to add or remove.
    # (Removed nodes took their property index rows with them in the store.)
    text_done = FULLTEXT_VERSION not in recorded
    if text_done:
        writer.rebuild_fulltext()
    else:
        writer.delete_fulltext(gone_texts)
    entries: list[tuple[str, bytes, int]] = []
    stale: list[int] = []
    text_rows: list[tuple[int, str]] = []
    old_texts: list[tuple[int, str]] = []
    moved = []
    by_property = _by_property(defs)
    indexed = by_property.keys()
    for t in tree.nodes.values():
        if t is None or t.id is None:
            continue
        if not (t.new or t.dirty):
            if t.moved:
                moved.append(t.path)
            continue
        full = t.props
        if not indexed.isdisjoint(full):
            entries.extend(_entries(by_property, t.id, t.path, t.primary, t.mixins, full, registry))
        if t.new:
            if not text_done:
                text = new_texts.get(t.id, "") if new_texts is not None else node_text(full)
                if text:
                    text_rows.append((t.id, text))
            continue
        stale.append(t.id)
        if not text_done:
            text = node_text(full)
            old = node_text(t.base.properties) if t.base is not None else ""
            if old != text:
                if old:  # the index keeps no text: a row is deleted with what it was made of
                    old_texts.append((t.id, old))
                if text:
                    text_rows.append((t.id, text))
        if t.moved:
            moved.append(t.path)
    if stale:
        writer.delete_index_entries(stale)
    _insert_entries(writer, entries)
    writer.delete_fulltext(old_texts)
    writer.insert_fulltext(text_rows)
    restricted = [d for d in defs if d.is_path_restricted]
    if restricted and moved:
        _reevaluate_moved(writer, restricted, moved, registry)
    for index in defs:
        if index.unique:
            _check_unique(writer, index, (e[1] for e in entries if e[0] == index.name))
    _refresh(writer, defs, registry, recorded)


def _reevaluate_moved(
    writer: SqlExecutor,
    defs: Sequence[IndexDefinition],
    roots: Sequence[str],
    registry: NodeTypeRegistry | None,
) -> None:
    names = [d.name for d in defs]
    by_property = _by_property(defs)
    for root in roots:
        low, high = _subtree_range(root)
        for batch in _stored_rows(writer, low, high, include=root):
            ids = [b[0] for b in batch]
            for start in range(0, len(ids), _IDS_PER_STATEMENT):
                chunk = ids[start : start + _IDS_PER_STATEMENT]
                writer.execute(
                    f"DELETE FROM prop_index WHERE index_name IN ({','.join('?' * len(names))}) "
                    f"AND node_id IN ({','.join('?' * len(chunk))})",
                    [*names, *chunk],
                )
            rows: list[tuple[str, bytes, int]] = []
            for node_id, path, ptype, blob in batch:
                props = decode_properties(blob)
                primary, mixins = _type_of(props, ptype)
                rows.extend(_entries(by_property, node_id, path, primary, mixins, props, registry))
            _insert_entries(writer, rows)
