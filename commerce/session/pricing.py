"""The JCR cart calculation (commerce-api §6.3) with promotions (§6.4, §8).

`price_cart` is given the lines with their products and unit prices, the promotions that
may fire (already in application order) and the selected shipping method, and returns every
entry and cart price. Quantisation is half-up to the currency's minor units; formatting never
rounds again. VAT-free products (`vatFree=true`) are left out of the tax base, the order
discount being spread over taxable and VAT-free lines in proportion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from commerce.methods import ShippingMethod
from commerce.money import (
    CART,
    DISCOUNT,
    LINE,
    ORDER,
    POST_TAX,
    PRE_TAX,
    SHIPPING,
    TAX,
    TOTAL,
    UNIT,
    PriceInfo,
    quantize,
)
from commerce.promotions import (
    LineView,
    PricingView,
    Promotion,
    PromotionHandler,
    PromotionInfo,
    PromotionStatus,
)
from commerce.session.cart import CartEntry, Line, frozen_props

if TYPE_CHECKING:
    from commerce.product import Product

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class PricedLine:
    line: Line
    product: Product
    unit: PriceInfo  # the tier that applies to the line's quantity
    vat_free: bool = False


@dataclass(frozen=True, slots=True)
class CartPricing:
    entries: tuple[CartEntry, ...]
    prices: tuple[PriceInfo, ...]
    promotions: tuple[PromotionInfo, ...]
    currency: str
    locale: str
    subtotal: Decimal
    order_discount: Decimal
    tax: Decimal
    shipping: Decimal
    shipping_tax: Decimal
    total: Decimal
    shipping_method: ShippingMethod | None
    fired: tuple[str, ...]  # paths of the promotions that gave a discount

    def money(self, amount: Decimal) -> PriceInfo:
        return PriceInfo(quantize(amount, self.currency), self.currency, self.locale)


def _types(*names: str) -> frozenset[str]:
    return frozenset(names)


async def price_cart(
    lines: Sequence[PricedLine],
    *,
    currency: str,
    locale: str,
    promotions: Sequence[Promotion],
    handlers: Mapping[str, PromotionHandler],
    not_applicable: Sequence[Promotion] = (),
    shipping_method: ShippingMethod | None = None,
    country: str | None = None,
    tax_rate: Decimal = Decimal("0.06"),
    shipping_tax_rate: Decimal = ZERO,
) -> CartPricing:
    views = tuple(
        LineView(
            index=i,
            product_path=p.line.path,
            sku=p.product.sku,
            quantity=p.line.quantity,
            unit=p.unit.amount,
            line=quantize(p.unit.amount * p.line.quantity, currency),
        )
        for i, p in enumerate(lines)
    )
    view = PricingView(views, currency, locale)
    fired: dict[str, Decimal] = {}
    first_entry: dict[str, int] = {}

    # Line promotions, in application order; a line never goes below 0.
    line_discount = [ZERO] * len(views)
    for promotion in promotions:
        handler = handlers.get(promotion.type)
        if handler is None:
            continue
        for entry in views:
            found = await handler.apply_cart_entry(view, promotion, entry)
            if found is None or found.amount <= 0:
                continue
            room = entry.line - line_discount[entry.index]
            amount = min(quantize(found.amount, currency), room)
            if amount > 0:
                line_discount[entry.index] += amount
                fired[promotion.path] = fired.get(promotion.path, ZERO) + amount
                first_entry.setdefault(promotion.path, entry.index)
    effective = [v.line - d for v, d in zip(views, line_discount, strict=True)]
    subtotal = sum(effective, ZERO)
    view = replace(view, subtotal=subtotal)

    # Order promotions, capped at the subtotal.
    order_discount = ZERO
    for promotion in promotions:
        handler = handlers.get(promotion.type)
        found = None if handler is None else await handler.apply_order(view, promotion)
        if found is None or found.amount <= 0:
            continue
        amount = min(quantize(found.amount, currency), subtotal - order_discount)
        if amount > 0:
            order_discount += amount
            fired[promotion.path] = fired.get(promotion.path, ZERO) + amount

    # Shipping: the selected method's quote for these items and this country, less the
    # shipping promotions, never below 0.
    items = sum(v.quantity for v in views)
    shipping = ZERO
    if shipping_method is not None and views:
        shipping = quantize(shipping_method.quote(subtotal, items, country), currency)
    view = replace(view, shipping=shipping)
    for promotion in promotions:
        handler = handlers.get(promotion.type)
        found = None if handler is None else await handler.apply_shipping(view, promotion)
        if found is None or found.amount <= 0:
            continue
        amount = min(quantize(found.amount, currency), shipping)
        if amount > 0:
            shipping -= amount
            fired[promotion.path] = fired.get(promotion.path, ZERO) + amount

    taxable = subtotal - order_discount
    vat_free_lines = sum((e for e, p in zip(effective, lines, strict=True) if p.vat_free), ZERO)
    tax_base = taxable
    if vat_free_lines and subtotal:
        tax_base = taxable - quantize(taxable * vat_free_lines / subtotal, currency)
    tax = quantize(tax_base * tax_rate, currency)
    shipping_tax = quantize(shipping * shipping_tax_rate, currency)
    total = taxable + tax + shipping + shipping_tax

    entries = []
    for i, (p, v) in enumerate(zip(lines, views, strict=True)):
        prices = [PriceInfo(v.line, currency, locale, _types(LINE, PRE_TAX))]
        discounted = None
        if line_discount[i] > 0:
            discounted = max(v.line - line_discount[i], ZERO)
            prices.append(PriceInfo(discounted, currency, locale, _types(LINE, PRE_TAX, DISCOUNT)))
        prices.append(PriceInfo(p.unit.amount, currency, locale, _types(UNIT, PRE_TAX)))
        if discounted is not None:
            unit = quantize(discounted / v.quantity, currency)
            prices.append(PriceInfo(unit, currency, locale, _types(UNIT, PRE_TAX, DISCOUNT)))
        entries.append(
            CartEntry(
                index=i,
                line_id=p.line.line_id,
                product=p.product,
                quantity=p.line.quantity,
                properties=frozen_props(p.line.properties),
                prices=tuple(prices),
            )
        )

    cart = [
        PriceInfo(subtotal, currency, locale, _types(CART, PRE_TAX)),
        PriceInfo(tax, currency, locale, _types(CART, TAX)),
        PriceInfo(shipping, currency, locale, _types(SHIPPING, PRE_TAX)),
        PriceInfo(shipping_tax, currency, locale, _types(SHIPPING, TAX)),
        PriceInfo(tax + shipping_tax, currency, locale, _types(ORDER, TAX)),
    ]
    if order_discount > 0:
        cart.append(PriceInfo(order_discount, currency, locale, _types(ORDER, DISCOUNT)))
    cart.append(PriceInfo(total, currency, locale, _types(TOTAL, ORDER, POST_TAX)))

    infos = []
    for promotion in promotions:
        handler = handlers.get(promotion.type)
        status = PromotionStatus.FIRED if promotion.path in fired else PromotionStatus.POTENTIAL
        messages = {} if handler is None else await handler.messages(view, promotion)
        index = first_entry.get(promotion.path)
        message = messages.get(index if index is not None else -1)
        description = None if handler is None else await handler.description(view, promotion)
        infos.append(
            PromotionInfo(promotion.path, promotion.title, status, description, message, index)
        )
    for promotion in not_applicable:
        infos.append(
            PromotionInfo(
                promotion.path,
                promotion.title,
                PromotionStatus.NOT_APPLICABLE,
                promotion.description,
                None,
                None,
            )
        )
    return CartPricing(
        entries=tuple(entries),
        prices=tuple(cart),
        promotions=tuple(infos),
        currency=currency,
        locale=locale,
        subtotal=subtotal,
        order_discount=order_discount,
        tax=tax,
        shipping=shipping,
        shipping_tax=shipping_tax,
        total=total,
        shipping_method=shipping_method,
        fired=tuple(fired),
    )
