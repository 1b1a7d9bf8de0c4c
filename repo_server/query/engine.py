"""The query engine: plan a `Query`, read its candidates in one store call, filter, sort, page.

Planning (Oak's cost idea, simplified). Each top-level AND predicate an index can answer is a
candidate *source*: `jcr:uuid` equality (the `node_uuid` column), equality or a range on a
property with a usable property index (`prop_index`), full text (`node_fts`), node type
(`node_ptype` + `node_mixin`), mixins (`node_mixin`), a path's children (`node_child`) or the
exact path. The path range of a `path` predicate (or the whole repository) is the fallback:
a *traversal*. When several sources apply, each is counted up to `ESTIMATE_CAP` rows and the
smallest wins, so a selective index beats a large subtree and the other way round.

Every candidate is then checked against the whole predicate tree in Python (index keys may be
lossy, see `values`) and against the caller's read permission. Traversals read in batches of
`indexing.BATCH` rows in path order and log a warning every `WARN_EVERY` rows; every plan fails
with `QueryLimitExceeded` (400) once it has read more than `QueryOptions.read_limit` rows, and
with `strict` a traversal is refused before it starts (spec §11.4).

Queries see the saved state of the repository, not the session's unsaved changes (as in Oak).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol, cast

from repo_server.errors import QueryLimitExceeded
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.model.values import Property, PropertyType, decode_properties
from repo_server.query import fulltext as FT
from repo_server.query import values as V
from repo_server.query.errors import InvalidPredicate
from repo_server.query.indexing import BATCH, IndexDefinition, is_a, load_definitions
from repo_server.query.model import (
    FullTextPredicate,
    Group,
    MixinPredicate,
    NamePredicate,
    Order,
    PathPredicate,
    Predicate,
    PropertyPredicate,
    Query,
    RangePredicate,
    TypePredicate,
)

if TYPE_CHECKING:
    from repo_server.nodetypes import NodeTypeRegistry
    from repo_server.session.session import AccessPolicy, ContentSession

log = logging.getLogger(__name__)

DEFAULT_READ_LIMIT: Final = 100_000
WARN_EVERY: Final = 10_000
ESTIMATE_CAP: Final = 1000
# A source this small is taken without counting the others (none can be much cheaper).
GOOD_ENOUGH: Final = 64
# A plan whose source has at most this many rows runs inline on the event loop
# (`store.read_point`): a thread hop costs more than reading and checking them.
INLINE_ROWS: Final = 64
INLINE_SUBTREES: Final = 32  # `descendants` of this many nodes (e.g. products) runs inline
_COLS: Final = "n.id, n.path, n.ptype, n.rev, n.props"
_VARS: Final = 500
# Preference among sources with the same estimate: the most selective kinds first.
_RANK: Final = {
    "uuid": 0,
    "exact": 1,
    "index": 2,
    "range": 3,
    "fulltext": 4,
    "children": 5,
    "mixin": 6,
    "type": 7,
    "traversal": 8,
}


class Reader(Protocol):
    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]: ...


@dataclass(frozen=True, slots=True)
class QueryOptions:
    """Limits of one query run: rows it may read, and whether traversal is refused at once;
    `excerpts`: compute full-text excerpts of the page's hits (one more FTS5 query)."""

    read_limit: int = DEFAULT_READ_LIMIT
    strict: bool = False
    excerpts: bool = False


@dataclass(frozen=True, slots=True)
class QueryResult:
    """One page of hits. `total` counts every readable hit (a lower bound when `more`)."""

    nodes: list[Node]
    total: int
    offset: int
    more: bool
    plan: str
    rows_read: int
    excerpts: Mapping[str, str] = field(default_factory=dict)


class _Row:
    """A candidate row; its properties are decoded on first use."""

    __slots__ = ("_props", "blob", "id", "path", "ptype", "rev")

    def __init__(self, raw: tuple[object, ...]) -> None:
        self.id = cast(int, raw[0])
        self.path = cast(str, raw[1])
        self.ptype = cast(str, raw[2])
        self.rev = cast(int, raw[3])
        self.blob = cast(bytes, raw[4])
        self._props: dict[str, Property] | None = None

    @property
    def props(self) -> dict[str, Property]:
        if self._props is None:
            self._props = decode_properties(self.blob)
        return self._props

    @property
    def mixins(self) -> tuple[str, ...]:
        found = self.props.get(N.JCR_MIXIN_TYPES)
        return tuple(str(m) for m in found.values) if found is not None else ()

    def node(self) -> Node:
        props = dict(self.props)
        props.pop(N.JCR_PRIMARY_TYPE, None)
        mixins = props.pop(N.JCR_MIXIN_TYPES, None)
        return Node(
            id=self.id,
            path=self.path,
            primary_type=self.ptype,
            mixins=tuple(str(m) for m in mixins.values) if mixins is not None else (),
            properties=props,
            revision=self.rev,
        )


