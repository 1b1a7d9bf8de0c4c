"""The shared copy of products, campaigns and methods (commerce/session/cache.py): kept across
requests and cart writes, never served after a commit that changes what it holds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from commerce.product import Product
from commerce.session import CommerceSessionManager, JcrCommerceSession
from commerce.session.cache import SCAN_LIMIT
from commerce.session.cart import CartState
from commerce.session.manager import write_cart
from repo_server.errors import ConcurrentModification
from repo_server.http.keys import repository_key
from repo_server.session.session import Repository

from .session_support import (
    JACKET,
    MITTENS,
    STANDARD,
    TEE,
    TEN_PERCENT,
    Client,
    Shopper,
)

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
CART = "/bin/commerce/cart"


async def cart(client: Client) -> dict[str, Any]:
    resp = await client.get(f"{CART}.json")
    body: dict[str, Any] = await resp.json()
    assert resp.status == 200, body
    return body


async def add(client: Client, product: str, quantity: int = 1) -> dict[str, Any]:
    resp = await client.post(
        CART, data={":operation": "add", "product": product, "quantity": str(quantity)}
    )
    body: dict[str, Any] = await resp.json()
    assert resp.status == 200, body
    return body


async def admin_set(repository: Repository, path: str, name: str, value: Any) -> None:
    session = repository.session("admin")
    await session.set_property(path, name, value)
    await session.save()


async def test_a_price_change_shows_in_the_next_cart(client: Client) -> None:
    await add(client, TEE, 2)
    assert (await cart(client))["entries"][0]["unitPrice"]["amount"] == "24.00"
    await admin_set(client.app[repository_key], TEE, "price", Decimal("30.00"))
    body = await cart(client)
    assert body["entries"][0]["unitPrice"]["amount"] == "30.00"
    assert body["cartPreTaxPrice"]["amount"] == "60.00"
    # The next add prices the new line with the new price too.
    assert (await add(client, TEE))["cartPreTaxPrice"]["amount"] == "90.00"


async def test_a_promotion_change_shows_in_the_next_cart(client: Client) -> None:
    repository = client.app[repository_key]
    await add(client, JACKET)
    before = await cart(client)
    assert before["orderDiscount"]["amount"] == "0.00"
    # The voucher-gated 10 % promotion, opened to everyone by dropping its voucher...
    session = repository.session("admin")
    await session.remove("/content/campaigns/spring/spring10")
    await session.save()
    after = await cart(client)
    assert after["orderDiscount"]["amount"] == "11.90"
    assert [p["path"] for p in after["promotions"]] == [TEN_PERCENT]
    # ...then changed to 20 %.
    await admin_set(repository, f"{TEN_PERCENT}/jcr:content", "percent", "20")
    assert (await cart(client))["orderDiscount"]["amount"] == "23.80"


async def test_a_shipping_method_change_shows_in_the_next_cart(client: Client) -> None:
    await add(client, TEE)
    resp = await client.post(
        "/bin/commerce/order",
        data={":operation": "update", "shipping-option": STANDARD, "shipping.country": "US"},
    )
    assert resp.status == 200
    assert (await cart(client))["orderShipping"]["amount"] == "10.00"
    await admin_set(client.app[repository_key], STANDARD, "price", Decimal("12.50"))
    assert (await cart(client))["orderShipping"]["amount"] == "12.50"


async def test_cart_writes_keep_the_shared_copy_other_commits_replace_it(
    client: Client, manager: CommerceSessionManager
) -> None:
    repository = client.app[repository_key]
    await add(client, TEE)
    shared = manager.shared(repository)
    assert TEE in shared.products
    await add(client, JACKET)
    await add(client, TEE)
    assert manager.shared(repository) is shared
    await admin_set(repository, "/content/campaigns/jcr:content", "note", "any content commit")
    fresh = manager.shared(repository)
    assert fresh is not shared
    assert fresh.epoch > shared.epoch
    assert fresh.products == {}


async def test_more_commits_than_the_scan_limit_start_a_new_epoch(
    client: Client, manager: CommerceSessionManager
) -> None:
    repository = client.app[repository_key]
    await add(client, TEE)
    shared = manager.shared(repository)
    # Cart-only commits keep the copy...
    session = manager.service_session(repository)
    await session.add_node("/var/commerce/carts/anonymous/" + "f" * 32, "nt:unstructured")
    await session.save()
    assert manager.shared(repository) is shared
    # ...but too many to read drop it, to be safe.
    for i in range(SCAN_LIMIT + 1):
        session = manager.service_session(repository)
        path = "/var/commerce/carts/anonymous/" + f"{i:032x}"
        await session.add_node(path, "nt:unstructured")
        await session.save()
    assert manager.shared(repository).epoch > shared.epoch


async def test_a_cart_changed_behind_the_lock_is_not_overwritten(shopper: Shopper) -> None:
    session = await shopper("alice")
    product = await session.product(TEE)
    assert product is not None
    await session.add_cart_entry(product)
    repository = session.repository
    service = session.manager.service_session(repository)
    path = session.shopper.cart_path
    state = CartState.from_node(path, await service.get_node(path))
    # Another writer (not holding the cart lock) changes the cart after it was read.
    other = repository.session("admin")
    await other.set_property(path, "cartItems", [])
    await other.save()
    state.lines.clear()
    write_cart(service, state)
    with pytest.raises(ConcurrentModification):
        await service.save()


async def test_a_cart_written_after_login_is_read_again_before_the_next_write(
    shopper: Shopper,
) -> None:
    first = await shopper("alice")
    await first.add_cart_entry(await product_at(first, TEE))
    second = await shopper("alice")  # has read the cart with the tee
    third = await shopper("alice")
    await third.add_cart_entry(await product_at(third, JACKET))
    # Changed by a writer that takes no cart lock at all.
    admin = second.repository.session("admin")
    fourth = await shopper("alice")
    await admin.set_property(second.shopper.cart_path, "vouchers", ["SPRING10"])
    await admin.save()
    await second.add_cart_entry(await product_at(second, MITTENS))
    assert [e.product.path for e in second.cart_entries()] == [TEE, JACKET, MITTENS]
    await fourth.add_cart_entry(await product_at(fourth, MITTENS))
    assert [(e.product.path, e.quantity) for e in fourth.cart_entries()] == [
        (TEE, 1),
        (JACKET, 1),
        (MITTENS, 2),
    ]
    assert fourth.state.vouchers == ["SPRING10"]


async def product_at(session: JcrCommerceSession, path: str) -> Product:
    found = await session.product(path)
    assert found is not None
    return found
