"""Promotions, vouchers, order details, submit and placed orders (spec §6.4-§6.7, §8)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from commerce.errors import (
    EmptyCartError,
    NotAuthorizedError,
    OrderValidationError,
    PaymentDeclinedError,
    QueryError,
    SensitiveFieldError,
    VoucherError,
)
from commerce.fulfilment import FulfilmentConnector, FulfilmentRequest
from commerce.money import DISCOUNT, LINE, ORDER, PriceFilter
from commerce.payment import PaymentConnector, TestPaymentConnector
from commerce.promotions import PromotionStatus
from commerce.session import CommerceSessionManager, JcrCommerceSession
from repo_server.session.session import ContentSession, Repository

from .session_support import (
    CARD,
    DECLINED_CARD,
    EXPRESS,
    FREE_SHIP,
    INTERNATIONAL,
    JACKET,
    STANDARD,
    TEE,
    TEE_DEAL,
    TEN_PERCENT,
    Shopper,
    address,
    card,
    checkout_details,
)


async def fill(session: JcrCommerceSession) -> None:
    for path, quantity in ((TEE, 2), (JACKET, 1)):
        found = await session.product(path)
        assert found is not None
        await session.add_cart_entry(found, quantity)


async def test_a_voucher_enables_its_order_promotion(shopper: Shopper) -> None:
    session = await shopper("alice")
    await fill(session)
    await session.add_voucher("  SPRING10 ")
    await session.add_voucher("SPRING10")  # again: nothing changes
    pricing = await session.pricing()
    assert pricing.order_discount == Decimal("16.70")
    assert await session.cart_price(PriceFilter(ORDER, DISCOUNT)) == "$16.70"
    assert pricing.tax == Decimal("9.02")  # 6% of 150.30
    infos = await session.voucher_infos()
    assert [(v.code, v.is_valid) for v in infos] == [("SPRING10", True)]
    fired = {p.path: p.status for p in await session.promotions()}
    assert fired[TEN_PERCENT] is PromotionStatus.FIRED
    await session.remove_voucher("SPRING10")
    assert (await session.pricing()).order_discount == Decimal("0")


async def test_unknown_wrong_case_and_expired_vouchers_are_refused(shopper: Shopper) -> None:
    session = await shopper("alice")
    for code in ("NOPE", "spring10", "OLD5"):
        with pytest.raises(VoucherError) as info:
            await session.add_voucher(code)
        assert code in info.value.shopper_message
    assert await session.voucher_infos() == []


async def test_a_perfect_partner_discounts_the_line(shopper: Shopper) -> None:
    session = await shopper("alice")
    await fill(session)
    await session.add_voucher("PARTNER")
    tee = session.cart_entries()[0]
    assert tee.price(PriceFilter(LINE, DISCOUNT)) == "$38.00"
    assert (await session.pricing()).subtotal == Decimal("157.00")
    info = next(p for p in await session.promotions() if p.path == TEE_DEAL)
    assert (info.status, info.cart_entry_index) == (PromotionStatus.FIRED, 0)
    await session.delete_cart_entry(1)  # no jacket: no discount
    assert (await session.pricing()).subtotal == Decimal("48.00")


async def test_a_segment_promotion_fires_for_its_segment_only(shopper: Shopper) -> None:
    vip = await shopper("alice", segments=frozenset({"vip"}))
    await fill(vip)
    await vip.update_order({"shipping-option": STANDARD, "shipping.country": "US"})
    assert (await vip.pricing()).shipping == Decimal("0")
    assert FREE_SHIP in {p.path for p in await vip.promotions()}
    plain = await shopper("alice")
    assert (await plain.pricing()).shipping == Decimal("10.00")


async def test_shipping_methods_and_prices_depend_on_address_and_items(shopper: Shopper) -> None:
    session = await shopper("alice")
    await fill(session)
    assert {m.path for m in await session.available_shipping_methods()} == {
        STANDARD,
        EXPRESS,
        INTERNATIONAL,
    }
    await session.update_order_details(address("x", "CA"), "x")
    await session.update_order({"shipping.country": "CA"})
    quotes = {m.path: p.amount for m, p in await session.shipping_quotes()}
    assert quotes == {STANDARD: Decimal("15.00"), INTERNATIONAL: Decimal("40.00")}
    await session.update_order({"shipping.country": "US"})
    quotes = {m.path: p.amount for m, p in await session.shipping_quotes()}
    assert quotes[EXPRESS] == Decimal("28.00")  # 25.00 + 1.00 per item


async def test_card_data_is_refused_outside_submit(shopper: Shopper) -> None:
    session = await shopper("alice")
    with pytest.raises(SensitiveFieldError):
        await session.update_order({"card.number": "4242424242424242"})
    with pytest.raises(SensitiveFieldError):
        await session.update_order_details({"number": "4242"}, "card")
    assert await session.order() == {}


async def test_order_details_by_predicate(shopper: Shopper) -> None:
    session = await shopper("alice")
    await session.update_order({**address("billing"), "billing.street2": "Flat 2"})
    await session.update_order_details({"city": "Paris", "country": "FR"}, "billing")
    assert await session.order_details("billing") == {"city": "Paris", "country": "FR"}
    await session.update_order({"billing.city": None})
    assert await session.order() == {"billing.country": "FR"}


async def test_submit_stores_the_order_without_card_data_and_empties_the_cart(
    shopper: Shopper, shop: Repository, manager: CommerceSessionManager
) -> None:
    session = await shopper("alice")
    await fill(session)
    old_order_id = session.order_id
    await session.update_order(checkout_details())
    order = await session.submit_order(card(), idempotency_key="k-1")
    assert order.order_id == old_order_id
    assert order.status == "Processing"
    assert order.total.amount == Decimal("187.02")
    assert order.payment_token
    assert order.payment_token.startswith("tok_test_")
    assert session.cart_entry_count == 0
    assert session.order_id != old_order_id
    assert all(not k.startswith("card.") for k in order.order)
    node = await shop.session("admin").node(order.path)
    stored = {k: str(v.python()) for k, v in node.properties.items()}
    assert "4242424242424242" not in str(stored)
    assert "123" not in stored.values()
    assert [(e.sku, e.quantity, e.prices[1].amount) for e in order.cart_entries] == [
        ("TEE-1", 2, Decimal("24.00")),
        ("JKT-1", 1, Decimal("119.00")),
    ]
    again = await session.submit_order(card(), idempotency_key="k-1")
    assert again.path == order.path
    placed = await session.placed_orders()
    assert [o.order_id for o in placed.orders] == [order.order_id]
    connector = manager.payment()
    assert isinstance(connector, TestPaymentConnector)
    assert len(connector.authorizations) == 1
    fulfilment = await shop.session("admin").get_node(
        f"/var/commerce/fulfilment/main/{order.order_id}"
    )
    assert fulfilment is not None
    assert fulfilment.properties["lines"].python() == [f"TEE-1;2;{TEE}", f"JKT-1;1;{JACKET}"]


async def test_a_declined_card_keeps_the_cart(shopper: Shopper) -> None:
    session = await shopper("alice")
    await fill(session)
    with pytest.raises(PaymentDeclinedError):
        await session.submit_order({**checkout_details(), **card(DECLINED_CARD)})
    assert session.cart_entry_count == 2
    assert (await session.placed_orders()).orders == ()


async def test_submit_with_missing_details_lists_them(shopper: Shopper) -> None:
    session = await shopper("alice")
    with pytest.raises(EmptyCartError):
        await session.submit_order(card())
    await fill(session)
    details = checkout_details()
    del details["billing.city"]
    with pytest.raises(OrderValidationError) as info:
        await session.submit_order({**details, **card()})
    assert "billing.city" in info.value.missing
    assert "shipping.city" in info.value.missing
    details = {**checkout_details(), "shipping-option": "/nowhere"}
    with pytest.raises(OrderValidationError) as info:
        await session.submit_order({**details, **card()})
    assert "shipping-option" in info.value.invalid
    assert session.cart_entry_count == 2


async def test_two_concurrent_submits_with_one_key_give_one_order(shopper: Shopper) -> None:
    session = await shopper("alice")
    await fill(session)
    other = await shopper("alice")
    delta = {**checkout_details(), **card()}
    first, second = await asyncio.gather(
        session.submit_order(delta, idempotency_key="same"),
        other.submit_order(delta, idempotency_key="same"),
    )
    assert first.path == second.path
    assert len((await session.placed_orders()).orders) == 1


async def test_many_concurrent_adds_lose_nothing(shopper: Shopper) -> None:
    sessions = [await shopper("alice") for _ in range(20)]
    tee = await sessions[0].product(TEE)
    jacket = await sessions[0].product(JACKET)
    assert tee is not None
    assert jacket is not None
    await asyncio.gather(
        *(s.add_cart_entry(tee if i % 2 else jacket, i + 1) for i, s in enumerate(sessions))
    )
    final = await shopper("alice")
    quantities = {e.product.path: e.quantity for e in (await final.pricing()).entries}
    assert quantities == {TEE: sum(range(2, 21, 2)), JACKET: sum(range(1, 20, 2))}


async def test_another_shopper_cannot_read_my_order(shopper: Shopper) -> None:
    session = await shopper("alice")
    await fill(session)
    order = await session.submit_order({**checkout_details(), **card()})
    bob = await shopper("bob")
    assert (await bob.placed_orders()).orders == ()
    assert await bob.placed_order(order.order_id) is None
    with pytest.raises(NotAuthorizedError):
        await bob.placed_order(order.path)
    mine = await session.placed_order(order.path)
    assert mine is not None
    assert mine.order_id == order.order_id


async def test_placed_orders_predicates_and_sorts(shopper: Shopper) -> None:
    session = await shopper("alice")
    for quantity in (1, 3):
        tee = await session.product(TEE)
        assert tee is not None
        await session.add_cart_entry(tee, quantity)
        await session.submit_order({**checkout_details(), **card()})
    result = await session.placed_orders("openOrders", sort_id="total-asc")
    assert [o.cart_entries[0].quantity for o in result.orders] == [1, 3]
    paged = await session.placed_orders(page=1, page_size=1, sort_id="total-asc")
    assert [o.cart_entries[0].quantity for o in paged.orders] == [3]
    assert paged.pagination is not None
    assert paged.pagination.total == 2
    with pytest.raises(QueryError):
        await session.placed_orders("closedOrders")
    with pytest.raises(QueryError):
        await session.placed_orders(sort_id="price")


async def test_a_replacement_connector_with_higher_ranking_wins(
    shopper: Shopper, manager: CommerceSessionManager
) -> None:
    class Failing(FulfilmentConnector):
        async def initiate(self, session: ContentSession, request: FulfilmentRequest) -> None:
            raise RuntimeError("warehouse offline")

    manager.services.register(FulfilmentConnector, Failing(), {"service.ranking": 10})
    assert isinstance(manager.payment(), PaymentConnector)
    session = await shopper("alice")
    await fill(session)
    order = await session.submit_order({**checkout_details(), **card()})
    assert order.status == "Placed"
    assert order.processing_error == "warehouse offline"
    assert CARD.endswith("card")