@dataclass
class _Source:
    kind: str
    describe: str
    sql: str  # with a {cols} placeholder
    params: Sequence[object]
    root: str | None = None  # traversal: the subtree, include_self
    include_self: bool = False
    satisfies: Predicate | None = None  # a predicate the source alone decides (full text)
    # The same rows without the join to `node` (same params), for counting: an index or
    # full-text row always has its node, and the join doubles the cost of an estimate.
    count_sql: str | None = None

    def select(self, cols: str) -> str:
        return self.sql.format(cols=cols)


def _marks(count: int) -> str:
    return ",".join("?" * count)


def _subtypes(registry: NodeTypeRegistry, node_type: str) -> tuple[list[str], list[str]]:
    """(primary types, mixin types) that are `node_type` or inherit from it."""
    if not registry.has(node_type):
        raise InvalidPredicate(f"unknown node type {node_type!r}", type=node_type)
    primaries: list[str] = []
    mixins: list[str] = []
    for t in registry.all():
        if registry.is_subtype(t.name, node_type):
            (mixins if t.mixin else primaries).append(t.name)
    return primaries, mixins


class _Planner:
    def __init__(
        self, query: Query, registry: NodeTypeRegistry, defs: Sequence[IndexDefinition]
    ) -> None:
        self.query = query
        self.registry = registry
        self.defs = defs
        top = query.where
        self.conjuncts: tuple[Predicate, ...] = (
            top.predicates if not top.any and not top.negate else ()
        )
        paths = [p for p in self.conjuncts if isinstance(p, PathPredicate)]
        self.path = paths[0] if paths else None
        self.types = [p.node_type for p in self.conjuncts if isinstance(p, TypePredicate)]

    def _usable(self, index: IndexDefinition, name: str) -> bool:
        if name not in index.property_names:
            return False
        if not index.covers_query_path(self.path.path if self.path is not None else None):
            return False
        if index.declaring_node_types:
            # Only a query restricted to one of the declaring types may use the index: other
            # nodes with the property are not in it.
            return any(
                self.registry.has(t)
                and any(self.registry.is_subtype(t, d) for d in index.declaring_node_types)
                for t in self.types
            )
        return True

    def _index_for(self, name: str) -> IndexDefinition | None:
        found = [d for d in self.defs if self._usable(d, name)]
        # The narrowest index first: declaring types and included paths make it smaller.
        found.sort(key=lambda d: (not d.declaring_node_types, not d.included_paths))
        return found[0] if found else None

    def sources(self) -> list[_Source]:
        out: list[_Source] = []
        for pred in self.conjuncts:
            if isinstance(pred, PropertyPredicate) and pred.operation == "equals" and pred.values:
                if pred.all_values and len(pred.values) > 1:
                    keys_of = pred.values[:1]
                else:
                    keys_of = pred.values
                if pred.name == N.JCR_UUID:
                    values = [str(v) for v in keys_of]
                    out.append(
                        _Source(
                            "uuid",
                            "uuid",
                            f"SELECT {{cols}} FROM node n WHERE n.uuid IN ({_marks(len(values))})",
                            list(values),
                        )
                    )
                    continue
                index = self._index_for(pred.name)
                if index is not None:
                    keys = sorted({k for v in keys_of for k in V.literal_keys(v)})
                    where = f" WHERE i.index_name = ? AND i.value IN ({_marks(len(keys))})"
                    out.append(
                        _Source(
                            "index",
                            f"index {index.name} ({pred.name} =)",
                            "SELECT {cols} FROM prop_index i CROSS JOIN node n ON n.id = i.node_id"
                            + where,
                            [index.name, *keys],
                            count_sql="SELECT {cols} FROM prop_index i" + where,
                        )
                    )
            elif isinstance(pred, RangePredicate):
                index = self._index_for(pred.name)
                if index is not None:
                    low, high = V.range_bounds(pred.kind)
                    # Inclusive unless the bound's key is exact: a lossy key may equal the
                    # key of a value just inside the bound (see values.py).
                    lower_sql, lower = ">=", low
                    if pred.lower is not None:
                        lower = V.range_key(pred.lower, pred.kind)
                        if not pred.lower_inclusive and V.is_exact_key(pred.lower, pred.kind):
                            lower_sql = ">"
                    upper_sql, upper = "<", high
                    if pred.upper is not None:
                        upper = V.range_key(pred.upper, pred.kind)
                        if pred.upper_inclusive or not V.is_exact_key(pred.upper, pred.kind):
                            upper_sql = "<="
                    where = (
                        f" WHERE i.index_name = ? AND i.value {lower_sql} ?"
                        f" AND i.value {upper_sql} ?"
                    )
                    out.append(
                        _Source(
                            "range",
                            f"index {index.name} ({pred.name} range)",
                            "SELECT {cols} FROM prop_index i CROSS JOIN node n ON n.id = i.node_id"
                            + where,
                            [index.name, lower, upper],
                            count_sql="SELECT {cols} FROM prop_index i" + where,
                        )
                    )
            elif isinstance(pred, FullTextPredicate):
                expr = FT.parse(pred.text)
                out.append(
                    _Source(
                        "fulltext",
                        "full-text index",
                        "SELECT {cols} FROM node_fts f CROSS JOIN node n ON n.id = f.rowid"
                        " WHERE node_fts MATCH ?",
                        [expr.to_fts5()],
                        satisfies=pred if pred.property is None else None,
                        count_sql="SELECT {cols} FROM node_fts WHERE node_fts MATCH ?",
                    )
                )
            elif isinstance(pred, TypePredicate | MixinPredicate):
                name = pred.node_type if isinstance(pred, TypePredicate) else pred.mixin
                primaries, mixins = _subtypes(self.registry, name)
                if isinstance(pred, MixinPredicate):
                    primaries = []
                parts: list[str] = []
                params: list[object] = []
                if primaries:
                    parts.append(
                        f"SELECT {{cols}} FROM node n WHERE n.ptype IN ({_marks(len(primaries))})"
                    )
                    params.extend(primaries)
                if mixins:
                    parts.append(
                        "SELECT {cols} FROM node_mixin m CROSS JOIN node n ON n.id = m.node_id"
                        f" WHERE m.mixin IN ({_marks(len(mixins))})"
                    )
                    params.extend(mixins)
                kind = "type" if isinstance(pred, TypePredicate) else "mixin"
                if not parts:  # an abstract type without concrete subtypes: nothing matches
                    parts.append("SELECT {cols} FROM node n WHERE 0")
                out.append(_Source(kind, f"{kind} {name}", " UNION ALL ".join(parts), params))
        out.append(self._path_source())
        return out

    def _path_source(self) -> _Source:
        pred = self.path
        if pred is None:
            return _Source("traversal", "traversal of /", "", [], root=P.ROOT, include_self=True)
        if pred.scope == "exact":
            return _Source(
                "exact",
                f"path {pred.path}",
                "SELECT {cols} FROM node n WHERE n.path = ?",
                [pred.path],
            )
        if pred.scope == "children":
            sql = (
                "SELECT {cols} FROM node n WHERE n.parent_id = (SELECT id FROM node WHERE path = ?)"
            )
            params: list[object] = [pred.path]
            if pred.include_self:
                sql += " UNION ALL SELECT {cols} FROM node n WHERE n.path = ?"
                params.append(pred.path)
            return _Source("children", f"children of {pred.path}", sql, params)
        return _Source(
            "traversal",
            f"traversal of {pred.path}",
            "",
            [],
            root=pred.path,
            include_self=pred.include_self,
        )


