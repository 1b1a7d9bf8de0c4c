"""Fulfilment connectors (issue 5): ranked services called after an order is stored
(`initiate_order_processing`, spec §6.6 step 9). A deployment registers its own (an ERP, a
3PL) with a higher ranking.

The built-in `WarehouseFulfilment` records a pick list for a warehouse at
`/var/commerce/fulfilment/<warehouse>/<orderId>` (`orderPath`, `lines` as `sku;qty;path`,
the shipping address, `status=Pending`) and moves the order to `Processing`, in one save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from repo_server.model import path as P
from repo_server.session.session import ContentSession

FULFILMENT_ROOT: Final = "/var/commerce/fulfilment"


@dataclass(frozen=True, slots=True)
class FulfilmentLine:
    sku: str
    quantity: int
    product: str


@dataclass(frozen=True, slots=True)
class FulfilmentRequest:
    order_id: str
    order_path: str
    lines: Sequence[FulfilmentLine]
    ship_to: Mapping[str, str]
    shipping_method: str | None


class FulfilmentConnector:
    """The fulfilment SPI; the ServiceRegistry key under which connectors are registered."""

    name: str = "none"

    async def initiate(self, session: ContentSession, request: FulfilmentRequest) -> None:
        """Hand the order over. `session` writes as the commerce service; the connector saves
        it. Raising records `processingError` on the order (it is not undone)."""
        await session.set_property(request.order_path, "orderStatus", "Processing")
        await session.save()


class WarehouseFulfilment(FulfilmentConnector):
    name = "warehouse"

    def __init__(self, warehouse: str = "main") -> None:
        self.warehouse = warehouse

    async def initiate(self, session: ContentSession, request: FulfilmentRequest) -> None:
        folder = P.join(FULFILMENT_ROOT, self.warehouse)
        if not await session.exists(folder):
            await session.add_node(folder, "sling:Folder")
        props: dict[str, object] = {
            "orderId": request.order_id,
            "orderPath": request.order_path,
            "lines": [f"{x.sku};{x.quantity};{x.product}" for x in request.lines],
            "status": "Pending",
            "received": datetime.now(UTC),
        }
        if request.shipping_method:
            props["shippingMethod"] = request.shipping_method
        for key, value in request.ship_to.items():
            props[f"shipTo.{key}"] = value
        await session.add_node(
            P.join(folder, request.order_id), "nt:unstructured", properties=props
        )
        await session.set_property(request.order_path, "orderStatus", "Processing")
        await session.set_property(
            request.order_path, "fulfilment", P.join(folder, request.order_id)
        )
        await session.save()
