"""Commerce search (commerce-api §10): queries, results with facets, facet links, providers.

`JcrSearchProvider` reads the candidates of a search with one repository query (every product
and variant node below the root, through `repo_server.query.engine`, so the caller's read
permissions apply), then matches text, applies the selected facets and counts facet values
over the whole result, not the page, with disjunctive counting: a facet's counts are computed
with every *other* facet applied, so choosing one colour still shows how many products the
other colours have.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol
from urllib.parse import quote_plus

from commerce import constants as C
from commerce.errors import QueryError
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.query import engine
from repo_server.query.model import Group, PathPredicate, PropertyPredicate, Query
from repo_server.session.session import ContentSession

FACET_PREFIX: Final = "facet_"
DEFAULT_PAGE_SIZE: Final = 20
TEXT_PROPERTIES: Final = (N.JCR_TITLE, "jcr:description", C.PN_IDENTIFIER, "summary")
SORTS: Final = (
    ("relevance", "Relevance"),
    ("name-asc", "Name (A-Z)"),
    ("name-desc", "Name (Z-A)"),
)

Params = Mapping[str, "str | Sequence[str]"]


@dataclass(frozen=True, slots=True)
class CommerceQuery:
    query_text: str = ""
    page: int = 0
    page_size: int | None = None
    sort_id: str | None = None
    facets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: Params) -> CommerceQuery:
        """`q`, `page` (int >= 0), `pagesize` (int >= 1), `sort`, `facet_<id>`; QueryError."""

        def values(name: str) -> list[str]:
            raw = params.get(name)
            if raw is None:
                return []
            return [raw] if isinstance(raw, str) else list(raw)

        def number(name: str, minimum: int) -> int | None:
            found = values(name)
            if not found:
                return None
            text = found[0].strip()
            if not text.isdigit() or int(text) < minimum:
                raise QueryError(f"{name} must be an integer of at least {minimum}", param=name)
            return int(text)

        facets: dict[str, tuple[str, ...]] = {}
        for name in params:
            if name.startswith(FACET_PREFIX) and len(name) > len(FACET_PREFIX):
                kept = tuple(dict.fromkeys(v for v in values(name) if v))
                if kept:
                    facets[name[len(FACET_PREFIX) :]] = kept
        sort = values("sort")
        return cls(
            query_text=(values("q") or [""])[0],
            page=number("page", 0) or 0,
            page_size=number("pagesize", 1),
            sort_id=sort[0] if sort and sort[0] else None,
            facets=facets,
        )

    def to_params(self) -> list[tuple[str, str]]:
        out = [("q", self.query_text)]
        if self.page > 0:
            out.append(("page", str(self.page)))
        if self.page_size is not None:
            out.append(("pagesize", str(self.page_size)))
        if self.sort_id is not None:
            out.append(("sort", self.sort_id))
        out.extend((FACET_PREFIX + fid, v) for fid, vals in self.facets.items() for v in vals)
        return out


@dataclass(frozen=True, slots=True)
class CommerceFacetValue:
    id: str
    display_name: str
    product_count: int = -1
    selected: bool = False


@dataclass(frozen=True, slots=True)
class CommerceFacet:
    id: str
    display_name: str
    multi_select: bool
    values: tuple[CommerceFacetValue, ...] = ()


@dataclass(frozen=True, slots=True)
class CommerceSort:
    id: str
    display_name: str
    selected: bool = False


@dataclass(frozen=True, slots=True)
class PaginationInfo:
    page_size: int
    current_page: int
    total_pages: int
    total_results: int

    @classmethod
    def of(cls, page_size: int, current_page: int, total_results: int) -> PaginationInfo:
        pages = max(1, math.ceil(total_results / page_size))
        return cls(page_size, current_page, pages, total_results)


@dataclass(frozen=True, slots=True)
class CommerceResult:
    products: tuple[Node, ...]
    facets: tuple[CommerceFacet, ...]
    sorts: tuple[CommerceSort, ...]
    pagination: PaginationInfo
    original_query: CommerceQuery
    actual_query: CommerceQuery | None = None


def _pair(facet_id: str, value: str) -> str:
    return f"{quote_plus(FACET_PREFIX + facet_id)}={quote_plus(value)}"


class FacetParamHelper:
    """Facet links of spec §10: one pair, or the selection with one value toggled."""

    @staticmethod
    def facet_params(facet_id: str, value_id: str) -> str:
        return _pair(facet_id, value_id)

    @staticmethod
    def toggle_facet_params(facets: Sequence[CommerceFacet], facet_id: str, value_id: str) -> str:
        selected: list[tuple[str, list[str]]] = [
            (f.id, [v.id for v in f.values if v.selected]) for f in facets
        ]
        target = next((f for f in facets if f.id == facet_id), None)
        if target is None:
            selected.append((facet_id, [value_id]))
        else:
            for fid, chosen in selected:
                if fid != facet_id:
                    continue
                if value_id in chosen:
                    chosen.remove(value_id)
                elif target.multi_select or not chosen:
                    chosen.append(value_id)
                else:
                    chosen[:] = [value_id]
        return "&".join(_pair(fid, v) for fid, chosen in selected for v in chosen)


class CommerceSearchProvider(Protocol):
    name: str

    async def search(self, query: CommerceQuery, session: ContentSession) -> CommerceResult: ...


class SearchProviderRegistry:
    """Search providers by name with a ranking; the best ranked serves unless one is named."""

    def __init__(self) -> None:
        self._providers: list[tuple[int, int, CommerceSearchProvider]] = []

    def register(self, provider: CommerceSearchProvider, *, ranking: int = 0) -> None:
        self._providers.append((ranking, -len(self._providers), provider))
        self._providers.sort(key=lambda item: (item[0], item[1]), reverse=True)

    def get(self, name: str | None = None) -> CommerceSearchProvider | None:
        for _, _, provider in self._providers:
            if name is None or provider.name == name:
                return provider
        return None


@dataclass(frozen=True, slots=True)
class FacetConfig:
    property: str
    label: str
    multi_select: bool = True


DEFAULT_FACETS: Final = {
    "color": FacetConfig("color", "Color"),
    "size": FacetConfig("size", "Size"),
    "category": FacetConfig("category", "Category", multi_select=False),
}


def _strings(node: Node, name: str) -> list[str]:
    prop = node.properties.get(name)
    return [str(v) for v in prop.values] if prop is not None else []


@dataclass
class _Candidate:
    product: Node
    text: str
    title: str
    values: dict[str, set[str]]


class JcrSearchProvider:
    """Searches the base products below `root` (see the module docstring)."""

    name = "jcr"

    def __init__(
        self,
        root: str,
        facets: Mapping[str, FacetConfig] | None = None,
        options: engine.QueryOptions | None = None,
    ) -> None:
        self.root = root
        self.facets = dict(DEFAULT_FACETS if facets is None else facets)
        self.options = options

    async def _candidates(self, session: ContentSession) -> list[_Candidate]:
        query = Query(
            Group(
                (
                    PathPredicate(self.root),
                    PropertyPredicate(C.PN_COMMERCE_TYPE, values=("product", "variant")),
                )
            ),
            limit=None,
        )
        found = await engine.execute(session, query, self.options)
        bases: dict[str, _Candidate] = {}
        variants: list[Node] = []
        for node in found.nodes:  # path order: a base comes before its variants
            if _strings(node, C.PN_COMMERCE_TYPE) == ["variant"]:
                variants.append(node)
                continue
            text = " ".join(v for n in TEXT_PROPERTIES for v in _strings(node, n))
            title = (_strings(node, N.JCR_TITLE) or [node.name])[0]
            values = {fid: set(_strings(node, cfg.property)) for fid, cfg in self.facets.items()}
            bases[node.path] = _Candidate(node, text.casefold(), title, values)
        for variant in variants:
            owner = next((bases[a] for a in P.ancestors(variant.path) if a in bases), None)
            if owner is not None:
                for fid, cfg in self.facets.items():
                    owner.values[fid].update(_strings(variant, cfg.property))
        return list(bases.values())

    async def search(self, query: CommerceQuery, session: ContentSession) -> CommerceResult:
        """Raises QueryError for an unknown sort or facet."""
        sort_id = query.sort_id or "relevance"
        if sort_id not in dict(SORTS):
            raise QueryError(f"unknown sort {sort_id!r}", sort=sort_id)
        for fid in query.facets:
            if fid not in self.facets:
                raise QueryError(f"unknown facet {fid!r}", facet=fid)
        tokens = [t.casefold() for t in query.query_text.split()]
        matched = [c for c in await self._candidates(session) if all(t in c.text for t in tokens)]

        def passes(c: _Candidate, skip: str | None = None) -> bool:
            return all(
                fid == skip or c.values[fid] & set(chosen) for fid, chosen in query.facets.items()
            )

        hits = [c for c in matched if passes(c)]
        facets = []
        for fid, cfg in self.facets.items():
            counts: dict[str, int] = {}
            for c in matched:
                if passes(c, skip=fid):
                    for value in c.values[fid]:
                        counts[value] = counts.get(value, 0) + 1
            chosen = query.facets.get(fid, ())
            for value in chosen:
                counts.setdefault(value, 0)
            values = tuple(CommerceFacetValue(v, v, counts[v], v in chosen) for v in sorted(counts))
            facets.append(CommerceFacet(fid, cfg.label, cfg.multi_select, values))
        _order(hits, sort_id, tokens)
        size = query.page_size or DEFAULT_PAGE_SIZE
        page = hits[query.page * size : (query.page + 1) * size]
        return CommerceResult(
            products=tuple(c.product for c in page),
            facets=tuple(facets),
            sorts=tuple(CommerceSort(sid, label, sid == sort_id) for sid, label in SORTS),
            pagination=PaginationInfo.of(size, query.page, len(hits)),
            original_query=query,
            actual_query=query,
        )


def _order(hits: list[_Candidate], sort_id: str, tokens: Iterable[str]) -> None:
    if sort_id == "relevance":
        terms = list(tokens)

        def score(c: _Candidate) -> tuple[int, str]:
            title = c.title.casefold()
            hits_ = sum(2 * title.count(t) + (c.text.count(t) - title.count(t)) for t in terms)
            return (-hits_, title)

        hits.sort(key=score)
    else:
        hits.sort(key=lambda c: c.title.casefold(), reverse=sort_id == "name-desc")
