"""The cart of a JcrCommerceSession: add, merge, modify, delete, totals (spec §6.2-§6.3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce.errors import (
    CartEntryIndexError,
    InvalidQuantityError,
    NotPurchasableError,
    ReadOnlyCartEntryError,
)
from commerce.money import CART, ORDER, POST_TAX, PRE_TAX, SHIPPING, TAX, PriceFilter
from commerce.product import Product
from commerce.session import JcrCommerceSession

from .session_support import (
    EBOOK,
    JACKET,
    MITTENS,
    SHIRT,
    SHIRT_M,
    SHIRT_S,
    STANDARD,
    TEE,
    Shopper,
)


async def product(session: JcrCommerceSession, path: str) -> Product:
    found = await session.product(path)
    assert found is not None, path
    return found


async def test_the_we_retail_example_totals_167_00_10_02_187_02(shopper: Shopper) -> None:
    session = await shopper("alice")
    await session.add_cart_entry(await product(session, TEE), 2)
    await session.add_cart_entry(await product(session, JACKET), 1)
    await session.update_order({"shipping-option": STANDARD, "shipping.country": "US"})
    assert await session.cart_price() == "$167.00"  # no filter: the subtotal (AEM semantics)
    assert await session.cart_price(PriceFilter(CART, PRE_TAX)) == "$167.00"
    assert await session.cart_price(PriceFilter(CART, TAX)) == "$10.02"
    assert await session.cart_price(PriceFilter(SHIPPING, PRE_TAX)) == "$10.00"
    assert await session.cart_price(PriceFilter(ORDER, TAX)) == "$10.02"
    assert await session.cart_price(PriceFilter(POST_TAX)) == "$187.02"
    pricing = await session.pricing()
    assert (pricing.subtotal, pricing.tax, pricing.total) == (
        Decimal("167.00"),
        Decimal("10.02"),
        Decimal("187.02"),
    )


async def test_the_same_product_and_properties_merge_into_one_line(shopper: Shopper) -> None:
    session = await shopper("alice")
    tee = await product(session, TEE)
    first = await session.add_cart_entry(tee, 1, {"engraving": "A"})
    again = await session.add_cart_entry(tee, 2, {"engraving": "A"})
    other = await session.add_cart_entry(tee, 1, {"engraving": "B"})
    assert again.line_id == first.line_id
    assert again.quantity == 3
    assert other.index == 1
    assert session.cart_entry_count == 2


async def test_entries_are_renumbered_after_a_delete(shopper: Shopper) -> None:
    session = await shopper("alice")
    for path in (TEE, JACKET, MITTENS):
        await session.add_cart_entry(await product(session, path), 1)
    await session.delete_cart_entry(1)
    entries = session.cart_entries()
    assert [(e.index, e.product.path) for e in entries] == [(0, TEE), (1, MITTENS)]
    with pytest.raises(CartEntryIndexError):
        await session.modify_cart_entry(2, 1)


async def test_modify_to_zero_deletes_and_negative_is_refused(shopper: Shopper) -> None:
    session = await shopper("alice")
    await session.add_cart_entry(await product(session, TEE), 2)
    with pytest.raises(InvalidQuantityError):
        await session.modify_cart_entry(0, -1)
    assert session.cart_entries()[0].quantity == 2
    assert await session.modify_cart_entry(0, 0) is None
    assert session.cart_entry_count == 0


async def test_quantity_must_be_a_positive_integer(shopper: Shopper) -> None:
    session = await shopper("alice")
    tee = await product(session, TEE)
    for bad in (0, -1, True, 1.5, "2"):
        with pytest.raises(InvalidQuantityError):
            await session.add_cart_entry(tee, bad)  # type: ignore[arg-type]  # bad on purpose
    assert session.cart_entry_count == 0


async def test_a_base_product_with_variants_is_not_purchasable(shopper: Shopper) -> None:
    session = await shopper("alice")
    with pytest.raises(NotPurchasableError):
        await session.add_cart_entry(await product(session, SHIRT), 1)
    entry = await session.add_cart_entry(await product(session, SHIRT_M), 1)
    assert entry.price_info(PriceFilter("UNIT"))[0].amount == Decimal("18.00")
    small = await session.add_cart_entry(await product(session, SHIRT_S), 1)
    assert small.price_info(PriceFilter("UNIT"))[0].amount == Decimal("14.00")


async def test_a_read_only_entry_cannot_be_changed(shopper: Shopper) -> None:
    session = await shopper("alice")
    await session.add_cart_entry(await product(session, TEE), 1, {"readonly": "true"})
    with pytest.raises(ReadOnlyCartEntryError):
        await session.modify_cart_entry(0, 3)
    with pytest.raises(ReadOnlyCartEntryError):
        await session.delete_cart_entry(0)


async def test_quantity_tiers_price_the_line(shopper: Shopper) -> None:
    session = await shopper("alice")
    mittens = await product(session, MITTENS)
    added = await session.add_cart_entry(mittens, 9)
    assert added.price(PriceFilter("LINE")) == "$90.00"
    entry = await session.modify_cart_entry(0, 10)
    assert entry is not None
    assert entry.price(PriceFilter("LINE")) == "$90.00"
    entry = await session.modify_cart_entry(0, 75)
    assert entry is not None
    assert entry.price(PriceFilter("LINE")) == "$600.00"
    assert entry.price(PriceFilter("UNIT")) == "$8.00"


async def test_a_vat_free_product_adds_no_tax(shopper: Shopper) -> None:
    session = await shopper("alice")
    await session.add_cart_entry(await product(session, EBOOK), 1)
    await session.add_cart_entry(await product(session, TEE), 1)
    pricing = await session.pricing()
    assert (pricing.subtotal, pricing.tax) == (Decimal("34.00"), Decimal("1.44"))
    prices = await session.product_price_info(await product(session, EBOOK))
    assert [p.amount for p in prices] == [Decimal("10.00"), Decimal("10.00")]


async def test_the_cart_survives_a_new_session(shopper: Shopper) -> None:
    first = await shopper("alice")
    await first.add_cart_entry(await product(first, TEE), 2)
    again = await shopper("alice")
    assert (await again.pricing()).subtotal == Decimal("48.00")
    assert again.order_id == first.order_id
    other = await shopper("bob")
    assert other.cart_entry_count == 0


async def test_a_locale_with_prices_in_its_currency_switches_the_cart(shopper: Shopper) -> None:
    session = await shopper("alice", locale="de-DE")
    entry = await session.add_cart_entry(await product(session, SHIRT_S), 1)
    assert entry.price(PriceFilter("UNIT")) == "13,00\u00a0€"
