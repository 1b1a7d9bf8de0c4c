"""Catalog blueprints: the generated page tree, rollout after imports, sections, hooks."""

from __future__ import annotations

from decimal import Decimal

from commerce.catalog import CatalogBlueprint, CatalogGenerator, SectionBlueprint
from commerce.importer.importer import CatalogImporter, ImportOptions
from commerce.repo import RepoSession
from commerce.service import JcrCommerceService
from repo_server.session.session import ContentSession

from .catalog_import_support import ROOT, changed, encode, product, sample, sample_doc

TH = f"{ROOT}/trailhead"
SITE = "/content/trailhead"
FLANNEL_PAGE = f"{SITE}/men/shirts/ridge-flannel"
FLANNEL_REF = f"{FLANNEL_PAGE}/jcr:content/par/product"


async def imported(importer: CatalogImporter, session: ContentSession, data: bytes) -> None:
    await importer.import_data(session, data, "json", ImportOptions(catalog="trailhead"))


async def site(importer: CatalogImporter, session: ContentSession) -> CatalogGenerator:
    await imported(importer, session, sample("trailhead.json"))
    generator = CatalogGenerator(session)
    await generator.create_catalog(CatalogBlueprint(TH), "/content", "trailhead", "Trailhead")
    return generator


async def test_a_blueprint_makes_a_page_per_category_and_per_product(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    await site(importer, roots)
    for page in (
        SITE,
        f"{SITE}/men",
        f"{SITE}/men/shirts",
        FLANNEL_PAGE,
        f"{SITE}/equipment/backpacks/stash-sack",
    ):
        assert (await roots.node(page)).primary_type == "cq:Page", page
    section = await roots.node(f"{SITE}/men/shirts/jcr:content")
    assert section.properties["cq:commerceType"].values == ("section",)
    assert section.properties["jcr:title"].values == ("Men's Shirts",)
    top = await roots.node(f"{SITE}/jcr:content")
    assert top.properties["cq:commerceProvider"].values == ("jcr",)
    ref = await roots.node(FLANNEL_REF)
    assert ref.properties["productData"].values == (f"{TH}/men/shirts/ridge_flannel",)
    leaf = await roots.node(f"{FLANNEL_REF}/ridge_flannel_xl/ridge_flannel_xl_red")
    assert leaf.properties["productData"].values == (
        f"{TH}/men/shirts/ridge_flannel/ridge_flannel_xl/ridge_flannel_xl_red",
    )
    image = await roots.node(f"{FLANNEL_PAGE}/jcr:content/image")
    assert str(image.properties["fileReference"].values[0]).endswith("ridge_flannel.jpg")
    service = JcrCommerceService("jcr", RepoSession(roots))
    found = await service.require_product(f"{FLANNEL_REF}/ridge_flannel_xl/ridge_flannel_xl_red")
    assert found.sku == "THMSH001-XL-RED"
    assert found.get_property("price", Decimal) == Decimal("43.00")


async def test_rolling_out_an_unchanged_catalog_writes_nothing(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    generator = await site(importer, roots)
    head = roots.store.head
    result = await generator.rollout_changes(SITE)
    assert not result.changed
    assert roots.store.head == head


async def test_an_import_rolls_its_changes_out_and_keeps_local_overrides(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    await site(importer, roots)
    await roots.set_property(FLANNEL_REF, "price", Decimal("12.00"))
    await roots.save()
    doc = changed(sample_doc())
    product(doc, "THMSH001")["variants"][1]["variants"].pop()  # XL green is gone
    product(doc, "THMSH002")["title"] = "Summit Tee II"
    doc["products"] = [p for p in doc["products"] if p["sku"] != "THEBP002"]
    doc["products"].append({"sku": "THEBP009", "name": "map_case", "category": "equipment"})
    await importer.import_data(
        roots, encode(doc), "json", ImportOptions(catalog="trailhead", remove_missing=True)
    )
    assert await roots.exists(f"{SITE}/equipment/map-case/jcr:content/par/product")
    assert not await roots.exists(f"{SITE}/equipment/backpacks/stash-sack")
    assert not await roots.exists(f"{FLANNEL_REF}/ridge_flannel_xl/ridge_flannel_xl_green")
    assert await roots.exists(f"{FLANNEL_REF}/ridge_flannel_xl/ridge_flannel_xl_red")
    tee = await roots.node(f"{SITE}/men/shirts/summit-tee/jcr:content")
    assert tee.properties["jcr:title"].values == ("Summit Tee II",)
    ref = await roots.node(FLANNEL_REF)
    assert ref.properties["price"].values == (
        Decimal(
            "12.00",
        ),
    )
    generator = CatalogGenerator(roots)
    await generator.rollout_changes(SITE, reset=True)
    assert "price" not in (await roots.node(FLANNEL_REF)).properties


async def test_section_blueprints_select_products_by_tags_and_keywords(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    await imported(importer, roots, sample("trailhead.json"))
    blueprint = CatalogBlueprint(
        TH,
        sections=(
            SectionBlueprint("packs", "Packs", tags=("trailhead:equipment/backpack",)),
            SectionBlueprint("merino", "Merino", keywords=("merino",), proxy=True),
        ),
    )
    generator = CatalogGenerator(roots)
    await generator.create_catalog(blueprint, "/content", "picks", "Picks")
    assert [n.name for n in await roots.children("/content/picks/packs")] == [
        "jcr:content",
        "canyon-pack-30",
    ]
    proxy = await roots.node("/content/picks/merino/summit-tee/jcr:content")
    assert proxy.properties["sling:resourceType"].values == (
        "commerce/components/productpageproxy",
    )
    assert proxy.properties["productData"].values == (f"{TH}/men/shirts/summit_tee",)
    assert (await generator.blueprint_of("/content/picks")) == blueprint


class Stamp:
    def __init__(self) -> None:
        self.pages: list[str] = []

    async def catalog_rollout_hook(self, session: ContentSession, page_path: str) -> bool:
        self.pages.append(page_path)
        return False

    async def section_rollout_hook(self, session: ContentSession, page_path: str) -> bool:
        self.pages.append(page_path)
        return False

    async def product_rollout_hook(
        self, session: ContentSession, page_path: str, product_path: str
    ) -> bool:
        self.pages.append(page_path)
        await session.set_property(f"{page_path}/jcr:content", "hooked", product_path)
        return True


async def test_rollout_hooks_run_for_changed_pages_and_bump_last_modified(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    await imported(importer, roots, sample("trailhead.json"))
    hook = Stamp()
    generator = CatalogGenerator(roots, [hook])
    await generator.create_catalog(CatalogBlueprint(TH), "/content", "trailhead", "Trailhead")
    assert FLANNEL_PAGE in hook.pages
    content = await roots.node(f"{FLANNEL_PAGE}/jcr:content")
    assert "cq:lastModified" in content.properties
    assert content.properties["hooked"].values == (f"{TH}/men/shirts/ridge_flannel",)
    hook.pages.clear()
    await generator.rollout_changes(SITE)
    assert hook.pages == []
