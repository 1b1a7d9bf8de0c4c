"""The `repo_server.plugins` entry point: commerce providers, node types and renderings."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

from commerce.config import commerce_settings
from commerce.http.cart import register_session
from commerce.http.catalog_versions import register_activation
from commerce.http.import_http import register_import
from commerce.http.product import commerce_renderer, product_renderer
from commerce.http.search import search_renderer
from commerce.product import ProductOptions
from commerce.providers import ProviderRegistry
from commerce.search import JcrSearchProvider, SearchProviderRegistry, declare_search_indexes
from commerce.service import JcrCommerceServiceFactory
from repo_server.extensions import PluginContext
from repo_server.http.keys import repository_key

if TYPE_CHECKING:
    from aiohttp import web


def register(context: PluginContext) -> None:
    """Register the generic JCR provider under each configured name (`jcr`, `geometrixx`), the
    `cq:Commerce` mixin and the `.product.json` / `.commerce.json` renderings.

    No factory is registered as `hybris`: until the engine connector lands, content under a
    `hybris` provider gets ProviderNotFoundError (503 `provider-unavailable`), as issue 4 says.
    """
    settings = commerce_settings(context.settings)
    registry = ProviderRegistry(context.services)
    options = ProductOptions(
        sku_property=settings.sku_property, inherit_from_folders=settings.inherit_from_folders
    )
    # The search hook (§10): another plugin registers a better ranked CommerceSearchProvider in
    # the same ServiceRegistry to replace the stock one.
    search = SearchProviderRegistry(context.services)
    search.register(JcrSearchProvider(), ranking=0)
    for name in settings.providers:
        registry.register(
            JcrCommerceServiceFactory(name, options, search_providers=search),
            ranking=settings.jcr_ranking,
        )
    context.add_node_types(files("commerce").joinpath("commerce.cnd").read_text("utf-8"))
    context.add_renderer("product", "json", product_renderer(registry, settings.render_cache))
    context.add_renderer("commerce", "json", commerce_renderer(registry))
    context.add_renderer("search", "json", search_renderer(registry))
    register_session(context, registry)
    # After `.product.json`: it adds `catalogVersion` to it (issue 6).
    register_activation(context, registry)
    register_import(context)  # catalog import, polling, rollout (issue 8)

    async def declare_indexes(app: web.Application) -> None:
        # A search without text answers from property indexes (issue 7); declaring them is
        # idempotent, and a new definition indexes the existing content in its commit.
        await declare_search_indexes(app[repository_key].session("system"))

    context.on_startup(declare_indexes)
