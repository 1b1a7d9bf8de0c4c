"""Catalog versions over HTTP (issue 6): POST `:operation=commerce:sync|unsync` on product data,
`.product.json?catalogVersion=Staged|Online`, and the registration of the activation rules.

On publish the product data is the Online version (only sync ships it), so `.product.json`
reads it as it is, and anonymous visitors may read the data below the products root: the
pages they see need it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from commerce.activation import (
    ONLINE,
    STAGED,
    ActivationRules,
    CatalogLayout,
    CatalogVersions,
    OnlineFollower,
    OnlineRepoSession,
    parse_catalog_version,
)
from commerce.config import commerce_settings
from commerce.errors import (
    InvalidCatalogVersionError,
    NotAProductError,
    NotInCatalogVersionError,
)
from commerce.http.product import parse_filters, product_json
from commerce.http.render import json_bytes, json_response
from commerce.providers import ProviderRegistry, product_of, resolve_provider
from repo_server.errors import NodeNotFound
from repo_server.extensions import PluginContext, PostOperation, Renderer
from repo_server.http.keys import repository_key
from repo_server.model import path as P
from repo_server.security import privileges as PR
from repo_server.security.access import set_entry
from repo_server.security.acl import EVERYONE
from repo_server.security.manager import security_of
from repo_server.session.session import ContentSession, Repository

FOLDER = "sling:Folder"


def catalog_version_of(request: web.Request) -> str | None:
    raw = request.query.get("catalogVersion")
    try:
        return parse_catalog_version(raw)
    except ValueError:
        raise InvalidCatalogVersionError(
            f"catalogVersion must be {STAGED} or {ONLINE}, not {raw!r}", catalogVersion=raw
        ) from None


async def online_product_json(
    request: web.Request,
    session: ContentSession,
    path: str,
    registry: ProviderRegistry,
    layout: CatalogLayout,
) -> dict[str, Any]:
    """The `.product.json` body of `path` read in the Online version (author).

    NotInCatalogVersionError when the product data, or the data a reference needs, is not
    Online; NodeNotFound, NotAProductError as the Staged rendering.
    """
    filters = parse_filters(request.query.getall("filter", []))
    repo = OnlineRepoSession(session, layout)
    resource = await repo.get(path)
    if resource is None:
        if layout.is_data(path) and await session.exists(path):
            raise NotInCatalogVersionError(
                f"{path} is not in the {ONLINE} catalog version", path=path, catalogVersion=ONLINE
            )
        raise NodeNotFound(f"no node at {path}", path=path)
    resolution = await resolve_provider(resource, registry)
    service = await resolution.factory.get_commerce_service(resource)
    product = await product_of(resource, service)
    if product is None:
        raise NotAProductError(f"{path} is not a product", path=path)
    for node in product.chain:
        data = node.string("productData")
        if data and layout.is_data(data) and await repo.get(data) is None:
            raise NotInCatalogVersionError(
                f"the product data {data} of {path} is not in the {ONLINE} catalog version",
                path=path,
                product=data,
                catalogVersion=ONLINE,
            )
    return await product_json(product, resolution.name, filters)


def catalog_version_renderer(
    staged: Renderer, registry: ProviderRegistry, layout: CatalogLayout, role: str
) -> Renderer:
    """`.product.json` with `catalogVersion`: Staged (the default on author) is the existing
    renderer; Online reads the Online copy on author and the data as it is on publish, where
    asking for Staged is a 404 `not-in-catalog-version`."""

    async def render(
        request: web.Request, session: ContentSession, path: str, selectors: tuple[str, ...]
    ) -> web.StreamResponse:
        version = catalog_version_of(request)
        if role == "publish":
            if version == STAGED:
                raise NotInCatalogVersionError(
                    f"a publish instance serves the {ONLINE} catalog version only",
                    path=path,
                    catalogVersion=STAGED,
                )
            return await staged(request, session, path, selectors)
        if version != ONLINE:
            return await staged(request, session, path, selectors)
        body = await online_product_json(request, session, path, registry, layout)
        return json_response(json_bytes(body))

    return render


class ActivationBinding:
    """The per-instance state: the `CatalogVersions` of the app's repository, set on start."""

    def __init__(self, layout: CatalogLayout, role: str) -> None:
        self.layout = layout
        self.role = role
        self.follower = OnlineFollower(layout)
        self.versions: CatalogVersions | None = None

    def bind(self, repository: Repository) -> CatalogVersions:
        if self.versions is None or self.versions.repository is not repository:
            self.versions = CatalogVersions(repository, self.layout, self.role)
            self.follower.versions = self.versions
        return self.versions

    def operation(self, unsync: bool) -> PostOperation:
        async def run(
            request: web.Request, session: ContentSession, path: str, params: Any
        ) -> web.StreamResponse:
            del params
            versions = self.bind(request.app[repository_key])
            act = versions.unsync if unsync else versions.sync
            report = await act(session.user_id, path, session.access)
            return web.json_response(report.to_json())

        return run

    async def start(self, app: web.Application) -> None:
        repository = app[repository_key]
        self.bind(repository)
        if self.role == "publish":
            await allow_anonymous_reads(repository, self.layout.products_root)


async def allow_anonymous_reads(repository: Repository, root: str) -> None:
    """On publish, everyone reads the product data (the Online version, all that publish has):
    the pages anonymous visitors see render it (issue 6, Roles)."""
    session = repository.session("system")
    for folder in [*reversed(P.ancestors(root)), root]:
        if not await session.exists(folder):
            await session.add_node(folder, FOLDER)
    await session.save()
    manager = security_of(repository)
    await set_entry(manager, session, root, EVERYONE, PR.READ, 0)
    await session.save()
    manager.invalidate()


def register_activation(context: PluginContext, registry: ProviderRegistry) -> None:
    """Register the rules, the follower, `commerce:sync`/`unsync` and the `catalogVersion`
    parameter of `.product.json` (after the `.product.json` renderer is registered)."""
    settings = commerce_settings(context.settings)
    layout = CatalogLayout(products_root=settings.products_root)
    binding = ActivationBinding(layout, context.settings.role)
    context.add_replication_preprocessor(ActivationRules(layout), ranking=100)
    context.add_replication_listener(binding.follower)
    context.add_operation("commerce:sync", binding.operation(unsync=False))
    context.add_operation("commerce:unsync", binding.operation(unsync=True))
    staged = context.extensions.renderers.get(("product", "json"))
    if staged is not None:
        context.add_renderer(
            "product", "json", catalog_version_renderer(staged, registry, layout, binding.role)
        )
    context.on_startup(binding.start)
