"""The activation rules of examples.md (last section): product pages need their product
Online, other pages every product they reference; refusals are 409 `activation-rejected`
with reasons, and nothing is queued for any path."""

from __future__ import annotations

from .activation_support import (
    CAMPAIGN,
    SHIRT,
    SHIRT_L,
    SHIRTS_PAGE,
    Shop,
    assert_error,
)


async def _nothing_queued(shop: Shop) -> None:
    body = await shop.queue()
    assert body["entries"] == []


async def test_a_product_page_whose_product_is_not_online_is_refused(shop: Shop) -> None:
    body = await assert_error(
        await shop.replicate("Activate", SHIRTS_PAGE), 409, "activation-rejected"
    )
    reasons = body["details"]["reasons"]
    assert {r["product"] for r in reasons} == {SHIRT, SHIRT_L}
    assert all(r["path"] == SHIRTS_PAGE for r in reasons)
    assert all("product page" in r["reason"] and "Online" in r["reason"] for r in reasons)
    await _nothing_queued(shop)
    assert await shop.last_action(SHIRTS_PAGE) is None
    assert (await shop.on_publish(SHIRTS_PAGE)).status == 404


async def test_a_product_page_whose_product_is_online_is_activated(shop: Shop) -> None:
    await shop.sync(SHIRT)
    await shop.wait_idle()
    body = await shop.activate(SHIRTS_PAGE)
    assert [q["path"] for q in body["queued"]] == [SHIRTS_PAGE]
    await shop.wait_idle()
    assert (await shop.on_publish(SHIRTS_PAGE)).status == 200


async def test_a_campaign_page_referencing_a_product_not_online_is_refused(shop: Shop) -> None:
    await shop.make_campaign(CAMPAIGN, featured=SHIRT_L, linkText="Shirts on sale")
    body = await assert_error(
        await shop.replicate("Activate", CAMPAIGN), 409, "activation-rejected"
    )
    assert body["details"]["reasons"] == [
        {
            "path": CAMPAIGN,
            "product": SHIRT_L,
            "reason": f"references the product {SHIRT_L}, which is not in the Online catalog "
            "version",
        }
    ]
    await _nothing_queued(shop)
    await shop.sync(SHIRT)
    await shop.activate(CAMPAIGN)
    await shop.wait_idle()
    assert (await shop.on_publish(CAMPAIGN)).status == 200


async def test_every_value_of_a_multi_valued_property_counts(shop: Shop) -> None:
    banyan = "/etc/commerce/products/banyan-example/banyan_shirt"
    await shop.make_campaign(CAMPAIGN, products=[SHIRT, banyan])
    await shop.sync(SHIRT)
    body = await assert_error(
        await shop.replicate("Activate", CAMPAIGN), 409, "activation-rejected"
    )
    assert [(r["path"], r["product"]) for r in body["details"]["reasons"]] == [(CAMPAIGN, banyan)]
    await shop.sync(banyan)
    await shop.activate(CAMPAIGN)


async def test_values_that_are_not_product_data_do_not_count(shop: Shop) -> None:
    await shop.make_campaign(
        CAMPAIGN,
        folder="/etc/commerce/products",
        missing="/etc/commerce/products/no-such-product",
        catalog="/etc/commerce/products/geometrixx-outdoors",
        text="see /etc/commerce/products/shirt for details",
    )
    await shop.activate(CAMPAIGN)


async def test_one_refused_path_queues_nothing_for_any_path(shop: Shop) -> None:
    await shop.make_campaign("/content/campaigns/plain", linkText="no products here")
    resp = await shop.replicate("Activate", "/content/campaigns/plain", SHIRTS_PAGE)
    body = await assert_error(resp, 409, "activation-rejected")
    assert {r["path"] for r in body["details"]["reasons"]} == {SHIRTS_PAGE}
    await _nothing_queued(shop)
    assert await shop.last_action("/content/campaigns/plain") is None


async def test_a_deep_activation_over_a_refused_product_page_queues_nothing(shop: Shop) -> None:
    resp = await shop.replicate("Activate", "/content/big-and-tall", deep="true")
    body = await assert_error(resp, 409, "activation-rejected")
    assert {r["path"] for r in body["details"]["reasons"]} == {SHIRTS_PAGE}
    await _nothing_queued(shop)
    assert await shop.last_action("/content/big-and-tall") is None


async def test_product_data_is_not_activated_directly(shop: Shop) -> None:
    for path in (SHIRT, SHIRT_L, "/etc/commerce/products", "/etc"):
        body = await assert_error(
            await shop.replicate("Activate", path), 409, "activation-rejected"
        )
        (reason,) = body["details"]["reasons"]
        assert reason["path"] == path
        assert "commerce:sync" in reason["reason"]
    await _nothing_queued(shop)


async def test_deactivating_a_page_is_always_allowed(shop: Shop) -> None:
    await shop.make_campaign(CAMPAIGN, featured=SHIRT)
    resp = await shop.replicate("Deactivate", CAMPAIGN, SHIRTS_PAGE)
    assert resp.status == 200, await resp.json()
    assert await shop.last_action(SHIRTS_PAGE) == "Deactivate"


async def test_a_page_referencing_no_product_activates_as_before(shop: Shop) -> None:
    await shop.activate("/content/big-and-tall", "/content/big-and-tall/en")
    await shop.wait_idle()
    assert (await shop.on_publish("/content/big-and-tall/en")).status == 200
