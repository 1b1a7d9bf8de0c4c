"""CommerceService (commerce-api §4) and the generic JCR service that reads products from the
repository, registered as `jcr` and, as AEM's Geometrixx did, as `geometrixx`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from commerce import constants as C
from commerce.errors import UnsupportedOperationError
from commerce.product import Product, ProductLoader, ProductOptions
from commerce.repo import Node, RepoSession

if TYPE_CHECKING:
    from commerce.search import CommerceQuery, CommerceResult, SearchProviderRegistry


@runtime_checkable
class CommerceService(Protocol):
    """What a provider offers for one resource's session.

    Sessions, carts and orders (`login`, #5), search (#7) and rollout hooks (#8) join this
    protocol with their issues.
    """

    name: str
    server: str | None
    context: dict[str, Any]

    async def is_available(self, service_type: str = C.SERVICE_COMMERCE) -> bool: ...

    async def get_product(self, path: str) -> Product | None: ...

    async def require_product(self, path: str) -> Product: ...

    async def get_product_collection(self, path_or_id: str) -> Any: ...

    def order_predicates(self) -> tuple[str, ...]: ...


class JcrCommerceService:
    """The generic provider: product data and references are nodes of the repository."""

    def __init__(
        self,
        name: str,
        repo: RepoSession,
        options: ProductOptions | None = None,
        search_providers: SearchProviderRegistry | None = None,
    ) -> None:
        self.name = name
        self.repo = repo
        self.loader = ProductLoader(repo, options)
        self.search_providers = search_providers
        self.server: str | None = None
        # Forwarded to remote engines by engine-backed providers; never persisted (§4).
        self.context: dict[str, Any] = {}

    async def is_available(self, service_type: str = C.SERVICE_COMMERCE) -> bool:
        del service_type  # the repository is the engine: available whenever we run
        return True

    async def get_product(self, path: str) -> Product | None:
        """The product at `path`; None when the path is missing or not product-typed.

        Raises ProductStructureError for a `productData` cycle.
        """
        return await self.loader.load(path)

    async def require_product(self, path: str) -> Product:
        """Like `get_product`, but a missing product raises LookupError."""
        return await self.loader.require(path)

    async def get_product_collection(self, path_or_id: str) -> Any:
        raise UnsupportedOperationError(
            "product collections are not supported", provider=self.name, path=path_or_id
        )

    def order_predicates(self) -> tuple[str, ...]:
        return (C.OPEN_ORDERS_PREDICATE,)

    async def search(self, query: CommerceQuery, *, root: str | None = None) -> CommerceResult:
        """Search the products below `root` (default: the provider's root) with the best
        ranked search provider (§10). Raises UnsupportedOperationError when none is
        configured, QueryError for bad parameters.
        """
        provider = self.search_providers.get() if self.search_providers is not None else None
        if provider is None:
            raise UnsupportedOperationError(
                "search is not supported: no search provider is configured", provider=self.name
            )
        return await provider.search(query, self.repo.content, root=root)

    @staticmethod
    def serialize_cart_entry(
        path: str, quantity: int, props: Mapping[str, str] | None = None
    ) -> str:
        """AEM's cart entry string `path;qty;k=v\\fk=v`."""
        tail = "\f".join(f"{k}={v}" for k, v in (props or {}).items())
        return f"{path};{quantity};{tail}"

    @staticmethod
    def deserialize_cart_entry(text: str) -> tuple[str, int, dict[str, str]]:
        """The inverse of `serialize_cart_entry`; a value is split at its first `=`.

        Raises ValueError for a string that is not in that format.
        """
        path, quantity, tail = text.split(";", 2)
        props: dict[str, str] = {}
        for item in tail.split("\f") if tail else ():
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"cart entry property {item!r} has no '='")
            props[key] = value
        return path, int(quantity), props


class JcrCommerceServiceFactory:
    """Makes a `JcrCommerceService` for the session a resource was read with."""

    def __init__(
        self,
        name: str,
        options: ProductOptions | None = None,
        label: str | None = None,
        search_providers: SearchProviderRegistry | None = None,
    ) -> None:
        self.name = name
        self.label = label
        self.options = options or ProductOptions()
        self.search_providers = search_providers

    async def get_commerce_service(self, resource: Node) -> JcrCommerceService:
        return JcrCommerceService(self.name, resource.session, self.options, self.search_providers)
