"""Catalog versions: `commerce:sync` puts products Online, ships their data and activates
their product pages; `commerce:unsync` takes them out and deactivates the pages; publish only
serves the Online version; `.product.json?catalogVersion=` reads either version on author."""

from __future__ import annotations

from typing import Any

from repo_server.model.values import Property, PropertyType
from repo_server.security import privileges as PR
from repo_server.security import security_of, users
from repo_server.security.access import set_entry

from .activation_support import (
    CAMPAIGN,
    SHIRT,
    SHIRT_L,
    SHIRTS_PAGE,
    Shop,
    assert_error,
    basic,
)


async def _price(shop: Shop, client: Any, path: str, version: str | None = None) -> str:
    resp = await shop.product_json(client, path, version, anonymous=client is shop.publish)
    body = await resp.json()
    assert resp.status == 200, body
    return str(body["properties"]["price"])


async def test_sync_puts_the_product_online_ships_it_and_activates_its_page(shop: Shop) -> None:
    body = await shop.sync(SHIRT)
    assert body["operation"] == "commerce:sync"
    assert body["catalogVersion"] == "Online"
    assert body["products"] == body["entered"] == [SHIRT]
    assert body["activated"] == [SHIRTS_PAGE]
    assert body["refused"] == []
    # The data first, then the page: publish never serves a page without its data.
    assert [(q["action"], q["path"]) for q in body["queued"]] == [
        ("Activate", SHIRT),
        ("Activate", SHIRTS_PAGE),
    ]
    await shop.wait_idle()
    assert await shop.last_action(SHIRTS_PAGE) == "Activate"
    page = await shop.on_publish(SHIRTS_PAGE)
    assert page.status == 200
    data = await shop.publish.get(SHIRT_L + ".json")
    assert data.status == 200, "anonymous visitors read the Online product data"
    assert (await data.json())["size"] == "L"


