"""`JcrCommerceSession` (commerce-api §6): one shopper's cart, prices, order under
construction, submit and placed orders, stored in the repository.

Every cart operation re-reads the cart under the cart's lock, applies the change, prices the
result (a change that cannot be priced is refused) and writes it in one save; the session's
view (`cart_entries()`, the prices) is then the saved cart.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar

from commerce import constants as C
from commerce.errors import (
    CartEntryIndexError,
    CurrencyError,
    EmptyCartError,
    InvalidCommerceRequest,
    InvalidQuantityError,
    NotAuthorizedError,
    NotPurchasableError,
    OrderValidationError,
    PaymentError,
    QueryError,
    ReadOnlyCartEntryError,
    SensitiveFieldError,
    VoucherError,
)
from commerce.fulfilment import FulfilmentLine, FulfilmentRequest
from commerce.methods import (
    PaymentMethod,
    ShippingMethod,
    find_method,
    load_payment_methods,
    load_shipping_methods,
)
from commerce.money import (
    POST_TAX,
    PriceInfo,
    PriceSelector,
    currency_for_locale,
    first,
    normalize_locale,
    select,
    unit_price_for,
)
from commerce.payment import Authorization
from commerce.product import Product
from commerce.promotions import (
    PromotionInfo,
    PromotionManager,
    VoucherInfo,
    ordered,
)
from commerce.session.cart import CartEntry, CartState, Line, check_properties
from commerce.session.context import SessionContext
from commerce.session.manager import (
    COOKIE_NAME,
    CommerceSessionManager,
    Shopper,
    write_cart,
)
from commerce.session.orders import (
    DETAILS_NODE,
    OPEN_EXCLUDED,
    ORDERS_ROOT,
    SHOPPER_INDEX,
    SORTS,
    Pagination,
    PlacedOrder,
    PlacedOrderResult,
    order_from_node,
)
from commerce.session.pricing import CartPricing, PricedLine, price_cart
from repo_server.model import path as P
from repo_server.model.node import Node as RepoNode
from repo_server.session.session import ContentSession, Repository

log = logging.getLogger(__name__)
T = TypeVar("T")

ADDRESS_FIELDS: Final = ("firstname", "lastname", "street1", "city", "zip", "country")
SHIPPING_OPTION: Final = "shipping-option"
PAYMENT_OPTION: Final = "payment-option"
SAME_ADDRESS: Final = "shippingAddressSameAsBilling"
PAYMENT_TOKEN: Final = C.PAYMENT_TOKEN
_DETAIL_KEY: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_RESERVED_DETAILS: Final = frozenset({PAYMENT_TOKEN})


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "on", "1", "yes")


@dataclass(frozen=True, slots=True)
class _Work:
    state: CartState
    products: dict[str, Product]


class JcrCommerceSession:
    """A shopper's session; made by `CommerceSessionManager.login`."""

    def __init__(
        self,
        manager: CommerceSessionManager,
        repository: Repository,
        content: ContentSession,
        ctx: SessionContext,
        shopper: Shopper,
        state: CartState,
        *,
        cart_read: tuple[RepoNode | None, int] | None = None,
    ) -> None:
        self.manager = manager
        self.repository = repository
        self.ctx = ctx
        self.shopper = shopper
        self.state = state
        self.content = content
        self._locale = normalize_locale(ctx.locale)
        self._pricing: CartPricing | None = None
        # The cart node as `login` read it, with the store head before the read.
        self._cart_read = cart_read
        self.supports_clientside_promotion_resolution = False

    # --- locale (§6.1) ---------------------------------------------------------------------
    @property
    def user_locale(self) -> str:
        return self._locale

    @user_locale.setter
    def user_locale(self, locale: str) -> None:
        self._locale = normalize_locale(locale)
        self._pricing = None

    def _preferred_currency(self) -> str | None:
        try:
            return currency_for_locale(self._locale)
        except CurrencyError:
            return None

    async def available_countries(self) -> tuple[str, ...]:
        return self.manager.options.countries

    # --- methods ----------------------------------------------------------------------------
    # Products, methods and campaigns come from the manager's shared copy (read once per content
    # epoch for every shopper; `commerce.session.cache`), so they are as fresh as the store.
    async def _all_shipping(self) -> list[ShippingMethod]:
        shared = self.manager.shared(self.repository)
        provider = self.manager.provider()
        found = shared.shipping.get(provider)
        if found is None:
            found = shared.shipping[provider] = await load_shipping_methods(shared.repo, provider)
        return found

    async def _all_payment(self) -> list[PaymentMethod]:
        shared = self.manager.shared(self.repository)
        provider = self.manager.provider()
        found = shared.payment.get(provider)
        if found is None:
            found = shared.payment[provider] = await load_payment_methods(shared.repo, provider)
        return found

    def _country(self, details: Mapping[str, str]) -> str | None:
        prefix = "billing." if _truthy(details.get(SAME_ADDRESS)) else "shipping."
        found = (details.get(prefix + "country") or "").strip().upper()
        return found or None

    async def available_shipping_methods(self) -> list[ShippingMethod]:
        """The methods that ship to the order's shipping country (all while it is unknown)."""
        country = self._country(self.state.details)
        return [m for m in await self._all_shipping() if m.ships_to(country)]

    async def available_payment_methods(self) -> list[PaymentMethod]:
        country = self._country(self.state.details)
        return [m for m in await self._all_payment() if m.ships_to(country)]

    async def shipping_quotes(self) -> list[tuple[ShippingMethod, PriceInfo]]:
        """Each available method with its price for this cart and address."""
        pricing = await self.pricing()
        country = self._country(self.state.details)
        items = sum(e.quantity for e in pricing.entries)
        out = []
        for method in await self.available_shipping_methods():
            amount = method.quote(pricing.subtotal, items, country) if items else Decimal("0")
            out.append((method, PriceInfo(amount, pricing.currency, pricing.locale)))
        return out

    # --- products and prices ---------------------------------------------------------------
    async def product(self, path: str) -> Product | None:
        """The product at `path` as the shopper may read it; None when there is none."""
        return (await self._products([path])).get(path)

    async def _products(self, paths: Iterable[str]) -> dict[str, Product | None]:
        """`product()` of each path, reading whatever is not known yet in one store query."""
        buyable: dict[str, str] = {}
        for path in paths:
            try:
                norm = P.normalize(path)
            except Exception:
                continue
            if self._may_buy(norm):
                buyable[path] = norm
        if not buyable:
            return {}
        shared = self.manager.shared(self.repository)
        found = await shared.load_products(list(buyable.values()))
        return {path: found[norm] for path, norm in buyable.items()}

    def _may_buy(self, path: str) -> bool:
        """The shopper can read the product, or it is catalog data (see SessionOptions)."""
        roots = self.manager.options.catalog_roots
        if any(P.is_same_or_descendant(path, root) for root in roots):
            return True
        return self.content.access.can_read(path)

    async def product_price_info(
        self, product: Product, filter: PriceSelector = None
    ) -> list[PriceInfo]:
        """UNIT+PRE_TAX prices with tiers, then the UNIT+POST_TAX (VAT-inclusive) ones."""
        prices = self.manager.shared(self.repository).product_unit_prices(
            product, self._locale, self._preferred_currency(), self.manager.options.tax_rate
        )
        return select(prices, filter)

    async def product_price(self, product: Product, filter: PriceSelector = None) -> str | None:
        found = first(await self.product_price_info(product, filter))
        return None if found is None else found.formatted

    # --- the cart (§6.2, §6.3) ----------------------------------------------------------------
    @property
    def order_id(self) -> str:
        return self.state.order_id

    @property
    def cart_entry_count(self) -> int:
        return len(self.state.lines)

    def cart_entries(self) -> tuple[CartEntry, ...]:
        """The priced entries (call `await pricing()` first after a locale change)."""
        return self._pricing.entries if self._pricing is not None else ()

    async def pricing(self) -> CartPricing:
        if self._pricing is None:
            products = await self._load_products(self.state.lines)
            self.state.lines = [x for x in self.state.lines if x.path in products]
            self._pricing = await self._price(self.state, products)
        return self._pricing

    async def cart_price_info(self, filter: PriceSelector = None) -> list[PriceInfo]:
        return select((await self.pricing()).prices, filter)

    async def cart_price(self, filter: PriceSelector = None) -> str | None:
        found = first((await self.pricing()).prices, filter)
        return None if found is None else found.formatted

    async def _load_products(self, lines: list[Line]) -> dict[str, Product]:
        found = await self._products(dict.fromkeys(x.path for x in lines))
        return {path: product for path, product in found.items() if product is not None}

    def _line_prices(self, product: Product, currency: str | None) -> Sequence[PriceInfo]:
        return self.manager.shared(self.repository).product_unit_prices(
            product, self._locale, currency
        )

    async def _price(
        self,
        state: CartState,
        products: Mapping[str, Product],
        *,
        details: Mapping[str, str] | None = None,
    ) -> CartPricing:
        details = state.details if details is None else details
        preferred = self._preferred_currency()
        tiers = [self._line_prices(products[x.path], preferred) for x in state.lines]
        currencies = {t[0].currency for t in tiers}
        if len(currencies) > 1:
            # Some product has no price in the locale's currency: price in the providers'.
            tiers = [self._line_prices(products[x.path], None) for x in state.lines]
            currencies = {t[0].currency for t in tiers}
        if len(currencies) > 1:
            raise CurrencyError("the cart holds products priced in different currencies")
        currency = currencies.pop() if currencies else preferred or currency_for_locale("en_US")
        priced = [
            PricedLine(
                x,
                products[x.path],
                unit_price_for(t, x.quantity),
                bool(products[x.path].get_property("vatFree", bool)),
            )
            for x, t in zip(state.lines, tiers, strict=True)
        ]
        promotions, inapplicable = await self._candidates(state)
        country = self._country(details)
        method = find_method(await self._all_shipping(), details.get(SHIPPING_OPTION))
        if method is not None and not method.ships_to(country):
            method = None
        options = self.manager.options
        return await price_cart(
            priced,
            currency=currency,
            locale=self._locale,
            promotions=promotions,
            handlers=self.manager.handlers.handlers,
            not_applicable=inapplicable,
            shipping_method=method,
            country=country,
            tax_rate=options.tax_rate,
            shipping_tax_rate=options.shipping_tax_rate,
        )

    async def _mutate(self, change: Callable[[_Work], Awaitable[T]]) -> T:
        """Re-read the cart under its lock, apply `change`, price, save once; nothing is
        written when anything raises."""
        async with self.manager.locked([self.shopper.cart_path]):
            service = self.manager.service_session(self.repository)
            state = CartState.from_node(self.shopper.cart_path, await self._current_cart(service))
            products = await self._load_products(state.lines)
            state.lines = [x for x in state.lines if x.path in products]
            work = _Work(state, products)
            result = await change(work)
            pricing = await self._price(state, work.products)
            state.owner = self.shopper.user_id
            write_cart(service, state)
            await service.save()
            self.state, self._pricing = state, pricing
        if self.shopper.cookie_pending and self.shopper.cart_id is not None:
            self.shopper.cookie_pending = False
            self.ctx.set_cookie(
                COOKIE_NAME,
                self.manager.sign(self.shopper.cart_id),
                self.manager.options.cookie_max_age,
                True,
            )
        return result

    async def _current_cart(self, service: ContentSession) -> RepoNode | None:
        """The stored cart node (under the cart's lock): the one `login` read when the journal
        shows no commit to it since, else read again. A writer outside the lock that the journal
        does not show yet is caught at save (the write expects the properties it read)."""
        path = self.shopper.cart_path
        read, self._cart_read = self._cart_read, None
        if read is not None:
            watch = self.manager.shared_cache(self.repository).watch
            if not watch.changed_since(path, read[1]):
                return read[0]
        return await service.get_node(path)

    @staticmethod
    def _check_quantity(quantity: object, minimum: int) -> int:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < minimum:
            raise InvalidQuantityError(
                f"quantity must be an integer of at least {minimum}, not {quantity!r}",
                quantity=str(quantity),
            )
        return quantity

    async def check_purchasable(self, product: Product) -> None:
        """NotPurchasableError for a product with variants (only leaves are bought)."""
        leaves = await product.variants()
        if leaves and product.path not in {v.path for v in leaves}:
            raise NotPurchasableError(
                f"{product.path} has variants: add one of them", path=product.path
            )

    async def add_cart_entry(
        self, product: Product, quantity: int = 1, properties: Mapping[str, str] | None = None
    ) -> CartEntry:
        """Add `quantity` of a leaf product, merging with a line of the same product and
        properties. Raises InvalidQuantityError, NotPurchasableError, PriceNotFoundError,
        CurrencyError."""
        quantity = self._check_quantity(quantity, 1)
        check_properties(properties)
        await self.check_purchasable(product)
        props = dict(properties or {})

        async def change(work: _Work) -> str:
            work.products[product.path] = product
            same = next((x for x in work.state.lines if x.same_line(product.path, props)), None)
            if same is not None:
                same.quantity += quantity
                return same.line_id
            line = Line(product.path, quantity, props)
            work.state.lines.append(line)
            return line.line_id

        line_id = await self._mutate(change)
        return self._entry(line_id)

    def _entry(self, line_id: str) -> CartEntry:
        return next(e for e in self.cart_entries() if e.line_id == line_id)

    @staticmethod
    def _index(work: _Work, index: object) -> Line:
        lines = work.state.lines
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(lines):
            raise CartEntryIndexError(
                f"no cart entry {index!r} (the cart has {len(lines)})",
                entry=str(index),
                count=len(lines),
            )
        line = lines[index]
        if line.read_only:
            raise ReadOnlyCartEntryError(f"cart entry {index} is read-only", entry=index)
        return line

    async def modify_cart_entry(
        self,
        index: int,
        quantity: int | None = None,
        *,
        properties: Mapping[str, str | None] | None = None,
    ) -> CartEntry | None:
        """Set the quantity (0 deletes: None is returned) and merge `properties` (a None value
        removes a key; a `quantity` key is the quantity). Raises CartEntryIndexError,
        ReadOnlyCartEntryError, InvalidQuantityError."""
        props = dict(properties or {})
        if C.PN_QUANTITY in props:
            raw = props.pop(C.PN_QUANTITY)
            try:
                quantity = int(raw) if raw is not None else quantity
            except ValueError:
                raise InvalidQuantityError(f"quantity {raw!r} is not an integer") from None
        if quantity is not None:
            quantity = self._check_quantity(quantity, 0)
        check_properties(props, allow_none=True)

        async def change(work: _Work) -> str | None:
            line = self._index(work, index)
            if quantity == 0:
                work.state.lines.remove(line)
                return None
            if quantity is not None:
                line.quantity = quantity
            for key, value in props.items():
                if value is None:
                    line.properties.pop(key, None)
                else:
                    line.properties[key] = value
            return line.line_id

        line_id = await self._mutate(change)
        return None if line_id is None else self._entry(line_id)

    async def delete_cart_entry(self, index: int) -> None:
        """Remove an entry; later entries move down by one. CartEntryIndexError,
        ReadOnlyCartEntryError."""

        async def change(work: _Work) -> None:
            work.state.lines.remove(self._index(work, index))

        await self._mutate(change)

    # --- vouchers and promotions (§6.4) --------------------------------------------------------
    def _promotion_manager(self) -> PromotionManager:
        return self.manager.shared(self.repository).promotion_manager(
            self.manager.handlers.handlers, self.manager.options.campaigns_root
        )

    async def _candidates(self, state: CartState) -> tuple[list[Any], list[Any]]:
        manager = self._promotion_manager()
        now = datetime.now(UTC)
        found = await manager.promotions_map(self.ctx.segments, now)
        inapplicable = {}
        for code in state.vouchers:
            voucher = await manager.find_voucher(code, now)
            if voucher is not None and voucher.promotion_path:
                promotion = await manager.promotion(voucher.promotion_path)
                if promotion is not None:
                    found[promotion.path] = promotion
                continue
            for candidate in await manager.vouchers():
                if candidate.code == code and candidate.promotion_path:
                    promotion = await manager.promotion(candidate.promotion_path)
                    if promotion is not None and promotion.path not in found:
                        inapplicable[promotion.path] = promotion
        for path in state.promotions:
            promotion = await manager.promotion(path)
            if promotion is not None and promotion.is_valid(now):
                found[path] = promotion
        for path in found:
            inapplicable.pop(path, None)
        return ordered(list(found.values())), list(inapplicable.values())

    async def add_voucher(self, code: object) -> None:
        """VoucherError when no valid voucher has this code; adding it twice does nothing."""
        if not isinstance(code, str) or not code.strip():
            raise VoucherError("a voucher code is required", shopper_message="Enter a code.")
        wanted = code.strip()
        voucher = await self._promotion_manager().find_voucher(wanted)
        if voucher is None:
            raise VoucherError(
                f"no valid voucher {wanted!r}",
                shopper_message=f"The voucher {wanted} is not valid.",
                voucher=wanted,
            )

        async def change(work: _Work) -> None:
            if wanted not in work.state.vouchers:
                work.state.vouchers.append(wanted)

        await self._mutate(change)

    async def remove_voucher(self, code: object) -> None:
        wanted = code.strip() if isinstance(code, str) else ""

        async def change(work: _Work) -> None:
            work.state.vouchers[:] = [v for v in work.state.vouchers if v != wanted]

        await self._mutate(change)

    async def voucher_infos(self) -> list[VoucherInfo]:
        manager = self._promotion_manager()
        now = datetime.now(UTC)
        out = []
        for code in self.state.vouchers:
            valid = await manager.find_voucher(code, now)
            if valid is not None:
                out.append(
                    VoucherInfo(
                        code, valid.path, valid.title, valid.description, True, valid.message
                    )
                )
                continue
            known = next((v for v in await manager.vouchers() if v.code == code), None)
            out.append(
                VoucherInfo(
                    code,
                    known.path if known else None,
                    known.title if known else None,
                    known.description if known else None,
                    False,
                    known.invalid_message if known else f"Voucher {code} is not valid.",
                )
            )
        return out

    async def add_promotion(self, path: str) -> None:
        async def change(work: _Work) -> None:
            if path not in work.state.promotions:
                work.state.promotions.append(path)

        await self._mutate(change)

    async def remove_promotion(self, path: str) -> None:
        async def change(work: _Work) -> None:
            work.state.promotions[:] = [p for p in work.state.promotions if p != path]

        await self._mutate(change)

    async def promotions(self) -> list[PromotionInfo]:
        return list((await self.pricing()).promotions)

    # --- the order under construction (§6.5) ---------------------------------------------------
    async def _sensitive_names(self) -> frozenset[str]:
        names: set[str] = set()
        for method in await self._all_payment():
            names.update(method.sensitive_fields)
        return frozenset(names)

    async def _is_sensitive(self, key: str) -> bool:
        return key.startswith(("card.", "payment.")) or key in await self._sensitive_names()

    async def _check_details(self, delta: Mapping[Any, object]) -> None:
        for key, value in delta.items():
            if not isinstance(key, str) or not _DETAIL_KEY.match(key) or key in _RESERVED_DETAILS:
                raise InvalidCommerceRequest(f"{key!r} is not an order detail", key=str(key))
            if await self._is_sensitive(key):
                raise SensitiveFieldError(
                    f"{key} is payment data: it is only accepted by submit, and never stored",
                    key=key,
                )
            if value is not None and (not isinstance(value, str) or len(value) > 1000):
                raise InvalidCommerceRequest(f"order detail {key} must be a string", key=key)

    async def order(self) -> dict[str, str]:
        return dict(self.state.details)

    async def order_details(self, predicate: str) -> dict[str, str]:
        prefix = predicate + "."
        return {k[len(prefix) :]: v for k, v in self.state.details.items() if k.startswith(prefix)}

    async def update_order_details(self, details: Mapping[str, str | None], predicate: str) -> None:
        """Replace every `predicate.*` key by `details` (a None value is left out)."""
        prefixed = {f"{predicate}.{k}": v for k, v in details.items()}
        await self._check_details(prefixed)

        async def change(work: _Work) -> None:
            kept = {
                k: v for k, v in work.state.details.items() if not k.startswith(predicate + ".")
            }
            kept.update({k: v for k, v in prefixed.items() if v is not None})
            work.state.details = kept

        await self._mutate(change)
        self._forget_methods()

    async def update_order(self, delta: Mapping[str, str | None]) -> None:
        """Upsert order details; a None value deletes the key. SensitiveFieldError for card or
        payment data, InvalidCommerceRequest for a malformed key or value."""
        await self._check_details(delta)

        async def change(work: _Work) -> None:
            for key, value in delta.items():
                if value is None:
                    work.state.details.pop(key, None)
                else:
                    work.state.details[key] = value

        await self._mutate(change)
        self._forget_methods()

    def _forget_methods(self) -> None:
        self._pricing = None

    # --- submit (§6.6) -----------------------------------------------------------------------
    async def _validate(self, details: dict[str, str]) -> tuple[ShippingMethod, PaymentMethod]:
        missing: list[str] = []
        invalid: dict[str, str] = {}
        for prefix in ("billing", "shipping"):
            for name in ADDRESS_FIELDS:
                key = f"{prefix}.{name}"
                if not (details.get(key) or "").strip():
                    missing.append(key)
        countries = await self.available_countries()
        country = (details.get("shipping.country") or "").strip().upper()
        if country and "*" not in countries and country not in countries:
            invalid["shipping.country"] = f"we do not ship to {country}"
        shipping = find_method(await self._all_shipping(), details.get(SHIPPING_OPTION))
        if not details.get(SHIPPING_OPTION):
            missing.append(SHIPPING_OPTION)
        elif shipping is None or not shipping.ships_to(country or None):
            invalid[SHIPPING_OPTION] = "not an available shipping method for this address"
        payment = find_method(await self._all_payment(), details.get(PAYMENT_OPTION))
        if not details.get(PAYMENT_OPTION):
            missing.append(PAYMENT_OPTION)
        elif payment is None:
            invalid[PAYMENT_OPTION] = "not an available payment method"
        if missing or invalid or shipping is None or payment is None:
            raise OrderValidationError(
                "the order cannot be submitted: "
                + ", ".join([*missing, *invalid])
                + " "
                + (
                    "missing or invalid"
                    if missing and invalid
                    else "missing"
                    if missing
                    else "invalid"
                ),
                missing=tuple(missing),
                invalid=invalid,
            )
        return shipping, payment

    async def _order_by_key(self, service: ContentSession, key: str) -> PlacedOrder | None:
        index = P.join(SHOPPER_INDEX, self.shopper.key)
        if not await service.exists(index):
            return None
        for entry in await service.children(index):
            prop = entry.properties.get("idempotencyKey")
            if prop is not None and prop.python() == key:
                order_path = entry.properties["orderPath"].python()
                return await self._read_order(service, str(order_path))
        return None

    @staticmethod
    async def _read_order(service: ContentSession, path: str) -> PlacedOrder | None:
        node = await service.get_node(path)
        if node is None:
            return None
        return order_from_node(node, await service.get_node(P.join(path, DETAILS_NODE)))

    async def submit_order(
        self,
        delta: Mapping[str, str] | None = None,
        *,
        idempotency_key: object = None,
    ) -> PlacedOrder:
        """Validate, tokenise and authorize the payment, store the order with the unit prices
        paid and empty the cart (one save), then hand it to fulfilment.

        The same `idempotency_key` returns the first order and does nothing else. Raises
        EmptyCartError, OrderValidationError, PaymentError / PaymentDeclinedError (the cart is
        kept), InvalidCommerceRequest.
        """
        delta = dict(delta or {})
        if idempotency_key is not None and (
            not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 200
        ):
            raise InvalidCommerceRequest("the idempotency key must be 1-200 characters")
        idem = idempotency_key if isinstance(idempotency_key, str) else None
        sensitive: dict[str, str] = {}
        public: dict[str, str] = {}
        for key, value in delta.items():
            if not isinstance(value, str):
                raise InvalidCommerceRequest(f"order detail {key} must be a string", key=key)
            if await self._is_sensitive(key):
                sensitive[key] = value
            else:
                public[key] = value
        await self._check_details(public)
        manager = self.manager
        async with manager.submit_lock(), manager.locked([self.shopper.cart_path]):
            service = manager.service_session(self.repository)
            if idem is not None:
                existing = await self._order_by_key(service, idem)
                if existing is not None:
                    return existing
            state = CartState.from_node(
                self.shopper.cart_path, await service.get_node(self.shopper.cart_path)
            )
            products = await self._load_products(state.lines)
            state.lines = [x for x in state.lines if x.path in products]
            if not state.lines:
                raise EmptyCartError("the cart is empty")
            details = {**state.details, **public}
            if _truthy(details.get(SAME_ADDRESS)):
                for name in ADDRESS_FIELDS:
                    if f"billing.{name}" in details:
                        details[f"shipping.{name}"] = details[f"billing.{name}"]
            shipping, payment = await self._validate(details)
            pricing = await self._price(state, products, details=details)
            total = PriceInfo(
                pricing.total, pricing.currency, pricing.locale, frozenset({POST_TAX})
            )
            connector = manager.payment()
            try:
                token = await connector.tokenize(payment, sensitive)
            except PaymentError:
                raise
            except Exception as exc:
                raise PaymentError("the payment connector failed", cause=exc) from exc
            authorization = await connector.authorize(token, total, state.order_id)
            try:
                order = await self._store_order(
                    service, state, pricing, details, token, idem, shipping
                )
            except BaseException:
                await connector.void(authorization)
                raise
            self.state, self._pricing = state, None
        await self.initiate_order_processing(order, authorization)
        return await self._read_order(service, order.path) or order

    async def _store_order(
        self,
        service: ContentSession,
        state: CartState,
        pricing: CartPricing,
        details: dict[str, str],
        token: str,
        idempotency_key: str | None,
        shipping: ShippingMethod,
    ) -> PlacedOrder:
        placed = datetime.now(UTC)
        folder = ORDERS_ROOT
        for part in (f"{placed.year:04d}", f"{placed.month:02d}", f"{placed.day:02d}"):
            folder = P.join(folder, part)
            if not await service.exists(folder):
                await service.add_node(folder, "sling:Folder")
        path = P.join(folder, state.order_id)
        items = []
        for entry, line in zip(pricing.entries, state.lines, strict=True):
            unit = first(entry.prices, lambda p: {"UNIT", "PRE_TAX"} <= p.types)
            snapshot = {
                "price": format(unit.amount, "f") if unit else "0",
                "sku": entry.product.sku,
                "title": entry.product.title() or "",
            }
            items.append(line.encode(snapshot))
        props: dict[str, object] = {
            "orderId": state.order_id,
            "orderPlaced": placed,
            "orderStatus": "Placed",
            "userId": self.shopper.user_id or "anonymous",
            "shopper": self.shopper.key,
            "currencyCode": pricing.currency,
            "jcr:language": pricing.locale,
            "cartItems": items,
            "cartSubtotal": pricing.subtotal,
            "cartTax": pricing.tax,
            "orderShipping": pricing.shipping,
            "orderTotalTax": pricing.tax + pricing.shipping_tax,
            "orderDiscount": pricing.order_discount,
            "orderTotalPrice": pricing.total,
            PAYMENT_TOKEN: token,
            "shippingMethod": shipping.path,
        }
        if idempotency_key is not None:
            props["idempotencyKey"] = idempotency_key
        if pricing.fired:
            props["promotions"] = list(pricing.fired)
        if state.vouchers:
            props["vouchers"] = list(state.vouchers)
        await service.add_node(path, "nt:unstructured", properties=props)
        await service.add_node(P.join(path, DETAILS_NODE), "nt:unstructured", properties=details)
        index = P.join(SHOPPER_INDEX, self.shopper.key)
        if not await service.exists(index):
            await service.add_node(index, "sling:Folder")
        index_props: dict[str, object] = {"orderPath": path, "orderPlaced": placed}
        if idempotency_key is not None:
            index_props["idempotencyKey"] = idempotency_key
        await service.add_node(
            P.join(index, state.order_id), "nt:unstructured", properties=index_props
        )
        state.clear()
        state.owner = self.shopper.user_id
        write_cart(service, state)
        await service.save()
        stored = await self._read_order(service, path)
        assert stored is not None
        return stored

    async def initiate_order_processing(
        self, order: PlacedOrder, authorization: Authorization | None = None
    ) -> None:
        """Hand the stored order to the fulfilment connector; a failure is logged and kept as
        `processingError` on the order, which stays placed."""
        request = FulfilmentRequest(
            order_id=order.order_id,
            order_path=order.path,
            lines=tuple(FulfilmentLine(e.sku, e.quantity, e.product) for e in order.cart_entries),
            ship_to={
                k[len("shipping.") :]: v
                for k, v in order.order.items()
                if k.startswith("shipping.")
            },
            shipping_method=order.order.get(SHIPPING_OPTION),
        )
        session = self.manager.service_session(self.repository)
        try:
            await self.manager.fulfilment().initiate(session, request)
        except Exception as exc:
            log.exception("fulfilment of %s failed", order.path)
            await session.refresh()
            await session.set_property(
                order.path, "processingError", str(exc) or type(exc).__name__
            )
            await session.save()

    place_order = submit_order

    # --- placed orders (§6.7) ------------------------------------------------------------------
    async def placed_orders(
        self,
        predicate: str | None = None,
        page: int = 0,
        page_size: int | None = None,
        sort_id: str = "placed-desc",
    ) -> PlacedOrderResult:
        """The current shopper's orders only. QueryError for an unknown predicate or sort."""
        if predicate not in (None, C.OPEN_ORDERS_PREDICATE):
            raise QueryError(f"unknown order predicate {predicate!r}", predicate=predicate)
        if sort_id not in SORTS:
            raise QueryError(f"unknown order sort {sort_id!r}", sort=sort_id, sorts=list(SORTS))
        if page < 0 or (page_size is not None and page_size < 1):
            raise QueryError("page must be >= 0 and page size >= 1")
        service = self.manager.service_session(self.repository)
        index = P.join(SHOPPER_INDEX, self.shopper.key)
        orders: list[PlacedOrder] = []
        if await service.exists(index):
            for entry in await service.children(index):
                order_path = entry.properties.get("orderPath")
                if order_path is None:
                    continue
                found = await self._read_order(service, str(order_path.python()))
                if found is not None:
                    orders.append(found)
        if predicate == C.OPEN_ORDERS_PREDICATE:
            orders = [o for o in orders if o.status not in OPEN_EXCLUDED]
        field_, direction = sort_id.split("-")
        orders.sort(
            key=lambda o: (o.placed_at if field_ == "placed" else o.total.amount, o.order_id),
            reverse=direction == "desc",
        )
        pagination = None
        if page_size is not None:
            pagination = Pagination(page, page_size, len(orders))
            orders = orders[page * page_size : (page + 1) * page_size]
        return PlacedOrderResult(tuple(orders), SORTS, pagination)

    async def placed_order(self, order_id_or_path: str) -> PlacedOrder | None:
        """One of the shopper's orders by id or path; NotAuthorizedError for another's."""
        service = self.manager.service_session(self.repository)
        if order_id_or_path.startswith("/"):
            try:
                path = P.normalize(order_id_or_path)
            except Exception:
                return None
            if not P.is_same_or_descendant(path, ORDERS_ROOT):
                return None
            found = await self._read_order(service, path)
            if found is None:
                return None
            node = await service.get_node(path)
            owner = node.properties.get("shopper") if node is not None else None
            if owner is None or owner.python() != self.shopper.key:
                raise NotAuthorizedError("this order belongs to another shopper")
            return found
        if not _DETAIL_KEY.match(order_id_or_path):
            return None
        entry = await service.get_node(
            P.join(P.join(SHOPPER_INDEX, self.shopper.key), order_id_or_path)
        )
        if entry is None:
            return None
        return await self._read_order(service, str(entry.properties["orderPath"].python()))

    async def logout(self) -> None:
        """Nothing remote to drop: a JCR cart stays stored."""
        self.ctx.attributes.pop("commerce.session", None)
