"""`/bin/commerce/*` on a publish instance: a shopper's whole journey over HTTP (issue 5)."""

from __future__ import annotations

from typing import Any

import pytest

from commerce.session.manager import COOKIE_NAME

from .session_support import (
    CARD,
    DECLINED_CARD,
    DEMO_POLO,
    DEMO_POLO_S_BLUE,
    EXPRESS,
    INTERNATIONAL,
    JACKET,
    SHIRT,
    STANDARD,
    TEE,
    Client,
    assert_error,
    card,
    checkout_details,
    login,
)

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
CART = "/bin/commerce/cart"


async def cart(client: Client) -> dict[str, Any]:
    resp = await client.get(f"{CART}.json")
    body: dict[str, Any] = await resp.json()
    assert resp.status == 200, body
    return body


async def post(client: Client, url: str, **fields: Any) -> dict[str, Any]:
    resp = await client.post(url, data={k: str(v) for k, v in fields.items()})
    body: dict[str, Any] = await resp.json()
    assert resp.status == 200, body
    return body


async def add(client: Client, product: str, quantity: int = 1) -> dict[str, Any]:
    return await post(
        client, CART, **{":operation": "add", "product": product, "quantity": quantity}
    )


async def test_an_anonymous_shopper_fills_a_cart_kept_by_a_signed_cookie(client: Client) -> None:
    empty = await cart(client)
    assert empty["entries"] == []
    assert empty["orderTotalPrice"]["amount"] == "0.00"
    resp = await client.post(CART, data={":operation": "add", "product": TEE, "quantity": "2"})
    assert resp.status == 200
    cookie = resp.cookies[COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie.value.count(".") == 1
    await add(client, JACKET)
    await post(
        client,
        "/bin/commerce/order",
        **{":operation": "update", "shipping-option": STANDARD, "shipping.country": "US"},
    )
    body = await cart(client)
    assert [(e["entry"], e["sku"], e["quantity"]) for e in body["entries"]] == [
        (0, "TEE-1", 2),
        (1, "JKT-1", 1),
    ]
    assert body["entries"][0]["unitPrice"] == {
        "amount": "24.00",
        "currency": "USD",
        "formatted": "$24.00",
    }
    assert body["entries"][0]["price"]["amount"] == "48.00"
    totals = {
        k: body[k]["amount"]
        for k in (
            "cartPreTaxPrice",
            "cartTax",
            "cartTotalPrice",
            "orderShipping",
            "orderTotalTax",
            "orderTotalPrice",
        )
    }
    assert totals == {
        "cartPreTaxPrice": "167.00",
        "cartTax": "10.02",
        "cartTotalPrice": "177.02",
        "orderShipping": "10.00",
        "orderTotalTax": "10.02",
        "orderTotalPrice": "187.02",
    }
    assert body["orderTotalPrice"]["formatted"] == "$187.02"


async def test_modify_and_delete_renumber_the_entries(client: Client) -> None:
    for path in (TEE, JACKET, f"{SHIRT}/shirt_m"):
        await add(client, path)
    body = await post(client, CART, **{":operation": "modify", "entry": 0, "quantity": 5})
    assert body["entries"][0]["quantity"] == 5
    body = await post(client, CART, **{":operation": "delete", "entry": 1})
    assert [(e["entry"], e["product"]) for e in body["entries"]] == [
        (0, TEE),
        (1, f"{SHIRT}/shirt_m"),
    ]
    body = await post(client, CART, **{":operation": "modify", "entry": 0, "quantity": 0})
    assert [e["product"] for e in body["entries"]] == [f"{SHIRT}/shirt_m"]
    resp = await client.post(CART, data={":operation": "delete", "entry": "1"})
    await assert_error(resp, 400, "cart-entry-index")


BAD_CART_INPUT = [
    ({":operation": "add", "product": TEE, "quantity": "-1"}, 400, "invalid-quantity"),
    ({":operation": "add", "product": TEE, "quantity": "1.5"}, 400, "invalid-quantity"),
    ({":operation": "add", "product": TEE, "quantity": "0"}, 400, "invalid-quantity"),
    ({":operation": "add", "product": SHIRT}, 409, "not-purchasable"),
    ({":operation": "add", "product": "/etc/commerce/products/nope"}, 404, "not-a-product"),
    ({":operation": "add", "product": "/content"}, 404, "not-a-product"),
    ({":operation": "add"}, 400, "invalid-request"),
    ({":operation": "modify", "entry": "7", "quantity": "1"}, 400, "cart-entry-index"),
    ({":operation": "modify", "entry": "0", "quantity": "-2"}, 400, "invalid-quantity"),
    ({":operation": "delete", "entry": "x"}, 400, "invalid-request"),
    ({":operation": "explode"}, 400, "invalid-request"),
    ({}, 400, "invalid-request"),
    ({":operation": "addVoucher", "code": "NOPE"}, 400, "voucher"),
    ({":operation": "add", "product": TEE, "lineId": "x"}, 400, "invalid-request"),
]


async def test_bad_cart_input_is_a_clear_4xx_and_changes_nothing(client: Client) -> None:
    await add(client, TEE)
    before = await cart(client)
    for fields, status, code in BAD_CART_INPUT:
        resp = await client.post(CART, data=fields)
        await assert_error(resp, status, code)
        assert await cart(client) == before, fields


async def test_malformed_json_is_refused(client: Client) -> None:
    resp = await client.post(CART, data=b"{not json", headers={"Content-Type": "application/json"})
    await assert_error(resp, 400, "invalid-request")
    resp = await client.post(CART, json={":operation": "add", "product": TEE, "quantity": 2})
    assert resp.status == 200
    assert (await resp.json())["entries"][0]["quantity"] == 2


async def test_a_tampered_cart_cookie_is_refused(client: Client) -> None:
    await add(client, TEE)
    value = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE_NAME].value
    cart_id, _, mac = value.partition(".")
    forged = f"{'0' * 32}.{mac}"
    resp = await client.get(f"{CART}.json", cookies={COOKIE_NAME: forged})
    await assert_error(resp, 400, "cart-cookie")
    resp = await client.post(
        CART, data={":operation": "add", "product": TEE}, cookies={COOKIE_NAME: cart_id + ".AAAA"}
    )
    await assert_error(resp, 400, "cart-cookie")


