"""The stored cart: lines in AEM's entry format, the order under construction, and the
`CartEntry` values the session hands out (commerce-api §6.2).

A cart is one node (`/var/commerce/carts/users/<user>` or `/var/commerce/carts/anonymous/<id>`)
whose `cartItems` are `path;qty;k=v\\fk=v` strings. The internal keys `lineId` (the stable
line id), and in orders `price`, `sku` and `title` (snapshots), are not user properties.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from commerce import constants as C
from commerce.errors import InvalidCommerceRequest
from commerce.money import PriceInfo, PriceSelector, first, select
from commerce.product import convert_value
from commerce.service import JcrCommerceService

if TYPE_CHECKING:
    from commerce.product import Product
    from repo_server.model.node import Node as RepoNode
    from repo_server.model.values import Property

INTERNAL_KEYS: Final = frozenset({"lineId", "price", "sku", "title"})
_KEY: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")
_MAX_VALUE: Final = 1000


def check_properties(properties: Mapping[Any, Any] | None, *, allow_none: bool = False) -> None:
    """User properties of a line: short names, string values without control characters;
    InvalidCommerceRequest otherwise (nothing is written)."""
    for key, value in (properties or {}).items():
        if not isinstance(key, str) or not _KEY.match(key) or key in INTERNAL_KEYS:
            raise InvalidCommerceRequest(f"{key!r} cannot be a cart entry property", key=key)
        if value is None and allow_none:
            continue
        if not isinstance(value, str):
            raise InvalidCommerceRequest(f"cart entry property {key} must be a string", key=key)
        if len(value) > _MAX_VALUE or any(ord(ch) < 0x20 for ch in value):
            raise InvalidCommerceRequest(f"cart entry property {key} is not allowed", key=key)


@dataclass(slots=True)
class Line:
    """One stored cart line."""

    path: str
    quantity: int
    properties: dict[str, str] = field(default_factory=dict)
    line_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    snapshot: dict[str, str] = field(default_factory=dict)  # price/sku/title (orders only)

    @property
    def read_only(self) -> bool:
        return self.properties.get(C.PN_READONLY, "").lower() == "true"

    def encode(self, snapshot: Mapping[str, str] | None = None) -> str:
        props = {"lineId": self.line_id, **(snapshot or {}), **self.properties}
        return JcrCommerceService.serialize_cart_entry(self.path, self.quantity, props)

    @classmethod
    def decode(cls, text: str) -> Line:
        path, quantity, props = JcrCommerceService.deserialize_cart_entry(text)
        line_id = props.pop("lineId", None) or str(uuid.uuid4())
        snapshot: dict[str, str] = {
            k: props.pop(k) for k in ("price", "sku", "title") if k in props
        }
        return cls(path, quantity, props, line_id, snapshot)

    def same_line(self, path: str, properties: Mapping[str, str]) -> bool:
        """The merge rule: same product, equal user properties."""
        return self.path == path and self.properties == dict(properties)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


@dataclass(slots=True)
class CartState:
    """What a cart node holds; `exists` is false until the first write."""

    path: str
    exists: bool = False
    lines: list[Line] = field(default_factory=list)
    order_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    vouchers: list[str] = field(default_factory=list)
    promotions: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    owner: str | None = None
    # The node's properties as read: a write expects them unchanged (optimistic concurrency
    # against writers outside this process's cart locks). None: not read, or written since.
    stored: Mapping[str, Property] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_node(cls, path: str, node: RepoNode | None) -> CartState:
        if node is None:
            return cls(path)
        props = {k: v.python() for k, v in node.properties.items()}
        details: dict[str, str] = {}
        raw = props.get("orderDetails")
        if isinstance(raw, str) and raw:
            loaded = json.loads(raw)
            if isinstance(loaded, dict):
                details = {str(k): str(v) for k, v in loaded.items()}
        return cls(
            path=path,
            exists=True,
            lines=[Line.decode(t) for t in _strings(props.get("cartItems"))],
            order_id=str(props.get("orderId") or uuid.uuid4()),
            vouchers=_strings(props.get("vouchers")),
            promotions=_strings(props.get("promotions")),
            details=details,
            owner=str(props["owner"]) if props.get("owner") else None,
            stored=node.properties,
        )

    def properties(self) -> dict[str, Any]:
        """The node properties (None removes one)."""
        return {
            "cartItems": [x.encode() for x in self.lines] or None,
            "orderId": self.order_id,
            "vouchers": list(self.vouchers) or None,
            "promotions": list(self.promotions) or None,
            "orderDetails": json.dumps(self.details, sort_keys=True) if self.details else None,
            "owner": self.owner,
            "lastModified": datetime.now(UTC),
        }

    def clear(self) -> None:
        """Empty after a submit: no lines, vouchers, promotions or details, a new order id."""
        self.lines.clear()
        self.vouchers.clear()
        self.promotions.clear()
        self.details.clear()
        self.order_id = str(uuid.uuid4())


class PricedLine:
    """What cart entries and order entries share: prices by filter, typed line properties."""

    __slots__ = ()
    prices: tuple[PriceInfo, ...]
    properties: Mapping[str, str]

    def price_info(self, filter: PriceSelector = None) -> list[PriceInfo]:
        return select(self.prices, filter)

    def price(self, filter: PriceSelector = None) -> str | None:
        found = first(self.prices, filter)
        return None if found is None else found.formatted

    def get_property(self, name: str, type: Any = None, default: Any = None) -> Any:
        raw = self.properties.get(name)
        if raw is None:
            return default
        try:
            return convert_value(raw, type)
        except (ValueError, TypeError):
            return default


@dataclass(frozen=True, slots=True)
class CartEntry(PricedLine):
    """A priced cart line (commerce-api §6.2); prices are general first."""

    index: int
    line_id: str
    product: Product
    quantity: int
    properties: Mapping[str, str]
    prices: tuple[PriceInfo, ...]

    @property
    def read_only(self) -> bool:
        return bool(self.get_property(C.PN_READONLY, bool, False))


def frozen_props(props: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(props))
