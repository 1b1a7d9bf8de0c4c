"""Placed orders (commerce-api §6.7): what `submit_order` stored, read back.

An order's entries are priced from the unit price snapshotted at submit time, so history
never shows today's prices; they name the product by path (the product may be gone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

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
    PriceSelector,
    first,
    quantize,
    select,
)
from commerce.session.cart import Line, PricedLine, frozen_props
from repo_server.model.node import Node as RepoNode

ORDERS_ROOT: Final = "/var/commerce/orders"
SHOPPER_INDEX: Final = "/var/commerce/orders/by-shopper"
DETAILS_NODE: Final = "order-details"
OPEN_EXCLUDED: Final = frozenset({"Completed", "Cancelled"})
SORTS: Final = ("placed-desc", "placed-asc", "total-desc", "total-asc")


@dataclass(frozen=True, slots=True)
class OrderEntry(PricedLine):
    index: int
    product: str  # the product path at submit time
    sku: str
    title: str | None
    quantity: int
    properties: Mapping[str, str]
    prices: tuple[PriceInfo, ...]


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order_id: str
    path: str
    status: str
    placed_at: datetime
    user_id: str
    order: Mapping[str, str]
    cart_entries: tuple[OrderEntry, ...]
    prices: tuple[PriceInfo, ...]
    promotions: tuple[str, ...]
    vouchers: tuple[str, ...]
    idempotency_key: str | None
    payment_token: str | None
    processing_error: str | None = None

    def cart_price_info(self, filter: PriceSelector = None) -> list[PriceInfo]:
        return select(self.prices, filter)

    def cart_price(self, filter: PriceSelector = None) -> str | None:
        found = first(self.prices, filter)
        return None if found is None else found.formatted

    @property
    def total(self) -> PriceInfo:
        found = first(self.prices, lambda p: POST_TAX in p.types)
        assert found is not None  # every stored order has its total
        return found


@dataclass(frozen=True, slots=True)
class Pagination:
    page: int
    page_size: int
    total: int


@dataclass(frozen=True, slots=True)
class PlacedOrderResult:
    orders: tuple[PlacedOrder, ...]
    sorts: tuple[str, ...]
    pagination: Pagination | None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value if value is not None else "0"))


def order_from_node(node: RepoNode, details: RepoNode | None) -> PlacedOrder:
    props = {k: v.python() for k, v in node.properties.items()}
    currency = str(props.get("currencyCode") or "USD")
    locale = str(props.get("jcr:language") or "en_US")

    def money(amount: Decimal, *types: str) -> PriceInfo:
        return PriceInfo(amount, currency, locale, frozenset(types))

    items = props.get("cartItems") or []
    entries = []
    for i, text in enumerate(items if isinstance(items, list) else [items]):
        line = Line.decode(str(text))
        unit = _decimal(line.snapshot.get("price"))
        entries.append(
            OrderEntry(
                index=i,
                product=line.path,
                sku=line.snapshot.get("sku", ""),
                title=line.snapshot.get("title"),
                quantity=line.quantity,
                properties=frozen_props(line.properties),
                prices=(
                    money(quantize(unit * line.quantity, currency), LINE, PRE_TAX),
                    money(unit, UNIT, PRE_TAX),
                ),
            )
        )
    subtotal = _decimal(props.get("cartSubtotal"))
    tax = _decimal(props.get("cartTax"))
    shipping = _decimal(props.get("orderShipping"))
    total_tax = _decimal(props.get("orderTotalTax"))
    discount = _decimal(props.get("orderDiscount"))
    prices = [
        money(subtotal, CART, PRE_TAX),
        money(tax, CART, TAX),
        money(shipping, SHIPPING, PRE_TAX),
        money(total_tax - tax, SHIPPING, TAX),
        money(total_tax, ORDER, TAX),
    ]
    if discount > 0:
        prices.append(money(discount, ORDER, DISCOUNT))
    prices.append(money(_decimal(props.get("orderTotalPrice")), TOTAL, ORDER, POST_TAX))
    order = (
        {k: str(v.python()) for k, v in details.properties.items() if not k.startswith("jcr:")}
        if details is not None
        else {}
    )
    placed = props.get("orderPlaced")

    def strings(value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        return tuple(str(v) for v in (value if isinstance(value, list) else [value]))

    return PlacedOrder(
        order_id=str(props.get("orderId") or node.name),
        path=node.path,
        status=str(props.get("orderStatus") or "Placed"),
        placed_at=placed if isinstance(placed, datetime) else datetime.fromisoformat(str(placed)),
        user_id=str(props.get("userId") or ""),
        order=frozen_props(order),
        cart_entries=tuple(entries),
        prices=tuple(prices),
        promotions=strings(props.get("promotions")),
        vouchers=strings(props.get("vouchers")),
        idempotency_key=str(props["idempotencyKey"]) if props.get("idempotencyKey") else None,
        payment_token=str(props["paymentToken"]) if props.get("paymentToken") else None,
        processing_error=str(props["processingError"]) if props.get("processingError") else None,
    )