async def test_a_product_page_on_publish_shows_the_online_data(shop: Shop) -> None:
    await shop.sync(SHIRT)
    await shop.wait_idle()
    resp = await shop.product_json(
        shop.publish, SHIRTS_PAGE + "/jcr:content/par/shirt", anonymous=True
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert body["title"] == "Shirt"
    assert body["properties"]["price"] == "20.00"
    assert [v["sku"] for v in body["variants"]] == ["shirt-l"]
    assert body["variants"][0]["price"] == "20.00"


async def test_an_edit_on_author_reaches_publish_only_with_the_next_sync(shop: Shop) -> None:
    reference = SHIRTS_PAGE + "/jcr:content/par/shirt"
    await shop.sync(SHIRT)
    await shop.wait_idle()
    await shop.set_price(SHIRT, "25.00")
    assert await _price(shop, shop.author, reference) == "25.00"
    assert await _price(shop, shop.author, reference, "Staged") == "25.00"
    assert await _price(shop, shop.author, reference, "Online") == "20.00"
    assert await _price(shop, shop.author, SHIRT, "Online") == "20.00"
    assert await _price(shop, shop.publish, reference) == "20.00"
    assert await _price(shop, shop.publish, reference, "Online") == "20.00"

    body = await shop.sync(SHIRT)
    assert body["entered"] == []
    assert body["activated"] == [], "a product already Online does not re-activate its pages"
    assert [q["path"] for q in body["queued"]] == [SHIRT]
    await shop.wait_idle()
    assert await _price(shop, shop.author, reference, "Online") == "25.00"
    assert await _price(shop, shop.publish, reference) == "25.00"


async def test_reading_the_online_version_of_a_product_not_in_it_is_a_404(shop: Shop) -> None:
    reference = SHIRTS_PAGE + "/jcr:content/par/shirt"
    for path in (SHIRT, SHIRT_L, reference, SHIRTS_PAGE):
        resp = await shop.product_json(shop.author, path, "Online")
        await assert_error(resp, 404, "not-in-catalog-version")
    resp = await shop.product_json(shop.author, SHIRT, "Staged")
    assert resp.status == 200
    await assert_error(
        await shop.product_json(shop.author, SHIRT, "Live"), 400, "invalid-catalog-version"
    )
    await assert_error(
        await shop.product_json(shop.author, "/etc/commerce/products/none", "Online"),
        404,
        "node-not-found",
    )


async def test_publish_serves_the_online_version_only(shop: Shop) -> None:
    await shop.sync(SHIRT)
    await shop.wait_idle()
    resp = await shop.product_json(shop.publish, SHIRT, "Staged", anonymous=True)
    await assert_error(resp, 404, "not-in-catalog-version")
    resp = await shop.operation("commerce:sync", SHIRT, client=shop.publish)
    await assert_error(resp, 403, "catalog-sync-disabled")
    # Data never synced is not on publish, whatever author holds.
    banyan = "/etc/commerce/products/banyan-example/banyan_shirt"
    assert (await shop.publish.get(banyan + ".json")).status == 404


async def test_a_variant_path_syncs_its_whole_family(shop: Shop) -> None:
    body = await shop.sync(SHIRT_L)
    assert body["products"] == [SHIRT]
    await shop.wait_idle()
    for variant in ("shirt-s", "shirt-m", "shirt-l"):
        assert (await shop.publish.get(f"{SHIRT}/{variant}.json")).status == 200


async def test_unsync_deactivates_the_product_pages_and_removes_the_data(shop: Shop) -> None:
    await shop.sync(SHIRT)
    await shop.wait_idle()
    body = await shop.unsync(SHIRT)
    assert body["products"] == body["left"] == [SHIRT]
    assert body["deactivated"] == [SHIRTS_PAGE]
    assert [(q["action"], q["path"]) for q in body["queued"]] == [
        ("Deactivate", SHIRTS_PAGE),
        ("Deactivate", SHIRT),
    ]
    await shop.wait_idle()
    assert (await shop.on_publish(SHIRTS_PAGE)).status == 404
    assert (await shop.publish.get(SHIRT + ".json")).status == 404
    assert await shop.last_action(SHIRTS_PAGE) == "Deactivate"
    await assert_error(
        await shop.product_json(shop.author, SHIRT, "Online"), 404, "not-in-catalog-version"
    )
    resp = await shop.replicate("Activate", SHIRTS_PAGE)
    await assert_error(resp, 409, "activation-rejected")
    # Nothing left to take out: a no-op.
    again = await shop.unsync(SHIRT)
    assert again["products"] == []
    assert again["queued"] == []


async def test_unsync_deactivates_only_the_pages_that_are_activated(shop: Shop) -> None:
    await shop.make_campaign("/content/other/shirt-page")
    session = shop.admin()
    await session.add_node(
        "/content/other/shirt-page/jcr:content/teaser/product",
        "nt:unstructured",
        properties={"productData": SHIRT, "cq:commerceType": "product"},
    )
    await session.save()
    body = await shop.sync(SHIRT)
    assert body["activated"] == ["/content/big-and-tall/en/shirts", "/content/other/shirt-page"]
    await shop.wait_idle()
    await shop.replicate("Deactivate", "/content/other/shirt-page")
    body = await shop.unsync(SHIRT)
    assert body["deactivated"] == [SHIRTS_PAGE]


async def test_a_page_refused_for_another_product_is_reported_by_the_sync(shop: Shop) -> None:
    banyan = "/etc/commerce/products/banyan-example/banyan_shirt"
    session = shop.admin()
    await session.add_node(
        SHIRTS_PAGE + "/jcr:content/promo", "nt:unstructured", properties={"featured": banyan}
    )
    await session.save()
    body = await shop.sync(SHIRT)
    assert body["activated"] == []
    assert body["refused"] == [
        {
            "path": SHIRTS_PAGE,
            "product": banyan,
            "reason": f"references the product {banyan}, which is not in the Online catalog "
            "version",
        }
    ]
    assert [q["path"] for q in body["queued"]] == [SHIRT], "the data is Online all the same"
    await shop.wait_idle()
    assert (await shop.on_publish(SHIRTS_PAGE)).status == 404
    assert await shop.last_action(SHIRTS_PAGE) is None


async def test_deactivating_product_data_directly_takes_it_out_of_online(shop: Shop) -> None:
    await shop.make_campaign(CAMPAIGN, featured=SHIRT)
    await shop.sync(SHIRT)
    await shop.activate(CAMPAIGN)
    await shop.wait_idle()
    resp = await shop.replicate("Deactivate", SHIRT)
    assert resp.status == 200, await resp.json()
    await shop.wait_idle()
    assert (await shop.on_publish(SHIRTS_PAGE)).status == 404
    assert (await shop.publish.get(SHIRT + ".json")).status == 404
    await assert_error(
        await shop.product_json(shop.author, SHIRT, "Online"), 404, "not-in-catalog-version"
    )
    # Only product pages follow; the campaign stays (its next activation is refused).
    assert await shop.last_action(CAMPAIGN) == "Activate"
    await assert_error(await shop.replicate("Activate", CAMPAIGN), 409, "activation-rejected")


async def test_sync_of_a_catalog_puts_every_product_online(demo_shop: Shop) -> None:
    shop = demo_shop
    section = "/etc/commerce/products/geometrixx-outdoors/men/shirts"
    body = await shop.sync(section)
    assert len(body["products"]) == 5
    assert all(p.startswith(section + "/") for p in body["products"])
    assert len(body["activated"]) == 5
    assert all(
        p.startswith("/content/geometrixx-outdoors/en/men/shirts/") for p in body["activated"]
    )
    await shop.wait_idle()
    page = "/content/geometrixx-outdoors/en/men/shirts/harbor-polo"
    resp = await shop.product_json(shop.publish, page, anonymous=True)
    product = await resp.json()
    assert resp.status == 200, product
    assert product["title"] == "Harbor Polo"
    assert len(product["variants"]) > 1
    # The section page references no product: it activates; a sibling section's page does not.
    await shop.activate("/content/geometrixx-outdoors/en/men/shirts")
    pants = "/content/geometrixx-outdoors/en/men/pants/aspen-pants"
    await assert_error(await shop.replicate("Activate", pants), 409, "activation-rejected")
    body = await shop.unsync(section)
    assert len(body["deactivated"]) == 5


async def test_sync_refusals(shop: Shop) -> None:
    await assert_error(
        await shop.operation("commerce:sync", "/content/big-and-tall"), 400, "not-product-data"
    )
    await assert_error(
        await shop.operation("commerce:unsync", "/content/big-and-tall"), 400, "not-product-data"
    )
    await assert_error(
        await shop.operation("commerce:sync", "/etc/commerce/products/none"), 404, "node-not-found"
    )
    await assert_error(
        await shop.operation("commerce:sync", SHIRT, headers={}), 401, "unauthorized"
    )


async def test_sync_needs_the_replicate_privilege_and_writes_nothing_without_it(shop: Shop) -> None:
    repository = shop.repo(shop.author)
    manager = security_of(repository)
    session = repository.session("admin")
    props = {"profile": Property(PropertyType.STRING, False, ("editor",))}
    await users.create_user(manager, session, "editor", "pw-editor", props)
    await session.refresh()
    await set_entry(manager, session, "/etc/commerce", "editor", PR.READ | PR.WRITE, 0)
    await set_entry(manager, session, "/content", "editor", PR.READ | PR.REPLICATE, 0)
    await session.save()
    manager.invalidate()
    resp = await shop.operation("commerce:sync", SHIRT, headers=basic("editor", "pw-editor"))
    await assert_error(resp, 403, "replication-not-allowed")
    assert (await shop.queue())["entries"] == []
    await assert_error(
        await shop.product_json(shop.author, SHIRT, "Online"), 404, "not-in-catalog-version"
    )
    await set_entry(manager, session, "/etc/commerce", "editor", PR.READ | PR.REPLICATE, 0)
    await session.save()
    manager.invalidate()
    resp = await shop.operation("commerce:sync", SHIRT, headers=basic("editor", "pw-editor"))
    assert resp.status == 200, await resp.json()
    assert (await resp.json())["activated"] == [SHIRTS_PAGE]
