"""Provider registry and `cq:commerceProvider` resolution (commerce-api §2, issue 4)."""

from __future__ import annotations

import pytest

from commerce.errors import ProviderNotFoundError
from commerce.providers import (
    CommerceServiceFactory,
    ProviderRegistry,
    adapt_to_product,
    resolve_provider,
    resolve_service,
)
from commerce.repo import RepoSession
from commerce.service import JcrCommerceService, JcrCommerceServiceFactory
from repo_server.errors import RepoError
from repo_server.extensions import Extensions
from repo_server.services import ServiceRegistry
from repo_server.session.session import ContentSession

from .commerce_support import HYBRIS_EXAMPLE, JCR_EXAMPLE, StoreReads, node


async def test_the_plugin_registers_the_jcr_provider_as_jcr_and_geometrixx(
    registry: ProviderRegistry,
) -> None:
    assert registry.names() == ["jcr", "geometrixx"]
    assert isinstance(registry.get("jcr"), JcrCommerceServiceFactory)
    assert isinstance(registry.get("geometrixx"), JcrCommerceServiceFactory)
    assert registry.get("hybris") is None


async def test_factories_are_services_of_the_repository_registry(
    extensions: Extensions,
) -> None:
    refs = extensions.services.references(CommerceServiceFactory)  # type: ignore[type-abstract]
    assert [r.properties["commerceProvider"] for r in refs] == ["jcr", "geometrixx"]
    assert all("service.ranking" in r.properties for r in refs)


async def test_provider_is_selected_by_the_property_on_the_resource(
    repo: RepoSession, registry: ProviderRegistry
) -> None:
    resolution = await resolve_provider(await node(repo, JCR_EXAMPLE), registry)
    assert (resolution.name, resolution.source) == ("jcr", JCR_EXAMPLE)


async def test_provider_is_selected_by_an_ancestor(
    repo: RepoSession, registry: ProviderRegistry
) -> None:
    shirt = await node(repo, f"{JCR_EXAMPLE}/adobe-logo-shirt_XL")
    resolution = await resolve_provider(shirt, registry)
    assert (resolution.name, resolution.source) == ("jcr", JCR_EXAMPLE)
    service = await resolve_service(shirt, registry)
    assert isinstance(service, JcrCommerceService)
    assert service.name == "jcr"


async def test_a_page_s_jcr_content_counts_for_the_page(
    repo: RepoSession, registry: ProviderRegistry
) -> None:
    ref = await node(repo, "/content/big-and-tall/en/shirts/jcr:content/par/shirt")
    resolution = await resolve_provider(ref, registry)
    assert resolution.source == "/content/big-and-tall/jcr:content"
    page = await node(repo, "/content/big-and-tall")
    assert (await resolve_provider(page, registry)).source == "/content/big-and-tall/jcr:content"


async def test_the_nearest_value_wins(examples: ContentSession, registry: ProviderRegistry) -> None:
    await examples.set_property(
        f"{JCR_EXAMPLE}/adobe-logo-shirt", "cq:commerceProvider", "geometrixx"
    )
    await examples.save()
    repo = RepoSession(examples)
    own = await resolve_provider(await node(repo, f"{JCR_EXAMPLE}/adobe-logo-shirt"), registry)
    sibling = await resolve_provider(
        await node(repo, f"{JCR_EXAMPLE}/adobe-logo-shirt_S"), registry
    )
    assert (own.name, sibling.name) == ("geometrixx", "jcr")


async def test_without_a_property_the_highest_ranked_factory_serves(
    repo: RepoSession,
) -> None:
    registry = ProviderRegistry()
    registry.register(JcrCommerceServiceFactory("low"), ranking=-5)
    registry.register(JcrCommerceServiceFactory("first"), ranking=10)
    registry.register(JcrCommerceServiceFactory("tie"), ranking=10)
    shirt = await node(repo, "/etc/commerce/products/shirt")
    resolution = await resolve_provider(shirt, registry)
    assert (resolution.name, resolution.ranking, resolution.source) == ("first", 10, None)
    registry.unregister("first")
    assert (await resolve_provider(shirt, registry)).name == "tie"
    assert registry.names() == ["tie", "low"]


async def test_an_unknown_provider_name_is_an_error_naming_it(
    repo: RepoSession, registry: ProviderRegistry
) -> None:
    polo = await node(repo, f"{HYBRIS_EXAMPLE}/mens/polo-shirt-1")
    with pytest.raises(ProviderNotFoundError, match="'hybris'") as info:
        await resolve_service(polo, registry)
    assert info.value.details["provider"] == "hybris"
    assert info.value.details["source"] == HYBRIS_EXAMPLE
    assert (info.value.status, info.value.code) == (503, "provider-unavailable")
    assert isinstance(info.value, RepoError)
    with pytest.raises(ProviderNotFoundError):
        await adapt_to_product(polo, registry)


async def test_an_empty_registry_is_an_error(repo: RepoSession) -> None:
    shirt = await node(repo, "/etc/commerce/products/shirt")
    with pytest.raises(ProviderNotFoundError, match="no commerce provider"):
        await resolve_service(shirt, ProviderRegistry(ServiceRegistry()))


async def test_cq_commerce_lets_a_strongly_typed_node_name_a_provider(
    examples: ContentSession, registry: ProviderRegistry
) -> None:
    await examples.add_node("/etc/typed", "nt:folder", mixins=["cq:Commerce"])
    await examples.set_property("/etc/typed", "cq:commerceProvider", "geometrixx")
    await examples.add_node("/etc/typed/inner", "nt:folder")
    await examples.save()
    repo = RepoSession(examples)
    resolution = await resolve_provider(await node(repo, "/etc/typed/inner"), registry)
    assert (resolution.name, resolution.source) == ("geometrixx", "/etc/typed")


async def test_resolution_reads_the_whole_lineage_in_one_store_query(
    repo: RepoSession, registry: ProviderRegistry, store_reads: StoreReads
) -> None:
    deep = await node(
        repo,
        "/content/banyan-example/banyan-shirt/jcr:content/par/product/banyan_shirt_s/"
        "banyan_shirt_s_red",
    )
    store_reads.reset()
    await resolve_provider(deep, registry)
    assert store_reads.count == 1
