"""The importer: sample catalogs, idempotence, updates, removals, resume, dry run, handlers."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from commerce.errors import ImporterError, InvalidFeedError
from commerce.importer.feed import FeedProduct, FeedValue
from commerce.importer.handler import DefaultImportHandler, ImporterContext, ImportHandler
from commerce.importer.importer import CatalogImporter, ImportOptions
from commerce.repo import RepoSession
from commerce.service import JcrCommerceService
from repo_server.errors import RepoError
from repo_server.services import ServiceRegistry
from repo_server.session.session import ContentSession
from repo_server.session.tree import Tree
from repo_server.store.base import StoreWriter

from .catalog_import_support import ROOT, changed, encode, product, sample, sample_doc, tree

TH = f"{ROOT}/trailhead"
FLANNEL = f"{TH}/men/shirts/ridge_flannel"


async def run(
    importer: CatalogImporter, session: ContentSession, data: bytes, fmt: str = "json", **kw: Any
) -> Any:
    options = ImportOptions(catalog=kw.pop("catalog", "trailhead"), **kw)
    return await importer.import_data(session, data, fmt, options)  # type: ignore[arg-type]


async def test_the_json_sample_catalog_imports_in_the_fixture_model(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    result = await run(importer, roots, sample("trailhead.json"))
    assert result.counts()["created"] == 4
    root = await roots.node(TH)
    assert root.primary_type == "sling:Folder"
    assert root.properties["cq:commerceProvider"].values == ("jcr",)
    flannel = await roots.node(FLANNEL)
    assert flannel.properties["cq:commerceType"].values == ("product",)
    assert flannel.properties["identifier"].values == ("THMSH001",)
    assert flannel.properties["price"].values == (Decimal("39.00"),)
    assert flannel.properties["price.EUR"].values == (Decimal("36.00"),)
    assert flannel.properties["cq:productVariantAxes"].values == ("color", "size")
    image = await roots.node(f"{FLANNEL}/image")
    assert str(image.properties["fileReference"].values[0]).endswith("ridge_flannel.jpg")
    leaf = await roots.node(f"{FLANNEL}/ridge_flannel_xl/ridge_flannel_xl_red")
    assert leaf.properties["identifier"].values == ("THMSH001-XL-RED",)
    assert leaf.properties["cq:commerceType"].values == ("variant",)


async def test_imported_products_load_with_their_variants(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    await run(importer, roots, sample("trailhead.json"))
    service = JcrCommerceService("jcr", RepoSession(roots))
    flannel = await service.require_product(FLANNEL)
    assert flannel.sku == "THMSH001"
    leaves = await flannel.variants()
    assert len(leaves) == 4
    xl_red = await service.require_product(f"{FLANNEL}/ridge_flannel_xl/ridge_flannel_xl_red")
    assert xl_red.get_property("price", Decimal) == Decimal("43.00")


async def test_the_csv_sample_makes_the_same_products_as_the_json_sample(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    await run(importer, roots, sample("trailhead.json"), catalog="a")
    await run(importer, roots, sample("trailhead.csv"), "csv", catalog="b")
    a, b = await tree(roots, f"{ROOT}/a"), await tree(roots, f"{ROOT}/b")
    # The JSON sample carries a few properties CSV leaves out (summary, weight, tiers, ...).
    flannel_a = a["men"]["shirts"]["ridge_flannel"]
    for extra in ("summary", "cq:productAttributes"):
        del flannel_a[extra]
    pack = a["equipment"]["backpacks"]["canyon_pack_30"]
    for extra in ("weight", "minQuantity", "priceTiers"):
        del pack[extra]
    assert a == b


async def test_reimporting_the_same_feed_writes_nothing(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    await run(importer, roots, sample("trailhead.json"))
    head = roots.store.head
    journal = await roots.store.journal(head)
    again = await run(importer, roots, sample("trailhead.json"))
    assert again.operations == 0
    assert again.counts() == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 4,
        "skipped": 0,
    }
    assert roots.store.head == head
    assert await roots.store.journal(head) == journal == []


async def test_a_changed_feed_updates_changed_products_and_adds_new_ones(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    await run(importer, roots, sample("trailhead.json"))
    doc = changed(sample_doc())
    flannel = product(doc, "THMSH001")
    flannel["price"] = "41.00"
    del flannel["summary"]
    flannel["variants"][1]["variants"].pop()  # THMSH001-XL-GREEN is gone
    doc["products"].append({"sku": "THEBP003", "name": "bottle", "category": "equipment"})
    result = await run(importer, roots, encode(doc))
    assert result.created == ["THEBP003"]
    assert result.updated == ["THMSH001"]
    assert result.counts()["unchanged"] == 3
    node = await roots.node(FLANNEL)
    assert node.properties["price"].values == (Decimal("41.00"),)
    assert "summary" not in node.properties
    assert not await roots.exists(f"{FLANNEL}/ridge_flannel_xl/ridge_flannel_xl_green")
    assert await roots.exists(f"{TH}/equipment/bottle")
    assert (await run(importer, roots, encode(doc))).operations == 0


async def test_products_gone_from_the_feed_stay_unless_remove_missing(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    await run(importer, roots, sample("trailhead.json"))
    doc = changed(sample_doc())
    doc["products"] = [p for p in doc["products"] if p["sku"] != "THEBP002"]
    kept = await run(importer, roots, encode(doc))
    assert kept.deleted == []
    assert await roots.exists(f"{TH}/equipment/backpacks/stash_sack")
    removed = await run(importer, roots, encode(doc), remove_missing=True)
    assert removed.deleted == ["THEBP002"]
    assert not await roots.exists(f"{TH}/equipment/backpacks/stash_sack")


async def test_a_product_moved_to_another_category_leaves_its_old_place(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    await run(importer, roots, sample("trailhead.json"))
    doc = changed(sample_doc())
    product(doc, "THEBP002")["category"] = "equipment"
    result = await run(importer, roots, encode(doc))
    assert result.updated == ["THEBP002"]
    assert await roots.exists(f"{TH}/equipment/stash_sack")
    assert not await roots.exists(f"{TH}/equipment/backpacks/stash_sack")


async def test_a_dry_run_reports_the_changes_and_writes_nothing(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    head = roots.store.head
    first = await run(importer, roots, sample("trailhead.json"), dry_run=True)
    assert first.dry_run
    assert first.created == ["THMSH001", "THMSH002", "THEBP001", "THEBP002"]
    assert roots.store.head == head
    assert not await roots.exists(TH)
    await run(importer, roots, sample("trailhead.json"))
    doc = changed(sample_doc())
    product(doc, "THMSH002")["title"] = "Summit Tee II"
    doc["products"].pop(0)
    head = roots.store.head
    second = await run(importer, roots, encode(doc), dry_run=True, remove_missing=True)
    assert (second.updated, second.deleted) == (["THMSH002"], ["THMSH001"])
    assert roots.store.head == head
    assert await roots.exists(FLANNEL)


async def test_an_import_that_fails_half_way_is_resumed_without_half_written_products(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    importer.save_batch_size = 1  # one product per save
    fail = {"on": "summit_tee"}

    def hook(tree: Tree, writer: StoreWriter) -> None:
        del writer
        if fail["on"] and any(fail["on"] in c.path for c in tree.changes):
            raise RepoError("simulated store failure")

    roots.repository.commit_hooks.append(hook)
    with pytest.raises(ImporterError) as info:
        await run(importer, roots, sample("trailhead.json"))
    assert "resume" in info.value.message
    # The first product is complete, the second not there at all, the others not yet.
    assert len(await roots.children(f"{FLANNEL}/ridge_flannel_xl")) == 2
    assert not await roots.exists(f"{TH}/men/shirts/summit_tee")
    record = await roots.node("/var/commerce/imports/trailhead")
    assert record.properties["status"].values == ("failed",)
    assert record.properties["productsDone"].values == (1,)

    fail["on"] = ""
    resumed = await run(importer, roots, sample("trailhead.json"))
    assert resumed.resumed_from == 1
    assert resumed.created == ["THMSH002", "THEBP001", "THEBP002"]
    assert len(await roots.children(f"{TH}/men/shirts/summit_tee")) == 4  # image + 3 sizes
    record = await roots.node("/var/commerce/imports/trailhead")
    assert record.properties["status"].values == ("done",)
    assert (await run(importer, roots, sample("trailhead.json"))).operations == 0


@pytest.mark.parametrize(
    ("fmt", "data", "where"),
    [
        ("json", b'{"products": [', "line 1"),
        ("json", b'{"products": [{"name": "no_sku"}]}', "products[0]"),
        ("json", b'{"products": [{"sku": "A", "price": "cheap"}]}', "products[0]"),
        ("json", b'{"products": [{"sku": "A", "tags": "x"}]}', "products[0]"),
        ("json", b'{"products": [{"sku": "A", "category": "nowhere"}]}', "products[0]"),
        ("json", b'{"products": [{"sku": "A"}, {"sku": "A", "name": "b"}]}', "products[1]"),
        ("csv", b'sku,title\n"A,broken\n', "line 2"),
        ("csv", b"type,name,sku\nproduct,a,\n", "line 2"),
        ("csv", b"type,name,sku\nvariant,a,X\n", "line 2"),
    ],
)
async def test_a_malformed_feed_is_refused_whole_naming_each_bad_item(
    importer: CatalogImporter, roots: ContentSession, fmt: str, data: bytes, where: str
) -> None:
    head = roots.store.head
    with pytest.raises(InvalidFeedError) as info:
        await run(importer, roots, data, fmt)
    assert info.value.status == 422
    assert info.value.code == "invalid-feed"
    assert where in [e["where"] for e in info.value.details["errors"]]
    assert roots.store.head == head
    assert not await roots.exists(TH)


async def test_skip_invalid_imports_the_valid_products_and_reports_the_others(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    doc = sample_doc()
    doc["products"].append({"name": "nameless"})
    product(doc, "THEBP002")["price"] = "free"
    result = await run(importer, roots, encode(doc), skip_invalid=True)
    assert result.created == ["THMSH001", "THMSH002", "THEBP001"]
    assert {s["where"] for s in result.skipped} == {"products[3]", "products[4]"}
    assert not await roots.exists(f"{TH}/equipment/backpacks/stash_sack")


class TaggingHandler(DefaultImportHandler):
    """A deployment's handler: extends the default one with a property on every product."""

    async def create_product(
        self, ctx: ImporterContext, values: FeedProduct, parent_category_path: str
    ) -> str:
        path = await super().create_product(ctx, values, parent_category_path)
        ctx.put_node(path, "nt:unstructured", {"importedBy": "tagging"}, exclusive=False)
        return path


