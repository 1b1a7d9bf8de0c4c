"""`/bin/commerce/*`: the shopper's cart, shipping and payment methods, order and orders.

Every handler opens the shopper's `JcrCommerceSession` (`open_session`), calls one session
method and renders. Money is `{"amount": "187.02", "currency": "USD", "formatted": "$187.02"}`.
Bodies are forms (Sling style) or a JSON object. Errors go through the project's error
middleware; a cart cookie this server did not sign is also cleared in the error response.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from commerce.errors import (
    CartCookieError,
    InvalidCommerceRequest,
    InvalidQuantityError,
    NotAProductError,
    NotAuthorizedError,
    QueryError,
)
from commerce.http.render import json_response
from commerce.money import PriceInfo
from commerce.providers import ProviderRegistry
from commerce.session import (
    CommerceSessionManager,
    JcrCommerceSession,
    PlacedOrder,
    SessionContext,
    SessionOptions,
)
from commerce.session.manager import COOKIE_NAME
from commerce.session.pricing import CartPricing
from repo_server.extensions import PluginContext
from repo_server.http.keys import repository_key
from repo_server.http.middleware import error_response
from repo_server.http.security_http import session_for, user_id_key
from repo_server.security.acl import ANONYMOUS

BIN: Final = "/bin/commerce"
_FORM_SKIP: Final = frozenset({"_charset_", "operation"})


# --- rendering -----------------------------------------------------------------------------------
def money_json(price: PriceInfo) -> dict[str, str]:
    return {
        "amount": format(price.amount, "f"),
        "currency": price.currency,
        "formatted": price.formatted,
    }


def cart_json(session: JcrCommerceSession, pricing: CartPricing) -> dict[str, Any]:
    money = pricing.money
    entries = []
    for entry in pricing.entries:
        unit = next(p for p in entry.prices if {"UNIT", "PRE_TAX"} == p.types - {p.currency})
        line = next(p for p in entry.prices if {"LINE", "PRE_TAX"} == p.types - {p.currency})
        item: dict[str, Any] = {
            "entry": entry.index,
            "lineId": entry.line_id,
            "product": entry.product.path,
            "sku": entry.product.sku,
            "title": entry.product.title(),
            "quantity": entry.quantity,
            "properties": dict(entry.properties),
            "readOnly": entry.read_only,
            "unitPrice": money_json(unit),
            "price": money_json(line),
        }
        discounted = [p for p in entry.prices if "DISCOUNT" in p.types and "LINE" in p.types]
        if discounted:
            item["discountedPrice"] = money_json(discounted[0])
        entries.append(item)
    method = pricing.shipping_method
    return {
        "orderId": session.order_id,
        "currency": pricing.currency,
        "entryCount": len(entries),
        "entries": entries,
        "cartPreTaxPrice": money_json(money(pricing.subtotal)),
        "cartTax": money_json(money(pricing.tax)),
        "cartTotalPrice": money_json(money(pricing.subtotal + pricing.tax)),
        "orderShipping": money_json(money(pricing.shipping)),
        "orderDiscount": money_json(money(pricing.order_discount)),
        "orderTotalTax": money_json(money(pricing.tax + pricing.shipping_tax)),
        "orderTotalPrice": money_json(money(pricing.total)),
        "shippingMethod": None if method is None else method.path,
        "promotions": [
            {
                "path": p.path,
                "title": p.title,
                "status": p.status.value,
                "message": p.message,
                "entry": p.cart_entry_index,
            }
            for p in pricing.promotions
        ],
    }


async def full_cart_json(session: JcrCommerceSession) -> dict[str, Any]:
    body = cart_json(session, await session.pricing())
    body["vouchers"] = [
        {"code": v.code, "title": v.title, "valid": v.is_valid, "message": v.message}
        for v in await session.voucher_infos()
    ]
    return body


def order_json(order: PlacedOrder) -> dict[str, Any]:
    return {
        "orderId": order.order_id,
        "path": order.path,
        "placed": order.placed_at.isoformat(),
        "status": order.status,
        "entries": [
            {
                "product": e.product,
                "sku": e.sku,
                "title": e.title,
                "quantity": e.quantity,
                "unitPrice": money_json(e.prices[1]),
                "price": money_json(e.prices[0]),
            }
            for e in order.cart_entries
        ],
        "orderTotalPrice": money_json(order.total),
    }


# --- requests ------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Cookies:
    pending: list[tuple[str, str, int, bool]] = field(default_factory=list)

    def set(self, name: str, value: str, max_age: int, http_only: bool) -> None:
        self.pending.append((name, value, max_age, http_only))

    def apply(self, request: web.Request, response: web.StreamResponse) -> None:
        for name, value, max_age, http_only in self.pending:
            if max_age <= 0:
                response.del_cookie(name, path="/")
            else:
                response.set_cookie(
                    name,
                    value,
                    path="/",
                    max_age=max_age,
                    httponly=http_only,
                    samesite="Lax",
                    secure=request.secure,
                )


async def read_body(request: web.Request) -> dict[str, Any]:
    """The request's fields: a JSON object, or a form (first value of each field)."""
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.read() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidCommerceRequest(f"the body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise InvalidCommerceRequest("the JSON body must be an object")
        return body
    form = await request.post()
    return {k: form.get(k) for k in dict.fromkeys(form.keys())}


def _operation(body: Mapping[str, Any]) -> str:
    found = body.get(":operation", body.get("operation"))
    if not isinstance(found, str) or not found:
        raise InvalidCommerceRequest("the field :operation is required", field=":operation")
    return found


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidCommerceRequest(f"the field {name} is required", field=name)
    return value.strip()


def _int(body: Mapping[str, Any], name: str, *, default: int | None = None) -> int:
    value = body.get(name)
    if value is None and default is not None:
        return default
    if isinstance(value, bool):
        raise InvalidQuantityError(f"{name} must be an integer", field=name)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if name == "entry":
        raise InvalidCommerceRequest(f"{name} must be an integer, not {value!r}", field=name)
    raise InvalidQuantityError(f"{name} must be an integer, not {value!r}", field=name)


def _properties(body: Mapping[str, Any], reserved: frozenset[str]) -> dict[str, Any]:
    nested = body.get("properties")
    if nested is not None:
        if not isinstance(nested, dict):
            raise InvalidCommerceRequest("properties must be an object")
        return dict(nested)
    return {
        k: v
        for k, v in body.items()
        if not k.startswith(":") and k not in reserved and k not in _FORM_SKIP
    }


Handler = Callable[[web.Request, JcrCommerceSession], Awaitable[web.StreamResponse]]


def shopper_handler(
    manager: CommerceSessionManager, handler: Handler
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Open the shopper's commerce session for `handler` and send its cookies."""

    async def handle(request: web.Request) -> web.StreamResponse:
        cookies = _Cookies()
        user = request[user_id_key]
        ctx = SessionContext(
            user_id=None if user == ANONYMOUS else user,
            locale=request.query.get("locale", "en_US"),
            cookies=request.cookies,
            set_cookie=cookies.set,
        )
        repository = request.app[repository_key]
        try:
            session = await manager.login(repository, session_for(request), ctx)
        except CartCookieError as exc:
            response = error_response(exc)
            response.del_cookie(COOKIE_NAME, path="/")
            return response
        result = await handler(request, session)
        cookies.apply(request, result)
        result.headers["Cache-Control"] = "private, no-store"
        return result

    return handle


# --- handlers ----------------------------------------------------------------------------------
async def get_cart(request: web.Request, session: JcrCommerceSession) -> web.StreamResponse:
    return json_response(await full_cart_json(session))


async def post_cart(request: web.Request, session: JcrCommerceSession) -> web.StreamResponse:
    body = await read_body(request)
    operation = _operation(body)
    if operation == "add":
        path = _text(body, "product")
        quantity = _int(body, "quantity", default=1)
        props = _properties(body, frozenset({"product", "quantity"}))
        product = await session.product(path)
        if product is None:
            raise NotAProductError(f"{path} is not a product", path=path)
        await session.add_cart_entry(product, quantity, props)
    elif operation == "modify":
        entry = _int(body, "entry")
        props = _properties(body, frozenset({"entry", "quantity"}))
        new_quantity = _int(body, "quantity") if "quantity" in body else None
        await session.modify_cart_entry(entry, new_quantity, properties=props or None)
    elif operation == "delete":
        await session.delete_cart_entry(_int(body, "entry"))
    elif operation == "addVoucher":
        await session.add_voucher(_text(body, "code"))
    elif operation == "removeVoucher":
        await session.remove_voucher(_text(body, "code"))
    else:
        raise InvalidCommerceRequest(f"unknown cart operation {operation!r}", operation=operation)
    return json_response(await full_cart_json(session))


async def get_shipping_methods(
    request: web.Request, session: JcrCommerceSession
) -> web.StreamResponse:
    quotes = await session.shipping_quotes()
    selected = (await session.order()).get("shipping-option")
    return json_response(
        {
            "shippingMethods": [
                {
                    "path": m.path,
                    "name": m.name,
                    "title": m.title,
                    "description": m.description,
                    "price": money_json(price),
                    "countries": list(m.countries) if m.countries is not None else None,
                    "selected": selected in (m.path, m.name),
                }
                for m, price in quotes
            ]
        }
    )


async def get_payment_methods(
    request: web.Request, session: JcrCommerceSession
) -> web.StreamResponse:
    methods = await session.available_payment_methods()
    return json_response(
        {
            "paymentMethods": [
                {"path": m.path, "name": m.name, "title": m.title, "description": m.description}
                for m in methods
            ]
        }
    )


def _details(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if not k.startswith(":") and k not in _FORM_SKIP}


async def post_order(request: web.Request, session: JcrCommerceSession) -> web.StreamResponse:
    body = await read_body(request)
    operation = _operation(body)
    if operation == "update":
        await session.update_order(_details(body))
        pricing = await session.pricing()
        return json_response(
            {
                "order": await session.order(),
                "orderShipping": money_json(pricing.money(pricing.shipping)),
                "orderTotalPrice": money_json(pricing.money(pricing.total)),
            }
        )
    if operation == "submit":
        key = request.headers.get("Idempotency-Key")
        order = await session.submit_order(_details(body), idempotency_key=key)
        response = json_response(
            {
                "orderId": order.order_id,
                "path": order.path,
                "status": order.status,
                "orderTotalPrice": money_json(order.total),
            }
        )
        response.set_status(201)
        return response
    raise InvalidCommerceRequest(f"unknown order operation {operation!r}", operation=operation)


async def get_orders(request: web.Request, session: JcrCommerceSession) -> web.StreamResponse:
    query = request.query
    page_size = query.get("pagesize")
    try:
        page = int(query.get("page", "0"))
        size = int(page_size) if page_size is not None else None
    except ValueError:
        raise QueryError("page and pagesize must be integers") from None
    result = await session.placed_orders(
        query.get("predicate") or None, page, size, query.get("sort", "placed-desc")
    )
    body: dict[str, Any] = {"orders": [order_json(o) for o in result.orders]}
    if result.pagination is not None:
        p = result.pagination
        body["pagination"] = {"page": p.page, "pageSize": p.page_size, "total": p.total}
    return json_response(body)


async def get_order(request: web.Request, session: JcrCommerceSession) -> web.StreamResponse:
    wanted = request.query.get("id") or request.query.get("path") or ""
    order = await session.placed_order(wanted) if wanted else None
    if order is None:
        # Unknown and foreign ids look the same to a shopper.
        raise NotAuthorizedError(f"no order {wanted!r} of yours", order=wanted)
    body = order_json(order)
    body["order"] = dict(order.order)
    return json_response(body)


# --- registration --------------------------------------------------------------------------------
def register_session(
    context: PluginContext, registry: ProviderRegistry, options: SessionOptions | None = None
) -> CommerceSessionManager:
    """The session manager as a service, the built-in connectors, the /var/commerce folders
    at startup, and the `/bin/commerce` routes."""
    manager = CommerceSessionManager(registry, context.services, options or SessionOptions())
    manager.register_defaults()
    context.services.register(CommerceSessionManager, manager)

    async def startup(app: web.Application) -> None:
        await manager.start(app[repository_key])

    def routes(app: web.Application) -> None:
        def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
            return shopper_handler(manager, handler)

        router = app.router
        router.add_get(f"{BIN}/cart.json", wrap(get_cart))
        router.add_post(f"{BIN}/cart", wrap(post_cart))
        router.add_get(f"{BIN}/shipping-methods.json", wrap(get_shipping_methods))
        router.add_get(f"{BIN}/payment-methods.json", wrap(get_payment_methods))
        router.add_post(f"{BIN}/order", wrap(post_order))
        router.add_get(f"{BIN}/order.json", wrap(get_order))
        router.add_get(f"{BIN}/orders.json", wrap(get_orders))

    context.on_startup(startup)
    context.add_routes(routes)
    return manager
