"""Commerce search (commerce-api §10): queries, results with facets, facet links, providers.

`JcrSearchProvider` reads the base products below the search root with one repository query
(through `repo_server.query.engine`, so the caller's read permissions apply; the query text
narrows it through the full-text index), then their variants in one more store call, then
matches text, applies the selected facets and counts facet values over the whole result, not
the page, with disjunctive counting: a facet's counts are computed with every *other* facet
applied, so choosing one colour still shows how many products the other colours have.

Text matching: every whitespace-separated token of the query must occur, case-insensitively,
at the start of a word of `jcr:title`, `jcr:description`, `identifier` or `summary` ("shirt"
finds "T-Shirts", "hirt" does not). Word starts, not any substring, so that the full-text
index can narrow the candidates (an FTS5 prefix query finds a superset) and a search stays
cheap on a large catalog.

Default facets (no `facets` configuration): one multi-select facet per variant axis of the
matched products (`cq:productVariantAxes`, in order of appearance) and the single-select
`category`: the product's `category` property, else the path of its folder below the search
root (`men/shirts`).
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Final, Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import quote_plus

from commerce import constants as C
from commerce.errors import QueryError
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.query import engine
from repo_server.query import values as V
from repo_server.query.model import (
    FullTextPredicate,
    Group,
    PathPredicate,
    PropertyPredicate,
    Query,
)
from repo_server.services import ServiceRegistry
from repo_server.session.session import ContentSession

FACET_PREFIX: Final = "facet_"
DEFAULT_PAGE_SIZE: Final = 20
ALL: Final = -1  # page size: every hit on one page (QueryBuilder's p.limit=-1)
DEFAULT_ROOT: Final = "/etc/commerce/products"
CATEGORY: Final = "category"
TEXT_PROPERTIES: Final = (N.JCR_TITLE, "jcr:description", C.PN_IDENTIFIER, "summary")
SORTS: Final = (
    ("relevance", "Relevance"),
    ("name-asc", "Name (A-Z)"),
    ("name-desc", "Name (Z-A)"),
    ("price-asc", "Price (low to high)"),
    ("price-desc", "Price (high to low)"),
)
MAX_TOKENS: Final = 32
_NUMBER: Final = re.compile(r"-?[0-9]{1,9}")
_FACET_ID: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,99}")
_WORD: Final = re.compile(r"\w+")
_T = TypeVar("_T")
# Above this many matched products their variants are read with one query of the search root
# rather than one range read per product.
_SUBTREE_READS: Final = 500


class InvalidPageError(QueryError):
    code = "invalid-page"


class InvalidPageSizeError(QueryError):
    code = "invalid-pagesize"


class UnknownSortError(QueryError):
    code = "unknown-sort"


class UnknownFacetError(QueryError):
    code = "unknown-facet"


class InvalidSearchTextError(QueryError):
    code = "invalid-search-text"


Params = Mapping[str, "str | Sequence[str]"]


@dataclass(frozen=True, slots=True)
class CommerceQuery:
    query_text: str = ""
    page: int = 0
    page_size: int | None = None
    sort_id: str | None = None
    facets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def all_results(self) -> bool:
        return self.page_size == ALL

    @classmethod
    def from_params(cls, params: Params) -> CommerceQuery:
        """`q`, `page` (int >= 0), `pagesize` (int >= 1, or -1 for all), `sort`, `facet_<id>`.

        Raises QueryError (InvalidPageError, InvalidPageSizeError) for a malformed number.
        """

        def values(name: str) -> list[str]:
            raw = params.get(name)
            if raw is None:
                return []
            return [raw] if isinstance(raw, str) else list(raw)

        def number(name: str, error: type[QueryError], allow_all: bool) -> int | None:
            found = values(name)
            if not found:
                return None
            text = found[0].strip()
            value = int(text) if _NUMBER.fullmatch(text) else None
            minimum = 0 if name == "page" else 1
            if value is None or (value < minimum and not (allow_all and value == ALL)):
                wanted = f"an integer of at least {minimum}" + (" or -1 (all)" if allow_all else "")
                raise error(f"{name} must be {wanted}, not {text[:40]!r}", param=name)
            return value

        facets: dict[str, tuple[str, ...]] = {}
        for name in params:
            if name.startswith(FACET_PREFIX) and len(name) > len(FACET_PREFIX):
                kept = tuple(dict.fromkeys(v for v in values(name) if v))
                if kept:
                    facets[name[len(FACET_PREFIX) :]] = kept
        sort = values("sort")
        return cls(
            query_text=(values("q") or [""])[0],
            page=number("page", InvalidPageError, False) or 0,
            page_size=number("pagesize", InvalidPageSizeError, True),
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
        """`page_size` -1 (ALL): every result on one page."""
        if page_size == ALL:
            return cls(page_size, current_page, 1, total_results)
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


@runtime_checkable
class CommerceSearchProvider(Protocol):
    """The search integration hook (§10): a deployment registers another provider (Solr, a
    remote engine) with a higher ranking in `SearchProviderRegistry`."""

    name: str

    async def search(
        self, query: CommerceQuery, session: ContentSession, *, root: str | None = None
    ) -> CommerceResult: ...


# The registry keys services by interface class; the Protocol is only compared, never built.
_PROVIDER: Final[type[CommerceSearchProvider]] = CommerceSearchProvider  # type: ignore[type-abstract]


class SearchProviderRegistry:
    """Search providers by name with a ranking; the best ranked serves unless one is named.

    Backed by the repository's ServiceRegistry (interface `CommerceSearchProvider`, property
    `service.ranking`), so any plugin can register a provider there.
    """

    def __init__(self, services: ServiceRegistry | None = None) -> None:
        self.services = services or ServiceRegistry()

    def register(self, provider: CommerceSearchProvider, *, ranking: int = 0) -> None:
        self.services.register(
            _PROVIDER, provider, {C.SERVICE_RANKING: ranking, "searchProvider": provider.name}
        )

    def get(self, name: str | None = None) -> CommerceSearchProvider | None:
        if name is None:
            return self.services.get(_PROVIDER)
        return self.services.get(_PROVIDER, searchProvider=name)


@dataclass(frozen=True, slots=True)
class FacetConfig:
    property: str
    label: str
    multi_select: bool = True


def _strings(node: Node, name: str) -> list[str]:
    prop = node.properties.get(name)
    return [str(v) for v in prop.values] if prop is not None else []


def _price(node: Node) -> Decimal | None:
    """The base product's own `price` (for data products, the resolved min-quantity-1 UNIT
    price: a base product inherits from nothing above it)."""
    prop = node.properties.get("price")
    if prop is None or not prop.values:
        return None
    try:
        value = Decimal(str(prop.values[0]))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


@dataclass(slots=True)
class _Candidate:
    id: int
    path: str
    product: Node | None  # None: read when it lands on the page
    text: str
    title: str
    price: Decimal | None
    axes: tuple[str, ...]
    values: dict[str, set[str]]


# Facet id -> value -> indexes (into the matched candidates) of the products having the value.
_Postings = dict[str, dict[str, set[int]]]


def _candidate(node: Node, text: str = "") -> _Candidate:
    title = (_strings(node, N.JCR_TITLE) or [node.name])[0]
    return _Candidate(node.id, node.path, node, text, title, _price(node), _axes(node), {})


def _axes(node: Node) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(a.strip() for a in _strings(node, C.PN_PRODUCT_VARIANT_AXES) if a.strip())
    )


def _owner(path: str, by_path: Mapping[str, _T]) -> _T | None:
    """The nearest ancestor of `path` among the candidates (a variant's product), walking up
    only as far as needed: most variants sit right below their product."""
    while path != P.ROOT:
        path = P.parent(path)
        found = by_path.get(path)
        if found is not None:
            return found
    return None


def _folder(path: str, root: str) -> set[str]:
    parent = P.parent(path)
    if parent != root and P.is_ancestor(root, parent):
        return {parent[len(root) :].lstrip("/")}
    return set()


def _category(node: Node, root: str) -> set[str]:
    own = _strings(node, CATEGORY)
    return set(own) if own else _folder(node.path, root)


def _tokens(text: str) -> list[str]:
    tokens = [t.casefold() for t in text.split()]
    if len(tokens) > MAX_TOKENS:
        raise InvalidSearchTextError(f"a search may have at most {MAX_TOKENS} words")
    return tokens


def _token_patterns(tokens: Sequence[str]) -> list[re.Pattern[str]]:
    return [re.compile(r"(?<!\w)" + re.escape(t)) for t in tokens]


class JcrSearchProvider:
    """Searches the base products below a root (see the module docstring)."""

    name = "jcr"

    def __init__(
        self,
        root: str | None = None,
        facets: Mapping[str, FacetConfig] | None = None,
        options: engine.QueryOptions | None = None,
    ) -> None:
        self.root = root or DEFAULT_ROOT
        self.facets = None if facets is None else dict(facets)
        self.options = options

    async def _bases(self, session: ContentSession, root: str, tokens: Sequence[str]) -> list[Node]:
        preds: list[PathPredicate | PropertyPredicate | FullTextPredicate] = [
            PathPredicate(root, include_self=True),
            PropertyPredicate(C.PN_COMMERCE_TYPE, values=("product",)),
        ]
        words = [w for t in tokens for w in _WORD.findall(t)]
        if words:
            # Each word as a prefix: a superset of "the token starts a word" (checked later).
            preds.append(FullTextPredicate(" ".join(f"{w}*" for w in dict.fromkeys(words))))
        found = await engine.execute(session, Query(Group(tuple(preds)), limit=None), self.options)
        return found.nodes

    async def _variants(
        self, session: ContentSession, root: str, bases: Sequence[Node]
    ) -> list[Node]:
        variant = PropertyPredicate(C.PN_COMMERCE_TYPE, values=("variant",))
        if not bases:
            return []
        if len(bases) <= _SUBTREE_READS:
            return await engine.descendants(
                session, [b.path for b in bases], Group((variant,)), self.options
            )
        query = Query(Group((PathPredicate(root), variant)), limit=None)
        return (await engine.execute(session, query, self.options)).nodes

    def _facet_configs(self, matched: Sequence[_Candidate]) -> dict[str, FacetConfig]:
        if self.facets is not None:
            return self.facets
        out: dict[str, FacetConfig] = {}
        for c in matched:
            for axis in c.axes:
                if axis not in out and axis != CATEGORY:
                    out[axis] = FacetConfig(axis, axis[:1].upper() + axis[1:])
        out[CATEGORY] = FacetConfig(CATEGORY, "Category", multi_select=False)
        return out

    async def search(
        self, query: CommerceQuery, session: ContentSession, *, root: str | None = None
    ) -> CommerceResult:
        """Search below `root` (default: the provider's root).

        Raises QueryError: UnknownSortError, UnknownFacetError, InvalidSearchTextError; and the
        query engine's errors (QueryLimitExceeded for a catalog too large to scan unindexed).
        """
        root = root or self.root
        sort_id = query.sort_id or "relevance"
        if sort_id not in dict(SORTS):
            raise UnknownSortError(
                f"unknown sort {sort_id[:60]!r} (sorts: {', '.join(s for s, _ in SORTS)})",
                sort=sort_id[:60],
            )
        for fid in query.facets:
            known = self.facets is None or fid in self.facets
            if not known or not _FACET_ID.fullmatch(fid):
                raise UnknownFacetError(f"unknown facet {fid[:60]!r}", facet=fid[:60])
        tokens = _tokens(query.query_text)
        browsed = None if tokens else await self._browse(session, root, query, sort_id)
        if browsed is None:
            browsed = await self._scan(session, root, query, tokens)
        matched, configs, postings = browsed
        return await self._result(session, query, sort_id, tokens, matched, configs, postings)

    def _configs(
        self, query: CommerceQuery, matched: Sequence[_Candidate]
    ) -> dict[str, FacetConfig]:
        configs = dict(self._facet_configs(matched))
        for fid in query.facets:  # a selected facet the matched products lack: no value counts
            configs.setdefault(fid, FacetConfig(fid, fid[:1].upper() + fid[1:]))
        return configs

    async def _scan(
        self, session: ContentSession, root: str, query: CommerceQuery, tokens: Sequence[str]
    ) -> tuple[list[_Candidate], dict[str, FacetConfig], _Postings]:
        """Read and decode the matching products and their variants (a text search)."""
        patterns = _token_patterns(tokens)
        bases = [
            b
            for b in await self._bases(session, root, tokens)
            if b.properties.get(C.PN_PRODUCT_DATA) is None
        ]
        matched: list[_Candidate] = []
        for node in bases:
            text = "\n".join(v for n in TEXT_PROPERTIES for v in _strings(node, n)).casefold()
            if all(p.search(text) for p in patterns):
                matched.append(_candidate(node, text))
        configs = self._configs(query, matched)
        by_path = {c.path: c for c in matched}
        for c in matched:
            assert c.product is not None
            for fid, cfg in configs.items():
                if cfg.property == CATEGORY and self.facets is None:
                    c.values[fid] = _category(c.product, root)
                else:
                    c.values[fid] = set(_strings(c.product, cfg.property))
        products = [c.product for c in matched if c.product is not None]
        for variant in await self._variants(session, root, products):
            owner = _owner(variant.path, by_path)
            if owner is None:
                continue
            for fid, cfg in configs.items():
                if cfg.property != CATEGORY:
                    owner.values[fid].update(_strings(variant, cfg.property))
        postings: _Postings = {fid: {} for fid in configs}
        for i, c in enumerate(matched):
            for fid, found in c.values.items():
                for value in found:
                    postings[fid].setdefault(value, set()).add(i)
        return matched, configs, postings

    async def _browse(
        self, session: ContentSession, root: str, query: CommerceQuery, sort_id: str
    ) -> tuple[list[_Candidate], dict[str, FacetConfig], _Postings] | None:
        """A search without text from the property indexes alone: products, titles, prices and
        facet values come from `prop_index` entries (`engine.index_scan`); a node is decoded
        only when its index key is lossy, to learn the order of a product's variant axes, and
        for the page returned. None when a property it needs has no usable index (the caller
        then reads and decodes the nodes, which the read limit bounds)."""
        # The products below the root, checked (read access, the root's range); the other
        # properties' entries unchecked: only those of these products count.
        scans = [engine.IndexScan(C.PN_COMMERCE_TYPE, keys=(_key("product"),))]
        entries = [C.PN_PRODUCT_DATA, N.JCR_TITLE]
        pricing = sort_id.startswith("price")
        if pricing:
            entries.append("price")
        if self.facets is None:
            entries.append(C.PN_PRODUCT_VARIANT_AXES)
        found = await engine.index_scan(session, root, scans, entries)
        if found is None:
            return None
        (products,), by_key = found
        references = {node_id for ids in by_key[0].values() for node_id in ids}
        paths = {r.node_id: r.path for r in products if r.node_id not in references}
        ids = sorted(paths, key=paths.__getitem__)
        position = {node_id: i for i, node_id in enumerate(ids)}
        titles, reread = _single_values(by_key[1], position, V.exact_string)
        prices: dict[int, float] = {}
        if pricing:
            prices, unpriced = _single_values(by_key[2], position, V.number_of_key)
            reread |= unpriced
        matched: list[_Candidate] = []
        for node_id in ids:
            path = paths[node_id]
            title = titles.get(node_id)
            if title is None:
                title = P.name(path)
            number = prices.get(node_id)
            price = Decimal(repr(number)) if number is not None else None
            matched.append(_Candidate(node_id, path, None, "", title, price, (), {}))
        representatives: set[int] = set()
        if self.facets is None:
            # The axes in order of appearance: only the first product (by path) with each
            # axis value can add one, so only those are read.
            for axis_ids in by_key[-1].values():
                first = min((position[i] for i in axis_ids if i in position), default=None)
                if first is not None:
                    representatives.add(ids[first])
        nodes = await engine.nodes_by_id(session, sorted(reread | representatives), self.options)
        for node_id, node in nodes.items():
            c = matched[position[node_id]]
            if node_id in reread:
                c.title = (_strings(node, N.JCR_TITLE) or [node.name])[0]
                c.price = _price(node)
            c.axes = _axes(node)
        configs = self._configs(query, matched)
        postings = await self._index_postings(session, root, configs, paths, position)
        return None if postings is None else (matched, configs, postings)

    async def _index_postings(
        self,
        session: ContentSession,
        root: str,
        configs: Mapping[str, FacetConfig],
        paths: Mapping[int, str],
        position: Mapping[int, int],
    ) -> _Postings | None:
        properties = list(dict.fromkeys(cfg.property for cfg in configs.values()))
        # The variants below the root, checked (read access, the root's range); each facet
        # property's entries unchecked: only those of the matched products and of these
        # variants count.
        scans = [engine.IndexScan(C.PN_COMMERCE_TYPE, keys=(_key("variant"),))]
        found = await engine.index_scan(session, root, scans, properties)
        if found is None:
            return None
        (variants,), by_key = found
        by_path = {path: position[node_id] for node_id, path in paths.items()}
        # Variant id -> the matched product whose facet values it adds to (see `_scan`).
        owners: dict[int, int] = {}
        for row in variants:
            parent_id = row.parent_id
            owner = position.get(parent_id) if parent_id is not None else None
            if owner is None:  # most variants sit right below their product; nested ones not
                owner = _owner(row.path, by_path)
            if owner is not None:
                owners[row.node_id] = owner
        values: dict[str, dict[str, set[int]]] = {}
        lossy: list[tuple[str, int, int]] = []  # (property, owner, node id)
        # Node id -> the matched product it adds its values to: products add their own, variants
        # theirs to their product's, except a category (products only).
        of_all = {**owners, **position}
        for name, groups in zip(properties, by_key, strict=True):
            out = values[name] = {}
            owner_of = (position if name == CATEGORY else of_all).get
            for key, node_ids in groups.items():
                found_owners = set(map(owner_of, node_ids))  # ids of other nodes map to None
                found_owners.discard(None)
                if not found_owners:
                    continue
                text = V.exact_string(key)
                if text is None:
                    for node_id in node_ids:
                        owner = owner_of(node_id)
                        if owner is not None:
                            lossy.append((name, owner, node_id))
                else:
                    out.setdefault(text, set()).update(cast("set[int]", found_owners))
        if lossy:
            nodes = await engine.nodes_by_id(
                session, sorted({n for _, _, n in lossy}), self.options
            )
            for name, owner, node_id in lossy:
                node = nodes.get(node_id)
                for text in _strings(node, name) if node is not None else []:
                    values[name].setdefault(text, set()).add(owner)
        postings: _Postings = {}
        for fid, cfg in configs.items():
            found_values = values[cfg.property]
            if cfg.property == CATEGORY and self.facets is None:
                own = set().union(*found_values.values()) if found_values else set()
                table = {v: set(s) for v, s in found_values.items()}
                by_parent: dict[str, set[str]] = {}  # products share their folders
                for path, i in by_path.items():
                    if i not in own:
                        parent = P.parent(path)
                        folders = by_parent.get(parent)
                        if folders is None:
                            folders = by_parent[parent] = _folder(path, root)
                        for folder in folders:
                            table.setdefault(folder, set()).add(i)
                postings[fid] = table
            else:
                postings[fid] = found_values
        return postings

    async def _result(
        self,
        session: ContentSession,
        query: CommerceQuery,
        sort_id: str,
        tokens: Sequence[str],
        matched: list[_Candidate],
        configs: Mapping[str, FacetConfig],
        postings: _Postings,
    ) -> CommerceResult:
        # Disjunctive counting with sets of candidate indexes: a facet's counts apply every
        # *other* facet's selection (OR within a facet, AND across facets).
        passing = {
            fid: set().union(*(postings.get(fid, {}).get(v, set()) for v in chosen))
            for fid, chosen in query.facets.items()
        }

        def base(skip: str | None) -> set[int] | None:
            """The candidates passing every selection but `skip`'s (None: all of them)."""
            out: set[int] | None = None
            for fid, ids in passing.items():
                if fid != skip:
                    out = set(ids) if out is None else out & ids
            return out

        everything = base(None)
        hits = matched if everything is None else [matched[i] for i in sorted(everything)]
        facets = []
        for fid, cfg in configs.items():
            allowed = base(fid)
            counts: dict[str, int] = {}
            for value, ids in postings.get(fid, {}).items():
                count = len(ids) if allowed is None else len(ids & allowed)
                if count:
                    counts[value] = count
            chosen = query.facets.get(fid, ())
            for value in chosen:
                counts.setdefault(value, 0)
            values = tuple(CommerceFacetValue(v, v, counts[v], v in chosen) for v in sorted(counts))
            facets.append(CommerceFacet(fid, cfg.label, cfg.multi_select, values))
        if query.all_results:
            size = ALL
            page = _order(hits, sort_id, tokens, None) if query.page == 0 else []
        else:
            size = query.page_size or DEFAULT_PAGE_SIZE
            start = query.page * size
            page = _order(hits, sort_id, tokens, start + size)[start:] if start < len(hits) else []
        missing = [c.id for c in page if c.product is None]
        nodes = await engine.nodes_by_id(session, missing, self.options) if missing else {}
        products = []
        for c in page:
            node = c.product if c.product is not None else nodes.get(c.id)
            if node is not None:  # None: removed or hidden since the index was read
                products.append(node)
        return CommerceResult(
            products=tuple(products),
            facets=tuple(facets),
            sorts=tuple(CommerceSort(sid, label, sid == sort_id) for sid, label in SORTS),
            pagination=PaginationInfo.of(size, query.page, len(hits)),
            original_query=query,
            actual_query=query,
        )


def _key(text: str) -> bytes:
    return V.literal_keys(text)[0]  # the STRING key: index keys of a string value


def _single_values(
    groups: engine.IndexEntries,
    position: Mapping[int, int],
    decode: Callable[[bytes], _T | None],
) -> tuple[dict[int, _T], set[int]]:
    """Each matched product's one value in an index (a title, a price), decoded from its key
    once per key; and the products whose value the index cannot tell (several values, or a key
    `decode` cannot read back: cut short, or of another type), which the caller reads."""
    values: dict[int, _T] = {}
    unclear: set[int] = set()
    for key, node_ids in groups.items():
        value = decode(key)
        for node_id in node_ids:
            if node_id not in position:
                continue
            if value is None or node_id in values:
                unclear.add(node_id)
            else:
                values[node_id] = value
    for node_id in unclear:
        values.pop(node_id, None)
    return values, unclear


def _order(
    hits: Sequence[_Candidate], sort_id: str, tokens: Iterable[str], end: int | None
) -> list[_Candidate]:
    """The first `end` hits (None: all) in the sort's order. Every key ends with the path, so
    no two hits tie and the first `end` are those a full sort would give."""
    key: Callable[[_Candidate], tuple[object, ...]]
    if sort_id == "relevance":
        terms = list(tokens)

        def key(c: _Candidate) -> tuple[object, ...]:
            title = c.title.casefold()
            hits_ = sum(2 * title.count(t) + (c.text.count(t) - title.count(t)) for t in terms)
            return (-hits_, title, c.path)

    elif sort_id in ("price-asc", "price-desc"):
        # Unpriced products last in both directions; equal prices by title.
        sign = -1 if sort_id == "price-desc" else 1

        def key(c: _Candidate) -> tuple[object, ...]:
            if c.price is None:
                return (1, 0, c.title.casefold(), c.path)
            return (0, sign * c.price, c.title.casefold(), c.path)

    else:

        def key(c: _Candidate) -> tuple[object, ...]:
            return (c.title.casefold(), c.path)

        if sort_id == "name-desc":
            if end is None:
                return sorted(hits, key=key, reverse=True)
            return heapq.nlargest(end, hits, key=key)
    if end is None:
        return sorted(hits, key=key)
    return heapq.nsmallest(end, hits, key=key)


SEARCH_INDEX_PROPERTIES: Final = (
    C.PN_COMMERCE_TYPE,
    C.PN_PRODUCT_DATA,
    C.PN_PRODUCT_VARIANT_AXES,
    N.JCR_TITLE,
    "price",
    CATEGORY,
)


async def declare_search_indexes(
    session: ContentSession, axes: Iterable[str] = ("color", "size"), *, save: bool = True
) -> list[str]:
    """Declare the property indexes a search without text needs to answer from the indexes
    alone (`JcrSearchProvider._browse`): `SEARCH_INDEX_PROPERTIES` and each facet property
    (`axes`: the catalog's variant axes, or the configured facets' properties). Existing
    definitions are kept. Returns the paths of the definitions added."""
    index_root = "/oak:index"
    if not await session.exists(index_root):
        await session.add_node(index_root, "nt:unstructured")
    added = []
    for name in dict.fromkeys((*SEARCH_INDEX_PROPERTIES, *axes)):
        path = f"{index_root}/commerceSearch-{name.replace(':', '-')}"
        if await session.exists(path):
            continue
        await session.add_node(
            path,
            "oak:QueryIndexDefinition",
            properties={"type": "property", "propertyNames": [name]},
        )
        added.append(path)
    if save and added:
        await session.save()
    return added