class FlatHandler(DefaultImportHandler):
    """Puts every product right under the catalog, whatever its category."""

    async def create_product(
        self, ctx: ImporterContext, values: FeedProduct, parent_category_path: str
    ) -> str:
        return await super().create_product(ctx, values, ctx.root_path)

    async def create_asset(
        self, ctx: ImporterContext, values: Mapping[str, FeedValue], product_path: str
    ) -> str:
        return product_path  # no images


async def test_a_handler_with_a_higher_ranking_replaces_the_default(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    services: ServiceRegistry = importer.services
    low = FlatHandler()
    services.register(ImportHandler, low, {"service.ranking": 0})  # type: ignore[type-abstract]
    services.register(ImportHandler, TaggingHandler(), {"service.ranking": 10})  # type: ignore[type-abstract]
    assert isinstance(importer.handler(), TaggingHandler)
    await run(importer, roots, sample("trailhead.json"))
    node = await roots.node(FLANNEL)
    assert node.properties["importedBy"].values == ("tagging",)
    assert (await run(importer, roots, sample("trailhead.json"))).operations == 0


async def test_an_unknown_catalog_name_is_refused(
    importer: CatalogImporter, roots: ContentSession
) -> None:
    with pytest.raises(RepoError) as info:
        await run(importer, roots, sample("trailhead.json"), catalog="a/b")
    assert info.value.code == "invalid-import-request"