def _estimate(reader: Reader, source: _Source) -> int:
    if source.kind == "traversal":
        assert source.root is not None
        low, high = _range(source.root)
        sql = "SELECT count(*) FROM (SELECT 1 FROM node WHERE path >= ? AND path < ? LIMIT ?)"
        rows = reader.execute(sql, (low, high, ESTIMATE_CAP))
    else:
        inner = source.count_sql.format(cols="1") if source.count_sql else source.select("1")
        sql = f"SELECT count(*) FROM ({inner} LIMIT ?)"
        rows = reader.execute(sql, [*source.params, ESTIMATE_CAP])
    return cast(int, rows[0][0])


def _range(path: str) -> tuple[str, str]:
    return ("/\x00", "0") if path == P.ROOT else (path + "/", path + "0")


class _Run:
    """One execution on the reader's thread."""

    def __init__(
        self,
        reader: Reader,
        query: Query,
        registry: NodeTypeRegistry,
        access: AccessPolicy,
        options: QueryOptions,
    ) -> None:
        self.reader = reader
        self.query = query
        self.registry = registry
        self.access = access
        self.options = options
        self.rows_read = 0
        self.fulltext_ids: dict[FullTextPredicate, set[int]] = {}
        self.satisfied: set[int] = set()  # id() of predicates decided by the source
        self.type_cache: dict[tuple[str, tuple[str, ...], str], bool] = {}
        self.sources: list[_Source] | None = None  # the plan's, reused by the run
        # Source index -> its whole result, read while planning (at most GOOD_ENOUGH rows).
        self.prefetched: dict[int, list[tuple[object, ...]]] = {}

    # --- reading ------------------------------------------------------------------------------
    def _count(self, rows: int, source: _Source) -> None:
        before = self.rows_read
        self.rows_read += rows
        if source.kind == "traversal":
            for mark in range(before // WARN_EVERY + 1, self.rows_read // WARN_EVERY + 1):
                log.warning(
                    "query traversed %d nodes (%s); declare a property index under /oak:index "
                    "or restrict the path",
                    mark * WARN_EVERY,
                    source.describe,
                )
        if self.rows_read > self.options.read_limit:
            raise QueryLimitExceeded(
                f"the query read more than {self.options.read_limit} nodes ({source.describe});"
                " narrow it or declare an index",
                limit=self.options.read_limit,
                plan=source.describe,
            )

    def _candidates(
        self, source: _Source, rows: list[tuple[object, ...]] | None = None
    ) -> Iterable[list[_Row]]:
        """The source's rows in batches; `rows`: its whole result, already read."""
        if source.kind != "traversal":
            if rows is None:
                rows = self.reader.execute(
                    source.select(_COLS) + " LIMIT ?",
                    [*source.params, self.options.read_limit + 1],
                )
            seen: set[int] = set()
            batch = []
            for raw in rows:
                row = _Row(raw)
                if row.id not in seen:
                    seen.add(row.id)
                    batch.append(row)
            self._count(len(rows), source)
            yield batch
            return
        assert source.root is not None
        if source.include_self:
            rows = self.reader.execute(
                f"SELECT {_COLS} FROM node n WHERE n.path = ?", (source.root,)
            )
            self._count(len(rows), source)
            yield [_Row(r) for r in rows]
        low, high = _range(source.root)
        op = ">="
        while True:
            rows = self.reader.execute(
                f"SELECT {_COLS} FROM node n WHERE n.path {op} ? AND n.path < ? "
                "ORDER BY n.path LIMIT ?",
                (low, high, BATCH),
            )
            if not rows:
                return
            self._count(len(rows), source)
            batch = [_Row(r) for r in rows]
            yield batch
            if len(rows) < BATCH:
                return
            low, op = batch[-1].path, ">"

    # --- predicates ---------------------------------------------------------------------------
    def _is_a(self, row: _Row, node_type: str, mixin_only: bool) -> bool:
        if not mixin_only and self.registry.is_subtype(row.ptype, node_type):
            return True
        mixins = row.mixins
        return bool(mixins) and is_a(self.registry, "", mixins, node_type)

    def matches(self, pred: Predicate, row: _Row) -> bool:
        if isinstance(pred, Group):
            if pred.any:
                found = any(self.matches(p, row) for p in pred.predicates)
            else:
                found = all(self.matches(p, row) for p in pred.predicates)
            return found != pred.negate
        if isinstance(pred, PathPredicate):
            if pred.scope == "exact":
                return row.path == pred.path
            if pred.include_self and row.path == pred.path:
                return True
            if pred.scope == "children":
                return row.path != P.ROOT and P.parent(row.path) == pred.path
            return P.is_ancestor(pred.path, row.path)
        if isinstance(pred, NamePredicate):
            name = P.name(row.path)
            if V.has_wildcards(pred.pattern):
                return V.name_regex(pred.pattern).fullmatch(name) is not None
            return name == pred.pattern
        if isinstance(pred, TypePredicate):
            return self._is_a(row, pred.node_type, False)
        if isinstance(pred, MixinPredicate):
            return self._is_a(row, pred.mixin, True)
        if isinstance(pred, PropertyPredicate):
            return _property_matches(pred, _property(row, pred.name))
        if isinstance(pred, RangePredicate):
            return _range_matches(pred, _property(row, pred.name))
        return self._fulltext_matches(pred, row)

    def _fulltext_matches(self, pred: FullTextPredicate, row: _Row) -> bool:
        if id(pred) in self.satisfied:
            return True
        expr = FT.parse(pred.text)
        if pred.property is not None:
            prop = _property(row, pred.property)
            return prop is not None and expr.matches_text(
                "\n".join(V.strings(prop.values, prop.type))
            )
        ids = self.fulltext_ids.get(pred)
        if ids is None:
            found = self.reader.execute(
                "SELECT rowid FROM node_fts WHERE node_fts MATCH ?", (expr.to_fts5(),)
            )
            ids = self.fulltext_ids[pred] = {cast(int, r[0]) for r in found}
        return row.id in ids

    # --- the run ------------------------------------------------------------------------------
    def plan(self, defs: Sequence[IndexDefinition]) -> tuple[int, int | None]:
        """(index of the chosen source, its row estimate or None when not counted).

        Sources are counted most selective kind first, up to ESTIMATE_CAP rows each; an index
        or full-text source of at most GOOD_ENOUGH rows is taken at once. A traversal of the
        whole repository is never counted when an index can answer.

        A source other than a traversal is first read up to GOOD_ENOUGH + 1 rows: when that is
        all of it, those rows are its estimate and, if it is chosen, the run's candidates (a
        point lookup then costs one statement, not a count and a read). Only a larger source
        is counted.
        """
        self._check_types(self.query.where)
        sources = self.sources = _Planner(self.query, self.registry, defs).sources()
        if len(sources) == 1:
            return 0, None
        order = sorted(range(len(sources)), key=lambda i: (_RANK[sources[i].kind], i))
        best: tuple[int, int, int] | None = None
        for i in order:
            source = sources[i]
            if source.kind == "traversal" and source.root == P.ROOT and best is not None:
                continue
            estimate = -1
            if source.kind != "traversal":
                rows = self.reader.execute(
                    source.select(_COLS) + " LIMIT ?", [*source.params, GOOD_ENOUGH + 1]
                )
                if len(rows) <= GOOD_ENOUGH:
                    self.prefetched[i] = rows
                    estimate = len(rows)
            if estimate < 0:
                estimate = _estimate(self.reader, source)
            candidate = (estimate, _RANK[source.kind], i)
            if best is None or candidate < best:
                best = candidate
            if estimate <= GOOD_ENOUGH and _RANK[source.kind] <= _RANK["fulltext"]:
                break
        assert best is not None
        return best[2], best[0]

    def run(self, defs: Sequence[IndexDefinition], chosen: int | None = None) -> QueryResult:
        if chosen is None:
            chosen, _ = self.plan(defs)
        elif self.sources is None:  # planned by another run: check what plan() checks
            self._check_types(self.query.where)
        sources = self.sources or _Planner(self.query, self.registry, defs).sources()
        source = sources[chosen]
        if source.kind == "traversal" and self.options.strict:
            raise QueryLimitExceeded(
                f"no index can serve this query and traversal is refused ({source.describe})",
                plan=source.describe,
            )
        if source.satisfies is not None:
            self.satisfied.add(id(source.satisfies))
        query = self.query
        wanted: int | None = None
        if query.guess_total is not None and not query.orders:
            page_end = query.offset + query.limit + 1 if query.limit is not None else None
            wanted = max(query.guess_total, page_end) if page_end is not None else None
        hits: list[_Row] = []
        more = False
        for batch in self._candidates(source, self.prefetched.get(chosen)):
            for row in batch:
                if self.matches(query.where, row) and self.access.can_read(row.path):
                    hits.append(row)
            if wanted is not None and len(hits) >= wanted:
                more = True
                break
        if wanted is not None and more:
            hits = hits[:wanted]
        if len(hits) > 1:
            # Without an ordering, hits come in path order: stable across plans and pages.
            hits.sort(key=lambda row: row.path)
            _sort(hits, query.orders)
        end = None if query.limit is None else query.offset + query.limit
        page = hits[query.offset : end]
        nodes = [row.node() for row in page]
        return QueryResult(
            nodes=nodes,
            total=len(hits),
            offset=query.offset,
            more=more,
            plan=source.describe,
            rows_read=self.rows_read,
            excerpts=self._excerpts(page) if self.options.excerpts else {},
        )

    def subtrees(self, roots: Sequence[str]) -> list[Node]:
        self._check_types(self.query.where)
        source = _Source("subtrees", f"subtrees of {len(roots)} nodes", "", [])
        hits: list[_Row] = []
        seen: set[int] = set()
        for root in sorted(set(roots)):
            low, high = _range(root)
            rows = self.reader.execute(
                f"SELECT {_COLS} FROM node n WHERE n.path >= ? AND n.path < ?", (low, high)
            )
            self._count(len(rows), source)
            for raw in rows:
                row = _Row(raw)
                if row.id in seen:
                    continue
                seen.add(row.id)
                if self.matches(self.query.where, row) and self.access.can_read(row.path):
                    hits.append(row)
        hits.sort(key=lambda row: row.path)
        return [row.node() for row in hits]

    def _check_types(self, group: Group) -> None:
        for pred in group.predicates:
            if isinstance(pred, Group):
                self._check_types(pred)
            elif isinstance(pred, TypePredicate | MixinPredicate):
                name = pred.node_type if isinstance(pred, TypePredicate) else pred.mixin
                if not self.registry.has(name):
                    raise InvalidPredicate(f"unknown node type {name!r}", type=name)
            elif isinstance(pred, FullTextPredicate):
                FT.parse(pred.text)

    def _excerpts(self, page: Sequence[_Row]) -> dict[str, str]:
        pred = _first_fulltext(self.query.where)
        if pred is None or not page:
            return {}
        by_id = {row.id: row.path for row in page}
        ids = list(by_id)
        out: dict[str, str] = {}
        for start in range(0, len(ids), _VARS):
            chunk = ids[start : start + _VARS]
            rows = self.reader.execute(
                "SELECT rowid, snippet(node_fts, 0, '<strong>', '</strong>', '...', 16) "
                f"FROM node_fts WHERE node_fts MATCH ? AND rowid IN ({_marks(len(chunk))})",
                [FT.parse(pred.text).to_fts5(), *chunk],
            )
            for node_id, snippet in rows:
                out[by_id[cast(int, node_id)]] = str(snippet).replace("\n", " ")
        return out


def _first_fulltext(group: Group) -> FullTextPredicate | None:
    if group.negate:
        return None
    for pred in group.predicates:
        if isinstance(pred, FullTextPredicate):
            return pred
        if isinstance(pred, Group):
            found = _first_fulltext(pred)
            if found is not None:
                return found
    return None


def _property(row: _Row, name: str) -> Property | None:
    return row.props.get(name)


def _property_matches(pred: PropertyPredicate, prop: Property | None) -> bool:
    op = pred.operation
    if op == "exists":
        return prop is not None
    if op == "not":
        return prop is None
    if prop is None:
        return False
    if op == "like":
        texts = V.strings(prop.values, prop.type)
        return any(V.like_regex(str(p)).fullmatch(t) for p in pred.values for t in texts)
    if prop.type is PropertyType.STRING:
        # A STRING value equals only a string literal, and exactly (V.equals, without its
        # per-value dispatch: this runs for every candidate row).
        hits = [isinstance(lit, str) and lit in prop.values for lit in pred.values]
    else:
        hits = [any(V.equals(v, prop.type, lit) for v in prop.values) for lit in pred.values]
    if op == "unequals":
        return not any(hits)
    return all(hits) if pred.all_values else any(hits)


def _range_matches(pred: RangePredicate, prop: Property | None) -> bool:
    if prop is None:
        return False
    lower = V.literal_sort_key(pred.lower, pred.kind) if pred.lower is not None else None
    upper = V.literal_sort_key(pred.upper, pred.kind) if pred.upper is not None else None
    family = V.literal_family(pred.kind)
    for value in prop.values:
        key = V.sort_key(value, prop.type)
        if key[0] != family:
            continue
        if lower is not None and not (key > lower or (pred.lower_inclusive and key == lower)):
            continue
        if upper is not None and not (key < upper or (pred.upper_inclusive and key == upper)):
            continue
        return True
    return False


def _order_key(order: Order) -> Callable[[_Row], tuple[int, object]]:
    descending = order.descending
    present, missing = (1, 0) if descending else (0, 1)
    if order.key == "path":
        return lambda row: (present, row.path.casefold() if order.ignore_case else row.path)
    if order.key == "nodename":
        return lambda row: (
            present,
            P.name(row.path).casefold() if order.ignore_case else P.name(row.path),
        )
    name = order.key[1:]

    def key(row: _Row) -> tuple[int, object]:
        prop = row.props.get(name)
        if prop is None or not prop.values:
            return (missing, None)
        return (present, V.sort_key(prop.values[0], prop.type, order.ignore_case))

    return key


def _sort(rows: list[_Row], orders: Sequence[Order]) -> None:
    for order in reversed(orders):
        key = _order_key(order)
        rows.sort(key=key, reverse=order.descending)


async def execute(
    session: ContentSession, query: Query, options: QueryOptions | None = None
) -> QueryResult:
    """Run `query` as the session's user: hits the user may read, one page of them.

    Raises InvalidPredicate (unknown node type), InvalidFullText, QueryLimitExceeded.
    """
    registry = session.registry
    access = session.access
    opts = options or QueryOptions()
    store = session.store
    generation = getattr(store, "generation", None)
    read_point = getattr(store, "read_point", None)
    if read_point is not None:
        # Plan inline (index definitions cached per store generation, a few capped counts);
        # a small plan runs inline too, anything bigger on a reader thread.
        def plan_inline(r: Reader) -> tuple[list[IndexDefinition], int, QueryResult | None]:
            defs = _definitions(store, generation, r)
            run = _Run(r, query, registry, access, opts)
            chosen, estimate = run.plan(defs)
            small = estimate is not None and estimate <= INLINE_ROWS
            return defs, chosen, run.run(defs, chosen) if small else None

        planned = cast(
            tuple[list[IndexDefinition], int, QueryResult | None], read_point(plan_inline)
        )
        defs, chosen, done = planned
        if done is not None:
            return done
        return await store.read(lambda r: _Run(r, query, registry, access, opts).run(defs, chosen))
    return await store.read(
        lambda r: _Run(r, query, registry, access, opts).run(_definitions(store, generation, r))
    )


# Index definitions by store, valid for the store generation they were read at (any commit
# bumps it, so a changed definition is never served stale).
_DEFINITIONS: weakref.WeakKeyDictionary[object, tuple[int, list[IndexDefinition]]] = (
    weakref.WeakKeyDictionary()
)


def _definitions(store: object, generation: int | None, reader: Reader) -> list[IndexDefinition]:
    if generation is None:
        return load_definitions(reader)
    hit = _DEFINITIONS.get(store)
    if hit is not None and hit[0] == generation:
        return hit[1]
    defs = load_definitions(reader)
    _DEFINITIONS[store] = (generation, defs)
    return defs


async def descendants(
    session: ContentSession,
    roots: Sequence[str],
    where: Group | None = None,
    options: QueryOptions | None = None,
) -> list[Node]:
    """The readable strict descendants of each of `roots` that match `where`, in one store call.

    For reading the subtrees of a known set of hits (e.g. a product's variants) without
    traversing their common ancestor. Rows count against `options.read_limit`
    (QueryLimitExceeded).
    """
    access = session.access
    query = Query(where or Group(), limit=None)
    run_options = options or QueryOptions()
    registry = session.registry

    def run(reader: Reader) -> list[Node]:
        return _Run(reader, query, registry, access, run_options).subtrees(roots)

    read_point = getattr(session.store, "read_point", None)
    if read_point is not None and len(roots) <= INLINE_SUBTREES:
        return cast(list[Node], read_point(run))
    return await session.store.read(run)


async def related_nodes(session: ContentSession, paths: Sequence[str]) -> dict[str, Node]:
    """The readable nodes among `paths` (e.g. the `jcr:content` of hits), in one store call."""
    access = session.access
    found = await session.store.read(lambda r: r.nodes(paths))
    return {p: n for p, n in found.items() if access.can_read(p)}


# --- index scans (facets over a large subtree) --------------------------------------------------
@dataclass(frozen=True, slots=True)
class IndexScan:
    """The entries of one property's index below a root: every (node, key) of `property`,
    optionally only `keys`."""

    property: str
    keys: tuple[bytes, ...] | None = None


class IndexRow(NamedTuple):
    """One index entry of a scan. A tuple, made straight from the SQL row: a browse of a large
    catalog reads hundreds of thousands of them."""

    node_id: int
    parent_id: int | None
    path: str
    key: bytes


def usable_index(
    defs: Sequence[IndexDefinition], name: str, path: str | None
) -> IndexDefinition | None:
    """An index holding `name` for every node below `path`, whatever its type (no declaring
    node types), or None."""
    found = [
        d
        for d in defs
        if name in d.property_names
        and not d.declaring_node_types
        and d.covers_query_path(path)
        # The index must hold nothing but this property: keys carry no property name.
        and len(d.property_names) == 1
    ]
    found.sort(key=lambda d: not d.included_paths)
    return found[0] if found else None


# An index's entries by key: key -> the ids of the nodes having it (see `index_scan`).
IndexEntries = dict[bytes, list[int]]


async def index_scan(
    session: ContentSession,
    root: str,
    scans: Sequence[IndexScan],
    entries: Sequence[str] = (),
) -> tuple[list[list[IndexRow]], list[IndexEntries]] | None:
    """The readable index entries of each scan in the subtree of `root` (itself included), in one
    store call, without reading a node: for facet counts and sorts over many nodes.

    With them, for each property of `entries`, its whole index grouped by key, *unchecked*: no
    join to `node`, no root range, no read check (those make most of a scan's cost; grouped,
    SQLite hands over one row per key). Only for nodes the caller already has from a checked
    scan of the same call: it must drop every other id.

    None when a property of a scan has no usable property index (see `usable_index`): the caller
    falls back to a query. Index rows are not counted against the read limit (no node is
    decoded); keys may be lossy (see `values`), so callers check `values.exact_string` first.
    """
    access = session.access
    store = session.store
    generation = getattr(store, "generation", None)
    low, high = _range(root)

    def run(reader: Reader) -> tuple[list[list[IndexRow]], list[IndexEntries]] | None:
        defs = _definitions(store, generation, reader)
        out: list[list[IndexRow]] = []
        for scan in scans:
            index = usable_index(defs, scan.property, root)
            if index is None:
                return None
            params: list[object] = [index.name]
            sql = (
                "SELECT i.node_id, n.parent_id, n.path, i.value FROM prop_index i "
                "JOIN node n ON n.id = i.node_id WHERE i.index_name = ?"
            )
            if scan.keys is not None:
                sql += f" AND i.value IN ({_marks(len(scan.keys))})"
                params.extend(scan.keys)
            sql += " AND (n.path = ? OR (n.path >= ? AND n.path < ?))"
            params.extend((root, low, high))
            rows = cast(list[tuple[int, int | None, str, bytes]], reader.execute(sql, params))
            can_read = access.can_read
            new = tuple.__new__
            # The row's columns are IndexRow's fields in order: no per-row __init__.
            out.append([new(IndexRow, r) for r in rows if can_read(r[2])])
        grouped: list[IndexEntries] = []
        for name in entries:
            index = usable_index(defs, name, root)
            if index is None:
                return None
            # The primary key (index_name, value, node_id) hands the rows over in key order.
            found = cast(
                list[tuple[bytes, str]],
                reader.execute(
                    "SELECT value, group_concat(node_id) FROM prop_index WHERE index_name = ?"
                    " GROUP BY value",
                    (index.name,),
                ),
            )
            # Many keys have one node (titles, prices): no split for those.
            grouped.append(
                {
                    k: [int(ids)] if "," not in ids else list(map(int, ids.split(",")))
                    for k, ids in found
                }
            )
        return out, grouped

    return await store.read(run)


async def nodes_by_id(
    session: ContentSession, ids: Sequence[int], options: QueryOptions | None = None
) -> dict[int, Node]:
    """The readable nodes with these ids (e.g. one page of index-scan hits), in one store call.
    Rows count against `options.read_limit` (QueryLimitExceeded)."""
    opts = options or QueryOptions()
    if len(ids) > opts.read_limit:
        raise QueryLimitExceeded(
            f"reading {len(ids)} nodes is more than the limit of {opts.read_limit}",
            limit=opts.read_limit,
            plan="nodes by id",
        )
    access = session.access
    unique = list(dict.fromkeys(ids))

    def run(reader: Reader) -> dict[int, Node]:
        out: dict[int, Node] = {}
        for start in range(0, len(unique), _VARS):
            chunk = unique[start : start + _VARS]
            for raw in reader.execute(
                f"SELECT {_COLS} FROM node n WHERE n.id IN ({_marks(len(chunk))})", chunk
            ):
                row = _Row(raw)
                if access.can_read(row.path):
                    out[row.id] = row.node()
        return out

    read_point = getattr(session.store, "read_point", None)
    if read_point is not None and len(unique) <= INLINE_ROWS:
        return cast(dict[int, Node], read_point(run))
    return await session.store.read(run)
