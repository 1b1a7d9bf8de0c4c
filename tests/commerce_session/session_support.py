"""Data and helpers of the CommerceSession tests: a small shop, campaigns, checkout details."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from commerce.session import JcrCommerceSession
from repo_server.loader import load_document
from repo_server.server import fixture_files
from repo_server.session.session import ContentSession

from ..http_support import Client as Client
from ..http_support import assert_error as assert_error

# Shared with the tests through this module: `from conftest import ...` clashes across test
# directories (pytest imports every directory's conftest.py as the one module `conftest`).
Shopper = Callable[..., Awaitable[JcrCommerceSession]]
PASSWORD: Final = "shopper-secret-1"

SHOP: Final = "/etc/commerce/products/test-shop"
TEE: Final = f"{SHOP}/tee"
JACKET: Final = f"{SHOP}/jacket"
MITTENS: Final = f"{SHOP}/mittens"
SHIRT: Final = f"{SHOP}/shirt"
SHIRT_S: Final = f"{SHIRT}/shirt_s"
SHIRT_M: Final = f"{SHIRT}/shirt_m"
EBOOK: Final = f"{SHOP}/ebook"
CAMPAIGNS: Final = "/content/campaigns"
TEN_PERCENT: Final = f"{CAMPAIGNS}/spring/ten-percent"
TEE_DEAL: Final = f"{CAMPAIGNS}/spring/tee-deal"
FREE_SHIP: Final = f"{CAMPAIGNS}/spring/vip-shipping"
STANDARD: Final = "/var/commerce/shipping-methods/jcr/standard"
EXPRESS: Final = "/var/commerce/shipping-methods/jcr/express"
INTERNATIONAL: Final = "/var/commerce/shipping-methods/jcr/international"
CARD: Final = "/var/commerce/payment-methods/jcr/card"
GOOD_CARD: Final = "4242424242424242"
DECLINED_CARD: Final = "4000000000000002"
# Demo catalog (fixtures/demo): a leaf variant, its base, a product with quantity tiers.
DEMO_POLO_S_BLUE: Final = (
    "/etc/commerce/products/geometrixx-outdoors/men/shirts/harbor_polo/harbor_polo_s/"
    "harbor_polo_s_blue"
)
DEMO_POLO: Final = "/etc/commerce/products/geometrixx-outdoors/men/shirts/harbor_polo"


def _product(price: str, **extra: Any) -> dict[str, Any]:
    return {
        "jcr:primaryType": "nt:unstructured",
        "cq:commerceType": "product",
        "price": price,
        "price@TypeHint": "Decimal",
        "currency": "USD",
        **extra,
    }


SHOP_DOC: Final[dict[str, Any]] = {
    ":path": SHOP,
    "jcr:primaryType": "sling:Folder",
    "cq:commerceProvider": "jcr",
    "tee": _product("24.00", **{"jcr:title": "Logo Tee", "identifier": "TEE-1"}),
    "jacket": _product("119.00", **{"jcr:title": "Rain Jacket", "identifier": "JKT-1"}),
    "mittens": _product("10.00", **{"jcr:title": "Mittens", "priceTiers": ["10=9.00", "50=8.00"]}),
    "ebook": _product("10.00", **{"jcr:title": "E-book", "vatFree": "true"}),
    "shirt": {
        **_product("14.00", **{"jcr:title": "Shirt", "cq:productVariantAxes": ["size"]}),
        "price.EUR": "13.00",
        "price.EUR@TypeHint": "Decimal",
        "shirt_s": {
            "jcr:primaryType": "nt:unstructured",
            "cq:commerceType": "variant",
            "size": "S",
        },
        "shirt_m": {
            "jcr:primaryType": "nt:unstructured",
            "cq:commerceType": "variant",
            "size": "M",
            "price": "18.00",
            "price@TypeHint": "Decimal",
        },
    },
}


def _page(content: dict[str, Any], **children: Any) -> dict[str, Any]:
    return {
        "jcr:primaryType": "cq:Page",
        "jcr:content": {"jcr:primaryType": "cq:PageContent", **content},
        **children,
    }


CAMPAIGNS_DOC: Final[dict[str, Any]] = {
    ":path": CAMPAIGNS,
    **_page(
        {"jcr:title": "Campaigns"},
        spring=_page(
            {"jcr:title": "Spring", "priority": "200"},
            **{
                "ten-percent": _page(
                    {
                        "jcr:title": "10% off your order",
                        "sling:resourceType": "commerce/components/promotion",
                        "type": "discount",
                        "percent": "10",
                    }
                ),
                "tee-deal": _page(
                    {
                        "jcr:title": "Tee and jacket: 5.00 off each tee",
                        "sling:resourceType": "commerce/components/promotion",
                        "type": "perfect-partner",
                        "product": TEE,
                        "partner": JACKET,
                        "amount": "5.00",
                        "perUnit": "true",
                    }
                ),
                "vip-shipping": _page(
                    {
                        "jcr:title": "Free shipping for VIPs",
                        "sling:resourceType": "commerce/components/promotion",
                        "type": "free-shipping",
                        "segments": ["vip"],
                    }
                ),
                "partner": _page(
                    {
                        "sling:resourceType": "commerce/components/voucher",
                        "code": "PARTNER",
                        "promotion": TEE_DEAL,
                    }
                ),
                "spring10": _page(
                    {
                        "jcr:title": "Spring voucher",
                        "sling:resourceType": "commerce/components/voucher",
                        "code": "SPRING10",
                        "promotion": TEN_PERCENT,
                    }
                ),
            },
        ),
        old=_page(
            {"jcr:title": "Last year", "offTime": "2001-01-01T00:00:00.000Z"},
            **{
                "five-off": _page(
                    {
                        "jcr:title": "5 off",
                        "sling:resourceType": "commerce/components/promotion",
                        "type": "discount",
                        "amount": "5.00",
                    }
                ),
                "old5": _page(
                    {
                        "sling:resourceType": "commerce/components/voucher",
                        "code": "OLD5",
                        "promotion": f"{CAMPAIGNS}/old/five-off",
                    }
                ),
            },
        ),
    ),
}


async def load_shop(session: ContentSession, *, demo: bool = False) -> None:
    """The roots (and the demo catalog if asked), the test shop and the campaigns."""
    import json

    sets = ("roots", "examples", "demo") if demo else ("roots",)
    for filename in fixture_files(sets):
        await load_document(session, json.loads(filename.read_text("utf-8")))
    await load_document(session, dict(SHOP_DOC))
    await load_document(session, dict(CAMPAIGNS_DOC))


def address(prefix: str, country: str = "US") -> dict[str, str]:
    return {
        f"{prefix}.firstname": "Ada",
        f"{prefix}.lastname": "Lovelace",
        f"{prefix}.street1": "1 Analytical Way",
        f"{prefix}.city": "Springfield",
        f"{prefix}.zip": "12345",
        f"{prefix}.country": country,
    }


def checkout_details(country: str = "US") -> dict[str, str]:
    return {
        **address("billing", country),
        "shippingAddressSameAsBilling": "true",
        "shipping-option": STANDARD,
        "payment-option": CARD,
    }


def card(number: str = GOOD_CARD) -> dict[str, str]:
    return {
        "card.number": number,
        "card.expiry": "12/39",
        "card.cvv": "123",
        "card.holder": "Ada Lovelace",
    }


async def login(client: Client, user: str) -> None:
    resp = await client.post("/j_security_check", data={"j_username": user, "j_password": PASSWORD})
    assert resp.status == 200, await resp.text()
