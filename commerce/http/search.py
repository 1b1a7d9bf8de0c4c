"""GET `<path>.search.json`: commerce search over the products of the resource's catalog.

Parameters (spec §10): `q`, `page` (0-based), `pagesize` (-1: every hit on one page), `sort`,
`facet_<id>` (repeatable), and `locale` for the prices (default en_US). The products searched
are those of the resource's commerce provider below its catalog:

- a data node (a catalog or section folder, a product): its subtree, itself included;
- a page, page content or product reference: the deepest folder that holds every product its
  references (`productData` of the product-typed nodes below it) point into.

Answer: `{"products": [{"path", "sku", "title", "price"}], "facets": [{"id", "label",
"multiSelect", "values": [{"value", "count", "selected", "params"}]}], "sorts": [{"id",
"label", "selected"}], "total", "page", "pagesize", "pages"}`. `price` is money as the cart
renders it (`{"amount", "currency", "formatted"}`) or null; a facet value's `params` is the
query string that toggles it (FacetParamHelper, then `q`, `pagesize` and `sort` as asked).
Bad parameters are 400s: `invalid-page`, `invalid-pagesize`, `unknown-sort`, `unknown-facet`,
`invalid-search-text`, `invalid-fulltext`, `currency` (locale), `query-limit-exceeded`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote_plus

from aiohttp import web

from commerce import constants as C
from commerce.errors import CommerceError, PriceNotFoundError, UnsupportedOperationError
from commerce.http.cart import money_json
from commerce.http.render import json_response
from commerce.money import normalize_locale, product_unit_prices
from commerce.providers import ProviderRegistry, resolve_provider
from commerce.repo import Node, RepoSession
from commerce.search import CommerceQuery, CommerceResult, FacetParamHelper
from commerce.service import CommerceService
from repo_server.errors import NodeNotFound, NotFound
from repo_server.extensions import Renderer
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.query import engine
from repo_server.query.model import Group, PathPredicate, PropertyPredicate, Query
from repo_server.session.session import ContentSession


class NoCatalogError(CommerceError, NotFound):
    """A page whose content references no product: there is no catalog to search."""

    code = "no-catalog"


@runtime_checkable
class _Searchable(Protocol):
    async def search(self, query: CommerceQuery, *, root: str | None = None) -> CommerceResult: ...


def common_ancestor(paths: list[str]) -> str:
    """The deepest path that is `paths[0]`... or an ancestor of all of them."""
    parts = [p.strip("/").split("/") if p != P.ROOT else [] for p in paths]
    shared: list[str] = []
    for segments in zip(*parts, strict=False):
        if any(s != segments[0] for s in segments):
            break
        shared.append(segments[0])
    return "/" + "/".join(shared)


async def search_root(session: ContentSession, resource: Node) -> str:
    """The data path a search from `resource` covers (see the module docstring).

    Raises NoCatalogError for a page that references no product.
    """
    referencing = (
        resource.is_page
        or resource.primary_type == N.CQ_PAGE_CONTENT
        or C.PN_PRODUCT_DATA in resource.properties
    )
    if not referencing:
        return resource.path
    query = Query(
        Group(
            (
                PathPredicate(resource.path, include_self=True),
                PropertyPredicate(C.PN_COMMERCE_TYPE, values=("product",)),
                PropertyPredicate(C.PN_PRODUCT_DATA, "exists"),
            )
        ),
        limit=None,
    )
    found = await engine.execute(session, query)
    targets = []
    for node in found.nodes:
        prop = node.properties.get(C.PN_PRODUCT_DATA)
        value = str(prop.values[0]) if prop is not None and prop.values else ""
        try:
            targets.append(P.normalize(value))
        except Exception:
            continue
    if not targets:
        raise NoCatalogError(
            f"{resource.path} references no product (no {C.PN_PRODUCT_DATA} below it)",
            path=resource.path,
        )
    if len(targets) == 1:
        # One product: search the folder that holds it, not just the product.
        return P.parent(targets[0]) if targets[0] != P.ROOT else P.ROOT
    return common_ancestor(targets)


def _caller_params(query: CommerceQuery) -> str:
    pairs = []
    if query.query_text:
        pairs.append(("q", query.query_text))
    if query.page_size is not None:
        pairs.append(("pagesize", str(query.page_size)))
    if query.sort_id is not None:
        pairs.append(("sort", query.sort_id))
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)


async def _product_json(service: CommerceService, path: str, locale: str) -> dict[str, Any]:
    product = await service.get_product(path)
    if product is None:  # gone between the search and now, or unreadable
        return {"path": path, "sku": None, "title": None, "price": None}
    try:
        prices = product_unit_prices(product, locale)
    except PriceNotFoundError:
        prices = []
    first = next((p for p in prices if p.min_quantity == 1), prices[0] if prices else None)
    return {
        "path": product.path,
        "sku": product.sku,
        "title": product.title(),
        "price": money_json(first) if first is not None else None,
    }


def result_json(
    result: CommerceResult, query: CommerceQuery, products: list[dict[str, Any]]
) -> dict[str, Any]:
    tail = _caller_params(query)
    facets = []
    for facet in result.facets:
        values = []
        for value in facet.values:
            params = FacetParamHelper.toggle_facet_params(result.facets, facet.id, value.id)
            values.append(
                {
                    "value": value.id,
                    "count": value.product_count,
                    "selected": value.selected,
                    "params": "&".join(p for p in (params, tail) if p),
                }
            )
        facets.append(
            {
                "id": facet.id,
                "label": facet.display_name,
                "multiSelect": facet.multi_select,
                "values": values,
            }
        )
    info = result.pagination
    return {
        "products": products,
        "facets": facets,
        "sorts": [
            {"id": s.id, "label": s.display_name, "selected": s.selected} for s in result.sorts
        ],
        "total": info.total_results,
        "page": info.current_page,
        "pagesize": info.page_size,
        "pages": info.total_pages,
    }


def search_renderer(registry: ProviderRegistry) -> Renderer:
    async def render(
        request: web.Request, session: ContentSession, path: str, selectors: tuple[str, ...]
    ) -> web.StreamResponse:
        del selectors
        # Parse first: malformed parameters are the client's error whatever the resource is.
        params = {name: request.query.getall(name) for name in request.query}
        query = CommerceQuery.from_params(params)
        locale = normalize_locale(request.query.get("locale", "en_US"))
        resource = await RepoSession(session).get(path)
        if resource is None:
            raise NodeNotFound(f"no node at {path}", path=path)
        resolution = await resolve_provider(resource, registry)
        service = await resolution.factory.get_commerce_service(resource)
        if not isinstance(service, _Searchable):
            raise UnsupportedOperationError(
                f"provider {resolution.name!r} does not support search", provider=resolution.name
            )
        root = await search_root(session, resource)
        result = await service.search(query, root=root)
        products = [await _product_json(service, n.path, locale) for n in result.products]
        return json_response(result_json(result, query, products))

    return render
