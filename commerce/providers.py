"""Commerce providers (commerce-api §2): ranked factories, `cq:commerceProvider` resolution and
the `adaptTo(Product)` equivalent.

Factories live in the repository's `ServiceRegistry` under the service property
`commerceProvider` with a `service.ranking`, as the OSGi services did, so other plugins can
register providers the same way; `ProviderRegistry` is the typed view of those registrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

from commerce import constants as C
from commerce.errors import ProviderNotFoundError
from commerce.product import Product, find_page_product
from commerce.repo import Node
from commerce.service import CommerceService
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.services import ServiceReference, ServiceRegistry


@runtime_checkable
class CommerceServiceFactory(Protocol):
    name: str
    label: str | None

    async def get_commerce_service(self, resource: Node) -> CommerceService: ...


# The registry keys services by interface class; a Protocol is abstract for mypy, but as a key
# it is only compared, never instantiated.
_FACTORY: Final[type[CommerceServiceFactory]] = CommerceServiceFactory  # type: ignore[type-abstract]


@dataclass(frozen=True, slots=True)
class ProviderResolution:
    """Which factory serves a resource, and why."""

    name: str
    factory: CommerceServiceFactory
    ranking: int
    source: str | None  # the node that carried cq:commerceProvider; None: highest ranking


class ProviderRegistry:
    """The commerce factories registered in a `ServiceRegistry`, by name and ranking."""

    def __init__(self, services: ServiceRegistry | None = None) -> None:
        self.services = services or ServiceRegistry()

    def register(self, factory: CommerceServiceFactory, *, ranking: int = 0) -> None:
        self.services.register(
            _FACTORY,
            factory,
            {C.SERVICE_PROVIDER_PROPERTY: factory.name, C.SERVICE_RANKING: ranking},
        )

    def unregister(self, name: str) -> None:
        for ref in self._refs(name):
            self.services.unregister(ref)

    def _refs(self, name: str | None = None) -> list[ServiceReference[CommerceServiceFactory]]:
        if name is None:
            return self.services.references(_FACTORY)
        return self.services.references(_FACTORY, **{C.SERVICE_PROVIDER_PROPERTY: name})

    def get(self, name: str) -> CommerceServiceFactory | None:
        refs = self._refs(name)
        return refs[0].service if refs else None

    def names(self) -> list[str]:
        """Provider names, best ranked first."""
        return list(dict.fromkeys(r.service.name for r in self._refs()))

    def select(self, name: str | None) -> tuple[CommerceServiceFactory, int] | None:
        """The factory named `name` (None: the highest ranked) with its ranking."""
        refs = self._refs(name)
        return (refs[0].service, refs[0].ranking) if refs else None


async def resolve_provider(resource: Node, registry: ProviderRegistry) -> ProviderResolution:
    """Find the factory for `resource` (§2): the first `cq:commerceProvider` on the resource or
    an ancestor (a `cq:Page`'s `jcr:content` counting for the page), else the highest ranked.

    All candidate nodes come in one store query. Raises ProviderNotFoundError when the name has
    no factory, or when no factory is registered at all.
    """
    chain = [resource.path, *P.ancestors(resource.path)]
    # The `image` children ride along: loading the resource's product needs exactly this
    # lineage with them next, and one query then serves both.
    found = await resource.session.nodes(
        [k for a in chain for k in (a, P.join(a, N.JCR_CONTENT), P.join(a, C.NN_IMAGE))]
    )
    name: str | None = None
    source: str | None = None
    for path in chain:
        node = found.get(path)
        if node is None:
            continue
        candidates = [node]
        if node.is_page and (content := found.get(P.join(path, N.JCR_CONTENT))) is not None:
            candidates.append(content)
        for candidate in candidates:
            value = candidate.string(C.PN_COMMERCE_PROVIDER)
            if value is not None:
                name, source = value, candidate.path
                break
        if name is not None:
            break
    selected = registry.select(name)
    if selected is None:
        if name is None:
            raise ProviderNotFoundError(
                f"no commerce provider is registered (for {resource.path})", path=resource.path
            )
        raise ProviderNotFoundError(
            f"commerce provider {name!r} is not available: no factory is registered under that "
            f"name ({C.PN_COMMERCE_PROVIDER} on {source})",
            provider=name,
            source=source,
            path=resource.path,
        )
    factory, ranking = selected
    return ProviderResolution(factory.name, factory, ranking, source)


async def resolve_service(resource: Node, registry: ProviderRegistry) -> CommerceService:
    """The commerce service for `resource`; ProviderNotFoundError as `resolve_provider`."""
    resolution = await resolve_provider(resource, registry)
    return await resolution.factory.get_commerce_service(resource)


async def adapt_to_product(resource: Node, registry: ProviderRegistry) -> Product | None:
    """The product `resource` stands for: itself when product-typed, or the first product in a
    page's content for a page (or its `jcr:content`); None otherwise.

    The service is resolved from the resource, as AEM's adapter did. Raises
    ProviderNotFoundError, ProductStructureError.
    """
    return await product_of(resource, await resolve_service(resource, registry))


async def product_of(resource: Node, service: CommerceService) -> Product | None:
    """`adapt_to_product` with the service already resolved."""
    target: Node | None = resource
    if resource.is_page or resource.primary_type == N.CQ_PAGE_CONTENT:
        target = await find_page_product(resource.session, resource)
    return None if target is None else await service.get_product(target.path)
