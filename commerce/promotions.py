"""Promotions and vouchers (commerce-api §8): campaign pages under `/content/campaigns`,
ranked handlers by promotion `type`, and the values the session reports.

Layout: a campaign is a page whose `jcr:content` may carry `onTime`, `offTime` and
`priority`; each promotion or voucher is a page below it whose `jcr:content` has
`sling:resourceType` `commerce/components/promotion` (`type`, `priority`, config keys) or
`commerce/components/voucher` (`code`, `promotion`, `jcr:title`, `message`).

Handlers see a `PricingView` of the cart being calculated (entries with their line totals,
the subtotal, the shipping price) rather than the whole session: that is all a discount may
depend on, and it keeps them pure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any, Final

from commerce.errors import CommerceError
from commerce.money import PriceInfo, parse_amount, quantize
from commerce.product import convert_value
from commerce.repo import Node, PropertyValue, RepoSession
from repo_server.model import names as N
from repo_server.model import path as P

log = logging.getLogger(__name__)

CAMPAIGNS_ROOT: Final = "/content/campaigns"
RT_PROMOTION: Final = "commerce/components/promotion"
RT_VOUCHER: Final = "commerce/components/voucher"
DEFAULT_PRIORITY: Final = 100


class PromotionStatus(Enum):
    FIRED = "FIRED"
    POTENTIAL = "POTENTIAL"
    NOT_APPLICABLE = "NOT_APPLICABLE"


def _valid(on: datetime | None, off: datetime | None, now: datetime) -> bool:
    return (on is None or on <= now) and (off is None or now < off)


@dataclass(frozen=True, slots=True)
class Promotion:
    path: str
    title: str | None
    description: str | None
    type: str
    priority: int
    segments: tuple[str, ...] | None
    config: Mapping[str, Any]
    on_time: datetime | None = None
    off_time: datetime | None = None

    def is_valid(self, now: datetime) -> bool:
        return _valid(self.on_time, self.off_time, now)


@dataclass(frozen=True, slots=True)
class Voucher:
    code: str
    path: str
    title: str | None
    description: str | None
    priority: int
    promotion_path: str | None
    config: Mapping[str, Any]
    on_time: datetime | None = None
    off_time: datetime | None = None

    async def is_valid(self, now: datetime) -> bool:
        return _valid(self.on_time, self.off_time, now)

    @property
    def message(self) -> str:
        found = self.config.get("message")
        return found if isinstance(found, str) else f"Voucher {self.code} applied."

    @property
    def invalid_message(self) -> str:
        found = self.config.get("invalidMessage")
        return found if isinstance(found, str) else f"Voucher {self.code} is not valid now."


@dataclass(frozen=True, slots=True)
class VoucherInfo:
    code: str
    path: str | None
    title: str | None
    description: str | None
    is_valid: bool
    message: str


@dataclass(frozen=True, slots=True)
class PromotionInfo:
    path: str
    title: str | None
    status: PromotionStatus
    description: str | None
    message: str | None
    cart_entry_index: int | None


# --- what handlers see ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LineView:
    index: int
    product_path: str
    sku: str
    quantity: int
    unit: Decimal
    line: Decimal  # quantity x unit, before promotions


@dataclass(frozen=True, slots=True)
class PricingView:
    """The cart being calculated: entries, the subtotal after line discounts, shipping."""

    entries: tuple[LineView, ...]
    currency: str
    locale: str
    subtotal: Decimal = Decimal("0")
    shipping: Decimal = Decimal("0")

    def money(self, amount: Decimal) -> PriceInfo:
        return PriceInfo(quantize(amount, self.currency), self.currency, self.locale)


def _decimal(config: Mapping[str, Any], key: str) -> Decimal | None:
    raw = config.get(key)
    if raw is None:
        return None
    return raw if isinstance(raw, Decimal) else parse_amount(str(raw), field_name=key)


def discount_of(config: Mapping[str, Any], base: Decimal, quantity: int, currency: str) -> Decimal:
    """`percent` of `base`, else `amount` (per unit when `perUnit` is true), capped at `base`."""
    percent = _decimal(config, "percent")
    if percent is not None:
        found = base * percent / 100
    else:
        amount = _decimal(config, "amount") or Decimal("0")
        found = amount * quantity if config.get("perUnit") in (True, "true") else amount
    return min(max(quantize(found, currency), Decimal("0")), base)


def _matches(product_path: str, target: object) -> bool:
    return (
        isinstance(target, str) and bool(target) and P.is_same_or_descendant(product_path, target)
    )


class PromotionHandler:
    """Base handler: no discount anywhere. Subclasses override the hooks they need."""

    type: str = ""

    async def apply_cart_entry(
        self, session: PricingView, promotion: Promotion, entry: LineView
    ) -> PriceInfo | None:
        return None

    async def apply_order(self, session: PricingView, promotion: Promotion) -> PriceInfo | None:
        return None

    async def apply_shipping(self, session: PricingView, promotion: Promotion) -> PriceInfo | None:
        return None

    async def description(self, session: PricingView, promotion: Promotion) -> str | None:
        return promotion.description

    async def messages(self, session: PricingView, promotion: Promotion) -> dict[int, str]:
        return {}

    def invalidate_caches(self) -> None:
        return None


class DiscountHandler(PromotionHandler):
    """`discount`: `amount` or `percent` off the order (optional `minSubtotal`)."""

    type = "discount"

    async def apply_order(self, session: PricingView, promotion: Promotion) -> PriceInfo | None:
        minimum = _decimal(promotion.config, "minSubtotal")
        if minimum is not None and session.subtotal < minimum:
            return None
        found = discount_of(promotion.config, session.subtotal, 1, session.currency)
        return session.money(found) if found > 0 else None

    async def messages(self, session: PricingView, promotion: Promotion) -> dict[int, str]:
        return {-1: promotion.title or "Order discount"}


class LineDiscountHandler(PromotionHandler):
    """`line-discount` (ours): `amount` (per unit with `perUnit`) or `percent` off each line
    of `product` (a product path; its variants count) or of every line without one."""

    type = "line-discount"

    def _applies(self, session: PricingView, promotion: Promotion, entry: LineView) -> bool:
        target = promotion.config.get("product")
        return target is None or _matches(entry.product_path, target)

    async def apply_cart_entry(
        self, session: PricingView, promotion: Promotion, entry: LineView
    ) -> PriceInfo | None:
        if not self._applies(session, promotion, entry):
            return None
        found = discount_of(promotion.config, entry.line, entry.quantity, session.currency)
        return session.money(found) if found > 0 else None

    async def messages(self, session: PricingView, promotion: Promotion) -> dict[int, str]:
        text = promotion.title or "Discount"
        return {e.index: text for e in session.entries if self._applies(session, promotion, e)}


class PerfectPartnerHandler(LineDiscountHandler):
    """`perfect-partner`: discounts the lines of `product` when a line of `partner` is in the
    cart."""

    type = "perfect-partner"

    def _applies(self, session: PricingView, promotion: Promotion, entry: LineView) -> bool:
        config = promotion.config
        if not _matches(entry.product_path, config.get("product")):
            return False
        return any(
            e.index != entry.index and _matches(e.product_path, config.get("partner"))
            for e in session.entries
        )


class FreeShippingHandler(PromotionHandler):
    """`free-shipping`: the shipping discount is the shipping price."""

    type = "free-shipping"

    async def apply_shipping(self, session: PricingView, promotion: Promotion) -> PriceInfo | None:
        return session.money(session.shipping) if session.shipping > 0 else None

    async def messages(self, session: PricingView, promotion: Promotion) -> dict[int, str]:
        return {-1: promotion.title or "Free shipping"}


STOCK_HANDLERS: Final[tuple[type[PromotionHandler], ...]] = (
    DiscountHandler,
    LineDiscountHandler,
    PerfectPartnerHandler,
    FreeShippingHandler,
)


# --- reading campaigns ---------------------------------------------------------------------------
def _time(value: PropertyValue | None) -> datetime | None:
    if value is None:
        return None
    try:
        found = convert_value(value, datetime)
    except (ValueError, TypeError):
        return None
    if isinstance(found, datetime) and found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    return found if isinstance(found, datetime) else None


def _int(value: PropertyValue | None, default: int) -> int:
    try:
        return default if value is None else int(convert_value(value, int))
    except (ValueError, TypeError):
        return default


_RESERVED: Final = frozenset(
    {"type", "priority", "segments", "code", "promotion", "onTime", "offTime"}
)


def _config(node: Node) -> Mapping[str, Any]:
    return MappingProxyType(
        {
            k: v
            for k, v in node.properties.items()
            if k not in _RESERVED and not k.startswith(("jcr:", "sling:", "cq:"))
        }
    )


@dataclass(slots=True)
class _Campaign:
    priority: int | None
    on_time: datetime | None
    off_time: datetime | None


class PromotionManager:
    """The promotions and vouchers under the campaigns root, read once per manager (one
    subtree query), and the handlers by type."""

    def __init__(
        self,
        repo: RepoSession,
        handlers: Mapping[str, PromotionHandler],
        root: str = CAMPAIGNS_ROOT,
    ) -> None:
        self.repo = repo
        self.handlers = handlers
        self.root = root
        self._promotions: dict[str, Promotion] | None = None
        self._vouchers: list[Voucher] = []

    def handler(self, type: str) -> PromotionHandler | None:
        return self.handlers.get(type)

    async def _load(self) -> dict[str, Promotion]:
        if self._promotions is not None:
            return self._promotions
        found = await self.repo.query(
            self.root, lambda n: n.string(N.SLING_RESOURCE_TYPE) in (RT_PROMOTION, RT_VOUCHER)
        )
        promotions: dict[str, Promotion] = {}
        vouchers: list[Voucher] = []
        for node in found:
            path = node.parent_path if node.name == N.JCR_CONTENT else node.path
            if path is None:
                continue
            campaign = self._campaign(path)
            try:
                if node.string(N.SLING_RESOURCE_TYPE) == RT_PROMOTION:
                    promotions[path] = self._promotion(path, node, campaign)
                else:
                    voucher = self._voucher(path, node, campaign)
                    if voucher is not None:
                        vouchers.append(voucher)
            except CommerceError as exc:
                log.warning("%s is not a valid promotion or voucher: %s", path, exc)
        self._promotions, self._vouchers = promotions, vouchers
        return promotions

    def _campaign(self, path: str) -> _Campaign:
        """The times and priority of the page above a promotion or voucher page."""
        parent = P.parent(path) if path != P.ROOT else None
        holder = None
        if parent is not None:
            holder = self.repo.cached(P.join(parent, N.JCR_CONTENT)) or self.repo.cached(parent)
        if holder is None:
            return _Campaign(None, None, None)
        priority = holder.properties.get("priority")
        return _Campaign(
            None if priority is None else _int(priority, DEFAULT_PRIORITY),
            _time(holder.properties.get("onTime")),
            _time(holder.properties.get("offTime")),
        )

    def _promotion(self, path: str, node: Node, campaign: _Campaign) -> Promotion:
        segments = node.properties.get("segments")
        config = _config(node)
        # Parse the money now: a broken promotion is skipped (logged), not a broken cart.
        for key in ("amount", "percent", "minSubtotal"):
            _decimal(config, key)
        return Promotion(
            path=path,
            title=node.string(N.JCR_TITLE),
            description=node.string(N.JCR_DESCRIPTION),
            type=node.string("type") or "",
            priority=_int(node.properties.get("priority"), campaign.priority or DEFAULT_PRIORITY),
            segments=None if segments is None else tuple(str(s) for s in _list(segments)),
            config=config,
            on_time=_time(node.properties.get("onTime")) or campaign.on_time,
            off_time=_time(node.properties.get("offTime")) or campaign.off_time,
        )

    def _voucher(self, path: str, node: Node, campaign: _Campaign) -> Voucher | None:
        code = (node.string("code") or "").strip()
        if not code:
            return None
        return Voucher(
            code=code,
            path=path,
            title=node.string(N.JCR_TITLE),
            description=node.string(N.JCR_DESCRIPTION),
            priority=campaign.priority if campaign.priority is not None else DEFAULT_PRIORITY,
            promotion_path=node.string("promotion"),
            config=_config(node),
            on_time=campaign.on_time,
            off_time=campaign.off_time,
        )

    async def available_promotions(self) -> list[Promotion]:
        return list((await self._load()).values())

    async def promotion(self, path: str) -> Promotion | None:
        return (await self._load()).get(path)

    async def vouchers(self) -> list[Voucher]:
        await self._load()
        return list(self._vouchers)

    async def find_voucher(self, code: str, now: datetime | None = None) -> Voucher | None:
        """The valid voucher with this code (stripped, case-sensitive): highest priority first,
        then the smallest path; None when none matches or none is valid now."""
        wanted = code.strip()
        now = now or datetime.now(UTC)
        promotions = await self._load()
        candidates = []
        for voucher in self._vouchers:
            if voucher.code != wanted or not await voucher.is_valid(now):
                continue
            target = promotions.get(voucher.promotion_path or "")
            if target is None or not target.is_valid(now):
                continue
            candidates.append(voucher)
        candidates.sort(key=lambda v: (-v.priority, v.path))
        return candidates[0] if candidates else None

    async def voucher_gated(self) -> frozenset[str]:
        """Promotions some voucher points at: they fire through a voucher only."""
        await self._load()
        return frozenset(v.promotion_path for v in self._vouchers if v.promotion_path)

    async def promotions_map(
        self, segments: Iterable[str], now: datetime | None = None
    ) -> dict[str, Promotion]:
        """The valid promotions that target these segments, or everyone (no segments and no
        voucher pointing at them), by path."""
        now = now or datetime.now(UTC)
        wanted = frozenset(segments)
        gated = await self.voucher_gated()
        out: dict[str, Promotion] = {}
        for promotion in await self.available_promotions():
            if not promotion.is_valid(now):
                continue
            if promotion.segments:
                if wanted & frozenset(promotion.segments):
                    out[promotion.path] = promotion
            elif promotion.path not in gated:
                out[promotion.path] = promotion
        return out


def _list(value: PropertyValue) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def ordered(promotions: Sequence[Promotion]) -> list[Promotion]:
    """Application order (§6.4): higher priority first, ties by path."""
    return sorted(promotions, key=lambda p: (-p.priority, p.path))


@dataclass(slots=True)
class HandlerRegistry:
    """Promotion handlers by type; a later registration for a type replaces the earlier."""

    handlers: dict[str, PromotionHandler] = field(default_factory=dict)

    def register(self, handler: PromotionHandler) -> None:
        self.handlers[handler.type] = handler

    @classmethod
    def stock(cls) -> HandlerRegistry:
        registry = cls()
        for kind in STOCK_HANDLERS:
            registry.register(kind())
        return registry
