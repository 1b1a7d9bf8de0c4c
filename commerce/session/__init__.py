"""CommerceSession (commerce-api §6): carts, prices, the order under construction, submit and
placed orders, for the generic JCR provider."""

from __future__ import annotations

from commerce.session.cart import CartEntry
from commerce.session.context import SessionContext
from commerce.session.manager import CommerceSessionManager, SessionOptions
from commerce.session.orders import OrderEntry, PlacedOrder, PlacedOrderResult
from commerce.session.session import JcrCommerceSession

CommerceSession = JcrCommerceSession

__all__ = [
    "CartEntry",
    "CommerceSession",
    "CommerceSessionManager",
    "JcrCommerceSession",
    "OrderEntry",
    "PlacedOrder",
    "PlacedOrderResult",
    "SessionContext",
    "SessionOptions",
]
