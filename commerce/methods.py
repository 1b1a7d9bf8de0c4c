"""Shipping and payment methods (commerce-api §7): nodes under
`/var/commerce/{shipping,payment}-methods/<provider>`, in document order.

Shipping prices depend on the items and the address (issue 5): besides the flat `price`, a
method node may carry `pricePerItem` (added per unit in the cart), `countryPrices`
(`["CA=25.00", ...]`, replacing `price` for that shipping country) and `freeOver` (shipping is
free when the cart subtotal reaches it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, TypeVar

from commerce.errors import InvalidMoneyError
from commerce.money import parse_amount
from commerce.product import convert_value
from commerce.repo import Node, PropertyValue, RepoSession
from repo_server.model import names as N
from repo_server.model import path as P

M = TypeVar("M", bound="_Method")

SHIPPING_ROOT: Final = "/var/commerce/shipping-methods"
PAYMENT_ROOT: Final = "/var/commerce/payment-methods"


def _strings(value: PropertyValue | None) -> tuple[str, ...]:
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    return tuple(str(v).strip() for v in values if str(v).strip())


@dataclass(frozen=True, slots=True)
class _Method:
    path: str
    predicate: str
    title: str | None = None
    description: str | None = None
    ui_path: str | None = None
    redirect_url: str | None = None
    countries: tuple[str, ...] | None = None
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return P.name(self.path)

    def image_url(self, selector: str | None = None) -> str | None:
        key = f"imageUrl.{selector}" if selector else "imageUrl"
        found = self.properties.get(key) or self.properties.get("imageUrl")
        return found if isinstance(found, str) else None

    def get_property(self, name: str, type: Any = None) -> Any:
        raw = self.properties.get(name)
        if raw is None:
            return None
        try:
            return convert_value(raw, type)
        except (ValueError, TypeError):
            return None

    def ships_to(self, country: str | None) -> bool:
        """A method with `countries` is only offered for those (country None: not yet known)."""
        if self.countries is None or country is None:
            return True
        return country.upper() in self.countries or "*" in self.countries


@dataclass(frozen=True, slots=True)
class ShippingMethod(_Method):
    price: Decimal = Decimal("0")
    price_per_item: Decimal = Decimal("0")
    country_prices: Mapping[str, Decimal] = field(default_factory=dict)
    free_over: Decimal | None = None

    def quote(self, subtotal: Decimal, item_count: int, country: str | None) -> Decimal:
        """The method's price for a cart of `item_count` units worth `subtotal`, shipped to
        `country`."""
        if self.free_over is not None and subtotal >= self.free_over:
            return Decimal("0")
        base = self.country_prices.get((country or "").upper(), self.price)
        return base + self.price_per_item * item_count


@dataclass(frozen=True, slots=True)
class PaymentMethod(_Method):
    sensitive_fields: tuple[str, ...] = ()


def _common(node: Node, predicate: str) -> dict[str, Any]:
    countries = _strings(node.properties.get("countries"))
    return {
        "path": node.path,
        "predicate": node.string("predicate") or predicate,
        "title": node.string(N.JCR_TITLE),
        "description": node.string(N.JCR_DESCRIPTION),
        "ui_path": node.string("uiPath"),
        "redirect_url": node.string("redirectUrl"),
        "countries": tuple(c.upper() for c in countries) if countries else None,
        "properties": MappingProxyType(dict(node.properties)),
    }


def _money(node: Node, name: str) -> Decimal | None:
    raw = node.properties.get(name)
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        return raw
    return parse_amount(str(raw), field_name=f"{node.path}/{name}")


def shipping_method(node: Node) -> ShippingMethod:
    """InvalidMoneyError for a node whose prices are not decimals."""
    prices: dict[str, Decimal] = {}
    for item in _strings(node.properties.get("countryPrices")):
        country, sep, amount = item.partition("=")
        if not sep:
            raise InvalidMoneyError(f"{node.path}: countryPrices {item!r} is not CC=<amount>")
        prices[country.strip().upper()] = parse_amount(amount, field_name="countryPrices")
    return ShippingMethod(
        **_common(node, "shipping"),
        price=_money(node, "price") or Decimal("0"),
        price_per_item=_money(node, "pricePerItem") or Decimal("0"),
        country_prices=MappingProxyType(prices),
        free_over=_money(node, "freeOver"),
    )


def payment_method(node: Node) -> PaymentMethod:
    return PaymentMethod(
        **_common(node, "payment"),
        sensitive_fields=_strings(node.properties.get("sensitiveFields")),
    )


async def load_shipping_methods(repo: RepoSession, provider: str) -> list[ShippingMethod]:
    return [shipping_method(n) for n in await repo.children(P.join(SHIPPING_ROOT, provider))]


async def load_payment_methods(repo: RepoSession, provider: str) -> list[PaymentMethod]:
    return [payment_method(n) for n in await repo.children(P.join(PAYMENT_ROOT, provider))]


def find_method(methods: Sequence[M], path_or_name: str | None) -> M | None:
    if not path_or_name:
        return None
    return next((m for m in methods if path_or_name in (m.path, m.name)), None)


# Seeded on first start when a provider has no methods yet, so a fresh instance can take
# orders; a deployment replaces them with its own nodes.
DEFAULT_SHIPPING: Final[tuple[tuple[str, dict[str, Any]], ...]] = (
    (
        "standard",
        {
            "jcr:title": "Standard (5-7 days)",
            "price": Decimal("10.00"),
            "freeOver": Decimal("500.00"),
            "countryPrices": ["CA=15.00", "MX=15.00"],
            "countries": ["US", "CA", "MX"],
        },
    ),
    (
        "express",
        {
            "jcr:title": "Express (1-2 days)",
            "price": Decimal("25.00"),
            "pricePerItem": Decimal("1.00"),
            "countries": ["US"],
        },
    ),
    (
        "international",
        {
            "jcr:title": "International",
            "price": Decimal("40.00"),
            "countries": ["*"],
        },
    ),
)
DEFAULT_PAYMENT: Final[tuple[tuple[str, dict[str, Any]], ...]] = (
    (
        "card",
        {
            "jcr:title": "Credit card",
            "connector": "test",
        },
    ),
)
