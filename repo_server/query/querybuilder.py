"""AEM QueryBuilder parameters -> a `Query` and the hit options (`/bin/querybuilder.json`).

Parameters name predicates, optionally numbered to tell several apart (`1_property`,
`2_property`); a predicate's own parameters follow a dot (`1_property.value`,
`1_property.operation`). `group` nests: `group.p.or=true&group.1_path=/a&group.2_path=/b`.
`orderby` (also numbered) sorts, `p.*` are options. Every parameter must be understood: a
misspelt one is a 400, never silently ignored (a query that ignored a predicate returns too
much, which is worse than an error).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal

from repo_server.errors import InvalidPath
from repo_server.model import path as P
from repo_server.model.values import from_epoch_ms
from repo_server.query import values as V
from repo_server.query.errors import (
    InvalidDate,
    InvalidLimit,
    InvalidOrderBy,
    InvalidPredicate,
    InvalidQuery,
    InvalidRange,
    UnknownPredicate,
)
from repo_server.query.model import (
    FullTextPredicate,
    Group,
    Literal_,
    MixinPredicate,
    NamePredicate,
    Order,
    PathPredicate,
    Predicate,
    PropertyOperation,
    PropertyPredicate,
    Query,
    RangeKind,
    RangePredicate,
    TypePredicate,
)

HitsMode = Literal["simple", "full", "selective"]
DEFAULT_LIMIT: Final = 10
MAX_GROUP_DEPTH: Final = 10
_ID: Final = re.compile(r"^(?:(\d+)_)?([a-z]+)$")
_VALUE_KEY: Final = re.compile(r"^(?:(\d+)_)?value$")
_IGNORED: Final = frozenset({"_charset_", "_"})  # form charset, jQuery's cache buster
_OPERATIONS: Final = frozenset({"equals", "unequals", "like", "not", "exists"})


@dataclass(frozen=True, slots=True)
class HitOptions:
    """How hits are written: `simple` (path, excerpt, name, title, lastModified), `full` (the
    node's JSON, `node_depth` levels deep) or `selective` (the named `properties`)."""

    mode: HitsMode = "simple"
    properties: tuple[str, ...] = ()
    node_depth: int = 0


class _Params:
    """The parameters of one group: predicate id -> {sub-parameter: value}."""

    def __init__(self) -> None:
        self.predicates: dict[str, dict[str, str]] = {}
        self.options: dict[str, str] = {}
        self.groups: dict[str, list[tuple[str, str]]] = {}


def _split(pairs: Iterable[tuple[str, str]], where: str) -> _Params:
    out = _Params()
    for key, value in pairs:
        if key.startswith("p."):
            out.options.setdefault(key[2:], value)
            continue
        head, _, rest = key.partition(".")
        match = _ID.match(head)
        if match is None:
            raise UnknownPredicate(f"unknown parameter {where}{key!r}", parameter=where + key)
        if match.group(2) == "group":
            if not rest:
                continue  # `group=` alone carries nothing (AEM ignores it too)
            out.groups.setdefault(head, []).append((rest, value))
            continue
        out.predicates.setdefault(head, {}).setdefault(rest, value)
    return out


def _ordered(ids: Iterable[str]) -> list[str]:
    def key(pid: str) -> tuple[int, str]:
        match = _ID.match(pid)
        number = match.group(1) if match else None
        return (int(number) if number else 0, pid)

    return sorted(ids, key=key)


def _bool(value: str, param: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise InvalidPredicate(
            f"{param} must be true or false, not {value[:40]!r}", parameter=param
        )
    return lowered == "true"


def _name(value: str, param: str) -> str:
    name = value.strip().removeprefix("@")
    if not name:
        raise InvalidPredicate(f"{param} needs a property name", parameter=param)
    if "/" in name:
        # TODO(#7): relative property paths (jcr:content/cq:template) need the child rows.
        raise InvalidPredicate(
            f"{param}: relative property paths are not supported ({name[:80]!r})",
            parameter=param,
        )
    return name


def _only(sub: dict[str, str], allowed: set[str], pid: str) -> None:
    for key in sub:
        if key not in allowed and not (_VALUE_KEY.match(key) and "value" in allowed):
            raise InvalidPredicate(
                f"unknown parameter {pid}.{key}", parameter=f"{pid}.{key}", predicate=pid
            )


def _path(pid: str, sub: dict[str, str]) -> PathPredicate:
    _only(sub, {"", "self", "exact", "flat"}, pid)
    raw = sub.get("", "").strip()
    if not raw.startswith("/"):
        raise InvalidPath(f"{pid} must be an absolute path, not {raw[:80]!r}", parameter=pid)
    path = P.normalize(raw)
    include_self = _bool(sub["self"], f"{pid}.self") if "self" in sub else False
    if "exact" in sub and _bool(sub["exact"], f"{pid}.exact"):
        return PathPredicate(path, "exact")
    if "flat" in sub and _bool(sub["flat"], f"{pid}.flat"):
        return PathPredicate(path, "children", include_self)
    return PathPredicate(path, "descendants", include_self)


def _values(pid: str, sub: dict[str, str]) -> tuple[str, ...]:
    keyed = []
    for key, value in sub.items():
        match = _VALUE_KEY.match(key)
        if match is not None:
            keyed.append((int(match.group(1) or 0), value))
    return tuple(v for _, v in sorted(keyed, key=lambda kv: kv[0]))


def _property(pid: str, sub: dict[str, str]) -> PropertyPredicate:
    _only(sub, {"", "value", "operation", "and", "depth"}, pid)
    name = _name(sub.get("", ""), pid)
    if sub.get("depth", "0").strip() != "0":
        raise InvalidPredicate(f"{pid}.depth is not supported", parameter=f"{pid}.depth")
    operation = sub.get("operation", "equals").strip() or "equals"
    if operation not in _OPERATIONS:
        raise InvalidPredicate(
            f"unknown {pid}.operation {operation[:40]!r}: expected one of "
            + ", ".join(sorted(_OPERATIONS)),
            parameter=f"{pid}.operation",
        )
    values = _values(pid, sub)
    all_values = _bool(sub["and"], f"{pid}.and") if "and" in sub else False
    op: PropertyOperation = operation  # type: ignore[assignment]  # checked against _OPERATIONS
    if op == "exists" and values and not _bool(values[0], f"{pid}.value"):
        return PropertyPredicate(name, "not")
    if op in ("exists", "not"):
        return PropertyPredicate(name, op)
    if not values:
        raise InvalidPredicate(f"{pid} needs {pid}.value", parameter=f"{pid}.value")
    return PropertyPredicate(name, op, values, all_values)


def _operation(sub: dict[str, str], key: str, pid: str, lower: bool) -> bool:
    """Whether a range bound is inclusive (`>=`/`<=`) or not (`>`/`<`, the default)."""
    strict, inclusive = (">", ">=") if lower else ("<", "<=")
    raw = sub.get(key, strict).strip() or strict
    if raw not in (strict, inclusive):
        raise InvalidRange(
            f"{pid}.{key} must be {strict!r} or {inclusive!r}, not {raw[:20]!r}",
            parameter=f"{pid}.{key}",
        )
    return raw == inclusive


def _date(raw: str, param: str) -> datetime:
    text = raw.strip()
    if re.fullmatch(r"-?\d{1,15}", text):
        return from_epoch_ms(int(text))
    found = V.parse_date(text)
    if found is None:
        raise InvalidDate(f"{param}: {text[:60]!r} is not an ISO 8601 date", parameter=param)
    return found


def _number(raw: str, param: str) -> Decimal:
    found = V.parse_number(raw)
    if found is None:
        raise InvalidRange(f"{param}: {raw[:60]!r} is not a number", parameter=param)
    return found


def _range(pid: str, sub: dict[str, str], kind: RangeKind) -> RangePredicate:
    allowed = {"", "property", "lowerBound", "upperBound", "lowerOperation", "upperOperation"}
    allowed |= {"timeZone"} if kind == "date" else {"decimal"}
    _only(sub, allowed, pid)
    name = _name(sub.get("property", ""), f"{pid}.property")
    bounds: list[Literal_ | None] = []
    for key in ("lowerBound", "upperBound"):
        raw = sub.get(key, "").strip()
        if not raw:
            bounds.append(None)
        elif kind == "date":
            bounds.append(_date(raw, f"{pid}.{key}"))
        else:
            bounds.append(_number(raw, f"{pid}.{key}"))
    if bounds == [None, None]:
        raise InvalidRange(f"{pid} needs a lowerBound or an upperBound", parameter=pid)
    if "decimal" in sub:
        _bool(sub["decimal"], f"{pid}.decimal")
    return RangePredicate(
        name,
        kind,
        bounds[0],
        bounds[1],
        _operation(sub, "lowerOperation", pid, True),
        _operation(sub, "upperOperation", pid, False),
    )


def _fulltext(pid: str, sub: dict[str, str]) -> FullTextPredicate:
    _only(sub, {"", "relPath"}, pid)
    text = sub.get("", "")
    if not text.strip():
        raise InvalidPredicate(f"{pid} needs a search text", parameter=pid)
    rel = sub.get("relPath", "").strip()
    return FullTextPredicate(text, _name(rel, f"{pid}.relPath") if rel else None)


def _simple(pid: str, sub: dict[str, str], kind: str) -> Predicate:
    _only(sub, {""}, pid)
    value = sub.get("", "").strip()
    if not value:
        raise InvalidPredicate(f"{pid} needs a value", parameter=pid)
    if kind == "type":
        return TypePredicate(value)
    if kind == "mixin":
        return MixinPredicate(value)
    return NamePredicate(value)


def _predicate(pid: str, sub: dict[str, str]) -> Predicate:
    kind = pid.partition("_")[2] if "_" in pid else pid
    if kind == "path":
        return _path(pid, sub)
    if kind in ("type", "mixin", "nodename"):
        return _simple(pid, sub, kind)
    if kind == "property":
        return _property(pid, sub)
    if kind == "fulltext":
        return _fulltext(pid, sub)
    if kind == "daterange":
        return _range(pid, sub, "date")
    if kind == "rangeproperty":
        return _range(pid, sub, "number")
    raise UnknownPredicate(f"unknown predicate {pid!r}", predicate=pid)


def _group(pairs: Iterable[tuple[str, str]], prefix: str, depth: int) -> tuple[Group, _Params]:
    if depth > MAX_GROUP_DEPTH:
        raise InvalidQuery(f"groups may nest at most {MAX_GROUP_DEPTH} levels")
    params = _split(pairs, prefix)
    predicates: list[Predicate] = []
    for pid in _ordered(params.predicates):
        if pid.endswith("orderby"):
            if depth:
                raise UnknownPredicate(f"{prefix}{pid} is only allowed at the top level")
            continue
        predicates.append(_predicate(pid, params.predicates[pid]))
    for gid in _ordered(params.groups):
        group, _ = _group(params.groups[gid], f"{prefix}{gid}.", depth + 1)
        predicates.append(group)
    any_ = _bool(params.options["or"], f"{prefix}p.or") if "or" in params.options else False
    negate = _bool(params.options["not"], f"{prefix}p.not") if "not" in params.options else False
    if depth:
        unknown = set(params.options) - {"or", "not"}
        if unknown:
            key = sorted(unknown)[0]
            raise UnknownPredicate(f"unknown option {prefix}p.{key}", parameter=f"{prefix}p.{key}")
    return Group(tuple(predicates), any_, negate), params


def _orders(params: _Params) -> tuple[Order, ...]:
    out = []
    for pid in _ordered(p for p in params.predicates if p.endswith("orderby")):
        sub = params.predicates[pid]
        for key in sub:
            if key not in ("", "sort", "case"):
                raise InvalidOrderBy(f"unknown parameter {pid}.{key}", parameter=f"{pid}.{key}")
        raw = sub.get("", "").strip()
        sort = sub.get("sort", "asc").strip().lower() or "asc"
        if sort not in ("asc", "desc"):
            raise InvalidOrderBy(f"{pid}.sort must be asc or desc, not {sort[:20]!r}")
        case = sub.get("case", "").strip().lower()
        if case not in ("", "ignore"):
            raise InvalidOrderBy(f"{pid}.case can only be 'ignore', not {case[:20]!r}")
        if raw in ("path", "nodename"):
            key = raw
        elif raw.startswith("@"):
            try:
                key = "@" + _name(raw, pid)
            except InvalidPredicate as exc:
                raise InvalidOrderBy(exc.message, parameter=pid) from None
        elif raw in params.predicates and raw.endswith("property"):
            key = "@" + _name(params.predicates[raw].get("", ""), raw)  # by that predicate
        else:
            raise InvalidOrderBy(
                f"{pid} must be @<property>, path, nodename or a property predicate, "
                f"not {raw[:60]!r}",
                parameter=pid,
            )
        out.append(Order(key, sort == "desc", case == "ignore"))
    return tuple(out)


def _int(value: str, param: str, minimum: int) -> int:
    text = value.strip()
    if not re.fullmatch(r"-?\d{1,12}", text) or int(text) < minimum:
        raise InvalidLimit(
            f"{param} must be an integer of at least {minimum}, not {value[:20]!r}",
            parameter=param,
        )
    return int(text)


_OPTIONS: Final = frozenset(
    {"limit", "offset", "hits", "properties", "nodedepth", "guessTotal", "or", "not", "excerpt"}
)


def parse(pairs: Iterable[tuple[str, str]]) -> tuple[Query, HitOptions]:
    """The query and hit options of QueryBuilder parameters; InvalidQuery's leaves (400)."""
    pairs = [(k, v) for k, v in pairs if k not in _IGNORED]
    where, params = _group(pairs, "", 0)
    opts = params.options
    for key in opts:
        if key not in _OPTIONS:
            raise UnknownPredicate(f"unknown option p.{key}", parameter=f"p.{key}")
    limit: int | None = DEFAULT_LIMIT
    if "limit" in opts:
        raw = opts["limit"].strip()
        limit = None if raw == "-1" else _int(raw, "p.limit", 0)
    offset = _int(opts["offset"], "p.offset", 0) if "offset" in opts else 0
    guess: int | None = None
    if "guessTotal" in opts:
        raw = opts["guessTotal"].strip().lower()
        if raw == "true":
            guess = 0
        elif raw != "false":
            guess = _int(raw, "p.guessTotal", 0)
    mode = opts.get("hits", "simple").strip() or "simple"
    if mode not in ("simple", "full", "selective"):
        raise InvalidQuery(
            f"p.hits must be simple, full or selective, not {mode[:20]!r}", parameter="p.hits"
        )
    if "excerpt" in opts:
        _bool(opts["excerpt"], "p.excerpt")
    depth = _int(opts["nodedepth"], "p.nodedepth", 0) if "nodedepth" in opts else 0
    hits = HitOptions(
        mode,  # type: ignore[arg-type]  # checked above
        tuple(opts.get("properties", "").split()),
        depth,
    )
    query = Query(where, _orders(params), offset, limit, guess)
    return query, hits