@pytest.mark.usefixtures("shoppers")
async def test_the_anonymous_cart_merges_into_the_users_cart_at_login(client: Client) -> None:
    await login(client, "alice")
    await add(client, TEE, 1)
    await client.get("/system/sling/logout")
    client.session.cookie_jar.clear()
    await add(client, TEE, 2)
    await add(client, JACKET, 1)
    await login(client, "alice")
    resp = await client.get(f"{CART}.json")
    body = await resp.json()
    assert [(e["sku"], e["quantity"]) for e in body["entries"]] == [("TEE-1", 3), ("JKT-1", 1)]
    assert resp.cookies[COOKIE_NAME].value == ""  # the anonymous cart is gone
    assert [(e["sku"], e["quantity"]) for e in (await cart(client))["entries"]] == [
        ("TEE-1", 3),
        ("JKT-1", 1),
    ]


async def test_shipping_methods_follow_the_address(client: Client) -> None:
    await add(client, TEE, 2)
    resp = await client.get("/bin/commerce/shipping-methods.json")
    paths = [m["path"] for m in (await resp.json())["shippingMethods"]]
    assert paths == [STANDARD, EXPRESS, INTERNATIONAL]
    await post(client, "/bin/commerce/order", **{":operation": "update", "shipping.country": "DE"})
    methods = (await (await client.get("/bin/commerce/shipping-methods.json")).json())[
        "shippingMethods"
    ]
    assert [(m["path"], m["price"]["amount"]) for m in methods] == [(INTERNATIONAL, "40.00")]
    payment = await (await client.get("/bin/commerce/payment-methods.json")).json()
    assert [m["path"] for m in payment["paymentMethods"]] == [CARD]


