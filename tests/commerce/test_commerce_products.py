"""Products: property resolution through the chain, SKU, axes, images, structure errors (§3)."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

import pytest

from commerce.errors import ProductStructureError
from commerce.product import (
    Product,
    ProductLoader,
    ProductOptions,
    is_base_product_node,
    is_product_or_variant_node,
    is_variant_node,
    size_sort_key,
    sorted_by_size,
)
from commerce.providers import ProviderRegistry, adapt_to_product
from commerce.repo import RepoSession
from commerce.service import JcrCommerceService
from repo_server.session.session import ContentSession

from .commerce_support import (
    BANYAN,
    BANYAN_PAGE,
    BANYAN_REF,
    JCR_EXAMPLE,
    SALE_REF,
    SHIRT,
    SHIRT_REF,
    node,
)

M_RED = f"{BANYAN}/banyan_shirt_m/banyan_shirt_m_red"
XL = f"{BANYAN}/banyan_shirt_xl"


async def product(repo: RepoSession, path: str, options: ProductOptions | None = None) -> Product:
    found = await ProductLoader(repo, options).load(path)
    assert found is not None, path
    return found


async def test_a_leaf_resolves_its_own_and_inherited_properties(repo: RepoSession) -> None:
    leaf = await product(repo, M_RED)
    assert leaf.get_property("size") == "M"
    assert leaf.get_property("color") == "red"
    assert leaf.get_property("price", Decimal) == Decimal("14.00")
    assert leaf.title() == "Banyan Shirt"
    assert leaf.description() == "Flowery, all-cotton shirt."
    assert [n.name for n in leaf.chain] == ["banyan_shirt_m_red", "banyan_shirt_m", "banyan_shirt"]


async def test_a_variant_override_wins(repo: RepoSession) -> None:
    assert (await product(repo, XL)).get_property("price", Decimal) == Decimal("18.00")


async def test_money_stays_decimal_end_to_end(repo: RepoSession) -> None:
    raw = (await product(repo, XL)).get_property("price")
    assert isinstance(raw, Decimal)
    assert str(raw) == "18.00"


async def test_a_reference_with_a_local_price_overrides_its_data(repo: RepoSession) -> None:
    sale = await product(repo, SALE_REF)
    assert sale.get_property("price", Decimal) == Decimal("12.00")
    assert sale.title() == "Banyan Shirt"
    assert sale.is_reference


async def test_a_reference_without_an_override_reads_its_data(repo: RepoSession) -> None:
    ref = await product(repo, f"{BANYAN_REF}/banyan_shirt_m/banyan_shirt_m_red")
    assert ref.get_property("price", Decimal) == Decimal("14.00")
    assert (ref.get_property("size"), ref.get_property("color")) == ("M", "red")
    assert [n.path for n in ref.chain] == [
        f"{BANYAN_REF}/banyan_shirt_m/banyan_shirt_m_red",
        M_RED,
        f"{BANYAN}/banyan_shirt_m",
        BANYAN,
    ]


async def test_a_base_product_never_reads_a_folder_title(repo: RepoSession) -> None:
    base = await product(repo, BANYAN)
    assert [n.path for n in base.chain] == [BANYAN]
    adobe = await product(repo, f"{JCR_EXAMPLE}/adobe-logo-shirt")
    assert adobe.title() is None  # the folder's "JCR provider (documented example)" stays out


async def test_inherit_from_folders_climbs_up_to_the_provider_root(repo: RepoSession) -> None:
    adobe = await product(
        repo, f"{JCR_EXAMPLE}/adobe-logo-shirt", ProductOptions(inherit_from_folders=True)
    )
    assert adobe.title() == "JCR provider (documented example)"
    assert adobe.chain[-1].path == JCR_EXAMPLE


async def test_the_sibling_variant_of_the_docs_resolves_under_jcr(
    repo: RepoSession, registry: ProviderRegistry
) -> None:
    xl = await adapt_to_product(await node(repo, f"{JCR_EXAMPLE}/adobe-logo-shirt_XL"), registry)
    assert xl is not None
    assert xl.get_property("size") == "XL"
    assert xl.get_property("price", Decimal) == Decimal("14.50")
    assert xl.is_variant
    assert await xl.variants() == []
    with pytest.raises(ProductStructureError, match="no base product"):
        await xl.base_product()


async def test_get_property_converts_as_the_spec_says(
    examples: ContentSession, repo: RepoSession
) -> None:
    await examples.add_node(
        "/etc/commerce/products/typed",
        "nt:unstructured",
        properties={
            "cq:commerceType": "product",
            "count": "42",
            "flag": "TRUE",
            "truth": True,
            "tags": ["a", "b"],
            "when": "2024-03-01T10:00:00.000+01:00",
            "weight": 0.25,
            "price.EUR": Decimal("11.00"),
        },
    )
    await examples.save()
    typed = await product(RepoSession(examples), "/etc/commerce/products/typed")
    assert typed.get_property("count", int) == 42
    assert typed.get_property("count", Decimal) == Decimal(42)
    assert typed.get_property("flag", bool) is True
    assert typed.get_property("truth", bool) is True
    assert typed.get_property("truth", str) == "true"
    assert typed.get_property("tags", str) == "a"
    assert typed.get_property("tags", list) == ["a", "b"]
    assert typed.get_property("count", list) == ["42"]
    assert typed.get_property("when", datetime) == datetime.fromisoformat(
        "2024-03-01T10:00:00+01:00"
    )
    assert typed.get_property("weight", Decimal) == Decimal("0.25")
    assert typed.get_property("tags", int, default=-1) == -1
    assert typed.get_property("missing", str, default="x") == "x"
    with pytest.raises(ValueError, match="tags"):
        typed.get_property("tags", int, strict=True)
    assert typed.get_property("price", Decimal, selector="EUR") == Decimal("11.00")


async def test_the_nearer_node_wins_over_a_farther_selector_key(
    examples: ContentSession,
) -> None:
    await examples.set_property(BANYAN, "jcr:title.de", "Banyan-Hemd")
    await examples.set_property(SALE_REF, "jcr:title", "Sale shirt")
    await examples.save()
    repo = RepoSession(examples)
    assert (await product(repo, M_RED)).title("de") == "Banyan-Hemd"
    assert (await product(repo, SALE_REF)).title("de") == "Sale shirt"


async def test_properties_are_the_merged_chain_nearest_first(repo: RepoSession) -> None:
    xl = await product(repo, XL)
    merged = xl.properties
    assert merged["price"] == Decimal("18.00")
    assert merged["size"] == "XL"
    assert merged["jcr:title"] == "Banyan Shirt"
    assert list(merged)[:3] == ["cq:commerceType", "size", "price"]


async def test_sku_is_identifier_then_the_data_node_name(repo: RepoSession) -> None:
    assert (await product(repo, f"{SHIRT}/shirt-m")).sku == "shirt-m"
    assert (await product(repo, M_RED)).sku == "banyan_shirt_m_red"
    assert (await product(repo, BANYAN_REF)).sku == "banyan_shirt"  # not the component's name
    custom = ProductOptions(sku_rule=lambda p: f"{p.get_property('identifier')}-{p.node.name}")
    assert (await product(repo, f"{SHIRT}/shirt-l", custom)).sku == "shirt-l-shirt-l"


async def test_variant_axes_come_from_the_base_stripped_and_unique(
    examples: ContentSession,
) -> None:
    await examples.set_property(SHIRT, "cq:productVariantAxes", [" size", "size ", "fit"])
    await examples.save()
    repo = RepoSession(examples)
    shirt_l = await product(repo, f"{SHIRT}/shirt-l")
    assert shirt_l.variant_axes == ("size", "fit")
    assert shirt_l.axis_is_variant("fit")
    assert not shirt_l.axis_is_variant("price")
    assert (await product(repo, M_RED)).variant_axes == ("color", "size")
    assert (await product(repo, BANYAN_REF)).variant_axes == ("color", "size")


async def test_images_and_thumbnails_come_from_the_nearest_image(
    examples: ContentSession,
) -> None:
    await examples.add_node(
        f"{BANYAN}/image", "nt:unstructured", properties={"fileReference": "/content/dam/b.jpg"}
    )
    await examples.save()
    repo = RepoSession(examples)
    leaf = await product(repo, M_RED)
    assert leaf.image_url == "/content/dam/b.jpg"
    assert leaf.thumbnail_url() == "/content/dam/b.jpg.thumb.png"
    assert leaf.thumbnail_url(80, "image") == "/content/dam/b.jpg.thumb.80.png"
    image = await leaf.image()
    assert image is not None
    assert image.path == f"{BANYAN}/image"
    assert [i.path for i in await leaf.images()] == [f"{BANYAN}/image"]
    assert await leaf.assets() == []  # no DAM assets are shipped
    assert await leaf.asset() is None
    assert (await product(repo, SHIRT)).image_url is None


async def test_assets_are_the_referenced_nodes_filtered_by_mime_type(
    examples: ContentSession,
) -> None:
    await examples.add_node("/content/dam", "nt:unstructured")
    await examples.add_node("/content/dam/s.jpg", "nt:unstructured")
    await examples.add_node(
        "/content/dam/s.jpg/jcr:content",
        "nt:unstructured",
        properties={"jcr:mimeType": "image/jpeg"},
    )
    await examples.add_node(
        f"{SHIRT}/image", "nt:unstructured", properties={"fileReference": "/content/dam/s.jpg"}
    )
    await examples.save()
    shirt = await product(RepoSession(examples), SHIRT)
    assert [a.path for a in await shirt.assets()] == ["/content/dam/s.jpg"]
    assert [a.path for a in await shirt.assets(["image/JPEG"])] == ["/content/dam/s.jpg"]
    assert await shirt.assets(["image/png"]) == []


async def test_page_path_pim_product_and_base_product(repo: RepoSession) -> None:
    ref_leaf = await product(repo, f"{BANYAN_REF}/banyan_shirt_s/banyan_shirt_s_blue")
    assert await ref_leaf.page_path() == BANYAN_PAGE
    pim = await ref_leaf.pim_product()
    assert pim is not None
    assert pim.path == f"{BANYAN}/banyan_shirt_s/banyan_shirt_s_blue"
    assert await pim.page_path() is None
    assert await pim.pim_product() is None
    assert (await ref_leaf.base_product()).path == BANYAN_REF
    assert (await pim.base_product()).path == BANYAN
    base = await product(repo, BANYAN)
    assert await base.base_product() is base


async def test_get_product_is_none_for_missing_or_untyped_nodes(repo: RepoSession) -> None:
    service = JcrCommerceService("jcr", repo)
    assert await service.get_product("/etc/commerce/products/nothing") is None
    assert await service.get_product(JCR_EXAMPLE) is None
    with pytest.raises(LookupError):
        await service.require_product(JCR_EXAMPLE)
    assert (await service.require_product(SHIRT)).sku == "shirt"


async def test_a_product_data_pointing_nowhere_is_skipped_with_a_warning(
    examples: ContentSession, caplog: pytest.LogCaptureFixture
) -> None:
    await examples.set_property(SHIRT_REF, "productData", "/etc/commerce/products/gone")
    await examples.set_property(f"{SHIRT_REF}/shirt-l", "productData", "not a path[")
    await examples.save()
    repo = RepoSession(examples)
    with caplog.at_level(logging.WARNING, logger="commerce.product"):
        ref = await product(repo, SHIRT_REF)
        leaf = await product(repo, f"{SHIRT_REF}/shirt-l")
    assert [n.path for n in ref.chain] == [SHIRT_REF]
    assert ref.get_property("price") is None
    # The broken leaf falls back to its parent reference (rule 3 of §3.2).
    assert [n.path for n in leaf.chain] == [f"{SHIRT_REF}/shirt-l", SHIRT_REF]
    assert "does not exist" in caplog.text
    assert "is not a path" in caplog.text


async def test_a_product_data_cycle_is_a_structure_error(examples: ContentSession) -> None:
    await examples.set_property(SHIRT, "productData", SHIRT_REF)
    await examples.set_property(f"{SHIRT}/shirt-s", "productData", f"{SHIRT}/shirt-s")
    await examples.save()
    repo = RepoSession(examples)
    with pytest.raises(ProductStructureError, match="cycle") as info:
        await product(repo, SHIRT_REF)
    assert info.value.details["cycle"] == [SHIRT_REF, SHIRT, SHIRT_REF]
    assert (info.value.status, info.value.code) == (409, "product-structure")
    with pytest.raises(ProductStructureError):
        await product(repo, f"{SHIRT}/shirt-s")


async def test_node_helpers_read_the_commerce_type(repo: RepoSession) -> None:
    base, leaf, folder = [await node(repo, p) for p in (BANYAN, M_RED, JCR_EXAMPLE)]
    assert is_base_product_node(base)
    assert not is_variant_node(base)
    assert is_variant_node(leaf)
    assert not is_product_or_variant_node(folder)
    assert not is_product_or_variant_node(None)


async def test_sizes_sort_numerically_or_by_letter(repo: RepoSession) -> None:
    banyan = await product(repo, BANYAN)
    leaves = await banyan.variants()
    ordered = sorted_by_size(reversed(leaves))
    assert [p.get_property("size") for p in ordered][::2] == ["S", "M", "L", "XL"]
    assert size_sort_key(leaves[0]) == (1, Decimal(2))
    with pytest.raises(ValueError, match="not a size"):
        size_sort_key(banyan)
