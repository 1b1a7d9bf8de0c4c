"""Variants: the family's leaves from any member, filters, references, batched reads (§3.3-3.4)."""

from __future__ import annotations

import pytest

from commerce.product import (
    AllOf,
    AnyOf,
    AxisFilter,
    EnumerateAxisFilter,
    Not,
    Product,
    ProductLoader,
    VariantFilter,
)
from commerce.providers import ProviderRegistry, adapt_to_product
from commerce.repo import RepoSession
from repo_server.session.session import ContentSession

from .commerce_support import BANYAN, BANYAN_PAGE, BANYAN_REF, SHIRT, SHIRT_REF, StoreReads, node

LEAVES = [
    "banyan_shirt_s_red",
    "banyan_shirt_s_blue",
    "banyan_shirt_m_red",
    "banyan_shirt_m_blue",
    "banyan_shirt_l_red",
    "banyan_shirt_l_blue",
    "banyan_shirt_xl",
]
MEMBERS = [
    "",
    "/banyan_shirt_s",
    "/banyan_shirt_s/banyan_shirt_s_red",
    "/banyan_shirt_l/banyan_shirt_l_blue",
    "/banyan_shirt_xl",
]


async def product(repo: RepoSession, path: str) -> Product:
    found = await ProductLoader(repo).load(path)
    assert found is not None, path
    return found


def names(products: list[Product]) -> list[str]:
    return [p.node.name for p in products]


@pytest.mark.parametrize("member", MEMBERS)
async def test_variants_are_the_seven_leaves_from_any_family_member(
    repo: RepoSession, member: str
) -> None:
    assert names(await (await product(repo, BANYAN + member)).variants()) == LEAVES


@pytest.mark.parametrize("member", MEMBERS)
async def test_a_reference_family_gives_the_same_leaves(repo: RepoSession, member: str) -> None:
    variants = await (await product(repo, BANYAN_REF + member)).variants()
    assert names(variants) == LEAVES
    assert all(v.path.startswith(BANYAN_REF) for v in variants)
    assert [str(v.get_property("price")) for v in variants][-2:] == ["14.00", "18.00"]


async def test_axis_filter_compares_by_value(repo: RepoSession) -> None:
    blue = "".join(["bl", "ue"])  # equal to "blue", a different object
    assert blue is not "blue"  # noqa: F632 - the point of the test
    base = await product(repo, BANYAN)
    kept = await base.variants(AxisFilter("color", blue))
    assert names(kept) == ["banyan_shirt_s_blue", "banyan_shirt_m_blue", "banyan_shirt_l_blue"]
    assert await base.variants(AxisFilter("color", "Blue")) == []
    assert names(await base.variants(AxisFilter("size", "XL"))) == ["banyan_shirt_xl"]


async def test_axis_filter_reads_values_inherited_through_product_data(
    repo: RepoSession,
) -> None:
    ref = await product(repo, BANYAN_REF)
    assert len(await ref.variants(AxisFilter("color", "blue"))) == 3
    assert names(await ref.variants(AxisFilter("size", "M"))) == [
        "banyan_shirt_m_red",
        "banyan_shirt_m_blue",
    ]


async def test_enumerate_axis_filter_can_be_reused(repo: RepoSession) -> None:
    base = await product(repo, BANYAN)
    colors = EnumerateAxisFilter("color")
    first = await base.variants(colors)
    second = await base.variants(colors)
    assert names(first) == names(second) == ["banyan_shirt_s_red", "banyan_shirt_s_blue"]


async def test_filters_compose(repo: RepoSession) -> None:
    base = await product(repo, BANYAN)
    blue_m = AllOf(AxisFilter("color", "blue"), AxisFilter("size", "M"))
    assert names(await base.variants(blue_m)) == ["banyan_shirt_m_blue"]
    red_or_xl = AnyOf(AxisFilter("color", "red"), AxisFilter("size", "XL"))
    assert len(await base.variants(red_or_xl)) == 4
    assert len(await base.variants(Not(AxisFilter("color", "red")))) == 4
    one_per_color_in_l: VariantFilter = AllOf(AxisFilter("size", "L"), EnumerateAxisFilter("color"))
    assert names(await base.variants(one_per_color_in_l)) == [
        "banyan_shirt_l_red",
        "banyan_shirt_l_blue",
    ]
    assert len(await base.variants(Not(EnumerateAxisFilter("size")))) == 3


async def test_a_reference_tree_may_present_a_subset_of_the_data_variants(
    repo: RepoSession,
) -> None:
    ref = await product(repo, SHIRT_REF)
    assert names(await ref.variants()) == ["shirt-l"]
    assert names(await (await product(repo, SHIRT)).variants()) == ["shirt-s", "shirt-m", "shirt-l"]
    assert (await ref.variants())[0].get_property("size") == "L"


async def test_a_base_without_variants_has_none(repo: RepoSession) -> None:
    sale = "/content/banyan-example/banyan-shirt-sale/jcr:content/par/product"
    assert await (await product(repo, sale)).variants() == []


async def test_a_page_adapts_to_the_product_it_holds(
    repo: RepoSession, registry: ProviderRegistry
) -> None:
    for path in (BANYAN_PAGE, f"{BANYAN_PAGE}/jcr:content"):
        found = await adapt_to_product(await node(repo, path), registry)
        assert found is not None
        assert found.path == BANYAN_REF
    assert await adapt_to_product(await node(repo, "/content/big-and-tall"), registry) is None


async def test_a_family_costs_a_fixed_number_of_store_reads(
    examples: ContentSession, store_reads: StoreReads
) -> None:
    repo = RepoSession(examples)
    store_reads.reset()
    leaf = await product(repo, f"{BANYAN_REF}/banyan_shirt_m/banyan_shirt_m_red")
    chain_reads = store_reads.count
    variants = await leaf.variants()
    assert len(variants) == 7
    assert chain_reads <= 2  # the reference lineage, then its data lineage
    assert store_reads.count - chain_reads <= 3  # the subtree, then all data in one round


async def test_the_demo_catalog_page_gives_the_data_s_leaves(
    demo: ContentSession, registry: ProviderRegistry, store_reads: StoreReads
) -> None:
    repo = RepoSession(demo)
    data = await node(repo, "/etc/commerce/products/geometrixx-outdoors")
    shirts = await repo.query(data.path, lambda n: n.string("cq:commerceType") == "product")
    assert len(shirts) == 65
    page_ref = await repo.query(
        "/content/geometrixx-outdoors",
        lambda n: n.string("productData") == shirts[0].path,
    )
    fresh = RepoSession(demo)
    store_reads.reset()
    on_page = await adapt_to_product(await node(fresh, page_ref[0].path), registry)
    assert on_page is not None
    page_variants = await on_page.variants()
    assert store_reads.count <= 7
    pim = await adapt_to_product(shirts[0], registry)
    assert pim is not None
    pim_variants = await pim.variants()
    assert [v.sku for v in page_variants] == [v.sku for v in pim_variants]
    assert [str(v.get_property("price")) for v in page_variants] == [
        str(v.get_property("price")) for v in pim_variants
    ]
    assert on_page.sku == pim.sku