async def test_vouchers_over_http(client: Client) -> None:
    await add(client, TEE, 2)
    await add(client, JACKET)
    body = await post(client, CART, **{":operation": "addVoucher", "code": "SPRING10"})
    assert body["orderDiscount"]["amount"] == "16.70"
    assert body["vouchers"] == [
        {
            "code": "SPRING10",
            "title": "Spring voucher",
            "valid": True,
            "message": "Voucher SPRING10 applied.",
        }
    ]
    body = await post(client, CART, **{":operation": "removeVoucher", "code": "SPRING10"})
    assert body["orderDiscount"]["amount"] == "0.00"
    assert body["vouchers"] == []


async def test_update_refuses_card_data(client: Client) -> None:
    resp = await client.post(
        "/bin/commerce/order", data={":operation": "update", "card.number": "4242424242424242"}
    )
    await assert_error(resp, 400, "sensitive-field")


@pytest.mark.usefixtures("shoppers")
async def test_checkout_declined_then_approved_then_idempotent(client: Client) -> None:
    await login(client, "alice")
    await add(client, TEE, 2)
    await add(client, JACKET)
    await post(client, "/bin/commerce/order", **{":operation": "update", **checkout_details()})
    resp = await client.post(
        "/bin/commerce/order", data={":operation": "submit", **card(DECLINED_CARD)}
    )
    await assert_error(resp, 402, "payment-declined")
    assert len((await cart(client))["entries"]) == 2
    headers = {"Idempotency-Key": "order-1"}
    resp = await client.post(
        "/bin/commerce/order", data={":operation": "submit", **card()}, headers=headers
    )
    placed = await resp.json()
    assert resp.status == 201, placed
    assert placed["orderTotalPrice"] == {
        "amount": "187.02",
        "currency": "USD",
        "formatted": "$187.02",
    }
    assert placed["status"] == "Processing"
    assert placed["path"].endswith(placed["orderId"])
    assert (await cart(client))["entries"] == []
    resp = await client.post(
        "/bin/commerce/order", data={":operation": "submit", **card()}, headers=headers
    )
    assert (await resp.json())["orderId"] == placed["orderId"]
    orders = (await (await client.get("/bin/commerce/orders.json")).json())["orders"]
    assert [o["orderId"] for o in orders] == [placed["orderId"]]
    assert [(e["sku"], e["quantity"], e["unitPrice"]["amount"]) for e in orders[0]["entries"]] == [
        ("TEE-1", 2, "24.00"),
        ("JKT-1", 1, "119.00"),
    ]
    # Another shopper sees neither the order nor its node.
    await client.get("/system/sling/logout")
    client.session.cookie_jar.clear()
    await login(client, "bob")
    assert (await (await client.get("/bin/commerce/orders.json")).json())["orders"] == []
    resp = await client.get("/bin/commerce/order.json", params={"path": placed["path"]})
    await assert_error(resp, 403, "not-authorized")
    resp = await client.get(f"{placed['path']}.json")
    assert resp.status == 404


async def test_submit_with_missing_details_is_a_400_listing_them(client: Client) -> None:
    await add(client, TEE)
    resp = await client.post("/bin/commerce/order", data={":operation": "submit", **card()})
    body = await assert_error(resp, 400, "order-validation")
    assert "billing.city" in body["details"]["missing"]
    assert len((await cart(client))["entries"]) == 1


async def test_a_demo_catalog_variant_goes_into_the_cart(demo_client: Client) -> None:
    body = await add(demo_client, DEMO_POLO_S_BLUE, 2)
    assert body["entries"][0]["sku"] == "GOMSH002-S-BLUE"
    assert body["entries"][0]["price"]["amount"] == "83.00"
    resp = await demo_client.post(CART, data={":operation": "add", "product": DEMO_POLO})
    await assert_error(resp, 409, "not-purchasable")
