"""Names shared with AEM's `CommerceConstants` (commerce-api §11): the same string values."""

from __future__ import annotations

from typing import Final

PN_COMMERCE_PROVIDER: Final = "cq:commerceProvider"
# The *service* property of a factory registration; not to be confused with the node property.
SERVICE_PROVIDER_PROPERTY: Final = "commerceProvider"
SERVICE_RANKING: Final = "service.ranking"
PN_COMMERCE_TYPE: Final = "cq:commerceType"
PN_PRODUCT_DATA: Final = "productData"
PN_PRODUCT_VARIANT_AXES: Final = "cq:productVariantAxes"
PN_PRODUCT_ATTRIBUTES: Final = "cq:productAttributes"
PN_PROXY_PAGE_OVERRIDE: Final = "cq:proxyPageOverride"
PN_CART_PAGE_PATH: Final = "cq:cartPage"
PN_CHECKOUT_PAGE_PATH: Final = "cq:checkoutPage"
PN_IDENTIFIER: Final = "identifier"
PN_FILE_REFERENCE: Final = "fileReference"
NN_IMAGE: Final = "image"

RT_PRODUCT: Final = "commerce/components/product"
RT_PRODUCT_PAGE_PROXY: Final = "commerce/components/product/page/proxy"
SERVICE_COMMERCE: Final = "commerce-service"
COMMERCE_COOKIE_NAME: Final = "CommercePersistence"
MIX_COMMERCE: Final = "cq:Commerce"

TYPE_PRODUCT: Final = "product"
TYPE_VARIANT: Final = "variant"
TYPE_CATALOG: Final = "catalog"
TYPE_SECTION: Final = "section"

BILLING_ADDRESS_PREDICATE: Final = "billing-address"
SHIPPING_ADDRESS_PREDICATE: Final = "shipping-address"
BILLING_ADDRESS_PREFIX: Final = "billing."
SHIPPING_ADDRESS_PREFIX: Final = "shipping."
SHIPPING_OPTION: Final = "shippingOption"
PAYMENT_OPTION: Final = "paymentOption"
PAYMENT_TOKEN: Final = "paymentToken"
SHIPPING_ADDR_SAME: Final = "shippingAddrSame"
OPEN_ORDERS_PREDICATE: Final = "openOrders"

PN_QUANTITY: Final = "quantity"
PN_READONLY: Final = "readonly"
MIN_QUANTITY: Final = "minQuantity"
FACET_PREFIX: Final = "facet_"
PARAM_QUERYTEXT: Final = "q"
PARAM_PAGE: Final = "page"
PARAM_PAGESIZE: Final = "pagesize"
PARAM_SORTID: Final = "sort"
RELATIONSHIP_TYPE_PN: Final = "relationshipType"
PROMOTION_TYPE_PN: Final = "promotionType"
VOUCHER_DEFAULT_PRIORITY: Final = 100

_PIM: Final = "com/adobe/cq/commerce/pim/"
TOPIC_PRODUCT_ADDED: Final = _PIM + "PRODUCT_ADDED"
TOPIC_PRODUCT_MODIFIED: Final = _PIM + "PRODUCT_MODIFIED"
TOPIC_PRODUCT_DELETED: Final = _PIM + "PRODUCT_DELETED"
TOPIC_PRODUCT_PAGE_ADDED: Final = _PIM + "PRODUCT_PAGE_ADDED"
TOPIC_PRODUCT_PAGE_MODIFIED: Final = _PIM + "PRODUCT_PAGE_MODIFIED"
TOPIC_PRODUCT_PAGE_DELETED: Final = _PIM + "PRODUCT_PAGE_DELETED"
