"""OData system query options, parsed and checked for shape (not yet against an IO)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from commerce.engine.errors import InvalidQueryParameter
from commerce.engine.model.filter import Expression, parse_filter

KNOWN_OPTIONS: Final = frozenset(
    {
        "$filter",
        "$expand",
        "$top",
        "$skip",
        "$skiptoken",
        "$inlinecount",
        "$orderby",
        "$select",
        "$format",
    }
)

ExpandTree = dict[str, "ExpandTree"]
_MAX_EXPAND_DEPTH: Final = 6


@dataclass(frozen=True, slots=True)
class QueryOptions:
    filter: Expression | None = None
    expand: ExpandTree = field(default_factory=dict)
    top: int | None = None
    skip: int = 0
    skiptoken: int | None = None
    inline_count: bool = False
    orderby: tuple[tuple[tuple[str, ...], bool], ...] = ()
    select: tuple[str, ...] | None = None

    @property
    def start(self) -> int:
        # $skiptoken is the absolute offset of the next page and overrides $skip (spec §4).
        return self.skiptoken if self.skiptoken is not None else self.skip


def _non_negative(name: str, text: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise InvalidQueryParameter(f"{name} must be a non-negative integer, not [{text}].")
    return int(text)


def parse_expand(text: str) -> ExpandTree:
    tree: ExpandTree = {}
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            raise InvalidQueryParameter(f"Malformed $expand [{text}].")
        node = tree
        if entry.count("/") >= _MAX_EXPAND_DEPTH:
            raise InvalidQueryParameter(f"$expand paths are at most {_MAX_EXPAND_DEPTH} deep.")
        for part in entry.split("/"):
            if not part:
                raise InvalidQueryParameter(f"Malformed $expand [{text}].")
            node = node.setdefault(part.strip(), {})
    return tree


def parse_options(pairs: Sequence[tuple[str, str]]) -> QueryOptions:
    """Parse the form-decoded query; raises InvalidQueryParameter and the $filter errors."""
    seen: dict[str, str] = {}
    for name, value in pairs:
        if not name.startswith("$"):
            continue  # custom query options are allowed by OData and ignored here
        if name not in KNOWN_OPTIONS:
            raise InvalidQueryParameter(f"The query option [{name}] is not supported.")
        if name in seen:
            raise InvalidQueryParameter(f"The query option [{name}] is repeated.")
        seen[name] = value
    if seen.get("$format", "json") not in ("json", "application/json"):
        raise InvalidQueryParameter("Only $format=json is supported.")
    inline = seen.get("$inlinecount", "none")
    if inline not in ("allpages", "none"):
        raise InvalidQueryParameter(f"$inlinecount must be allpages or none, not [{inline}].")
    orderby: list[tuple[tuple[str, ...], bool]] = []
    if "$orderby" in seen:
        for entry in seen["$orderby"].split(","):
            words = entry.split()
            if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
                raise InvalidQueryParameter(f"Malformed $orderby [{seen['$orderby']}].")
            orderby.append((tuple(words[0].split("/")), len(words) == 2 and words[1] == "desc"))
    select: tuple[str, ...] | None = None
    if "$select" in seen:
        select = tuple(s.strip() for s in seen["$select"].split(",") if s.strip())
        if not select:
            raise InvalidQueryParameter("$select is empty.")
    return QueryOptions(
        filter=parse_filter(seen["$filter"]) if "$filter" in seen else None,
        expand=parse_expand(seen["$expand"]) if "$expand" in seen else {},
        top=_non_negative("$top", seen["$top"]) if "$top" in seen else None,
        skip=_non_negative("$skip", seen["$skip"]) if "$skip" in seen else 0,
        skiptoken=(
            _non_negative("$skiptoken", seen["$skiptoken"]) if "$skiptoken" in seen else None
        ),
        inline_count=inline == "allpages",
        orderby=tuple(orderby),
        select=select,
    )
