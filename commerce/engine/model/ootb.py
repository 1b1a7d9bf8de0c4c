"""The out-of-the-box integration objects, in the definition-file format (docs/ENGINE.md)."""

from __future__ import annotations

from typing import Final

from commerce.engine.model.values import JSONValue

_CATALOG_VERSION: Final[JSONValue] = {
    "code": "CatalogVersion",
    "type": "CatalogVersion",
    "attributes": {
        "version": {"unique": True},
        "catalog": {"unique": True, "returnItem": "Catalog", "autoCreate": True},
        "active": {},
    },
}
_CATALOG: Final[JSONValue] = {
    "code": "Catalog",
    "type": "Catalog",
    "attributes": {"id": {"unique": True}, "name": {}},
}
_CATEGORY: Final[JSONValue] = {
    "code": "Category",
    "type": "Category",
    "attributes": {
        "code": {"unique": True},
        "catalogVersion": {"unique": True, "returnItem": "CatalogVersion", "autoCreate": True},
        "name": {},
        "description": {},
        "supercategories": {"returnItem": "Category"},
    },
}

OOTB_DEFINITIONS: Final[JSONValue] = {
    "integrationObjects": [
        {
            "code": "InboundProduct",
            "authenticationType": "BASIC",
            "items": [
                {
                    "code": "Product",
                    "type": "Product",
                    "root": True,
                    "attributes": {
                        "code": {"unique": True},
                        "catalogVersion": {
                            "unique": True,
                            "returnItem": "CatalogVersion",
                            "autoCreate": True,
                        },
                        "name": {},
                        "description": {},
                        "ean": {},
                        "approvalStatus": {},
                        "onlineDate": {},
                        "numberContentUnits": {},
                        "supercategories": {"returnItem": "Category"},
                        "unit": {"returnItem": "Unit", "autoCreate": True},
                        "variants": {"returnItem": "VariantProduct"},
                        "europe1Prices": {"returnItem": "PriceRow"},
                    },
                },
                _CATALOG_VERSION,
                _CATALOG,
                {
                    "code": "Category",
                    "type": "Category",
                    "attributes": {
                        "code": {"unique": True},
                        "catalogVersion": {"unique": True, "returnItem": "CatalogVersion"},
                        "name": {},
                    },
                },
                {
                    "code": "Unit",
                    "type": "Unit",
                    "attributes": {"code": {"unique": True}, "unitType": {}, "name": {}},
                },
                {
                    "code": "VariantProduct",
                    "type": "VariantProduct",
                    "attributes": {
                        "code": {"unique": True},
                        "catalogVersion": {"unique": True, "returnItem": "CatalogVersion"},
                        "baseProduct": {"returnItem": "Product"},
                        "name": {},
                        "approvalStatus": {},
                        "size": {},
                        "color": {},
                    },
                },
                {
                    "code": "PriceRow",
                    "type": "PriceRow",
                    "attributes": {
                        "product": {"unique": True, "returnItem": "Product"},
                        "currency": {"unique": True},
                        "minqtd": {"unique": True},
                        "price": {},
                        "net": {},
                    },
                },
            ],
        },
        {
            "code": "InboundCategory",
            "authenticationType": "BASIC",
            "items": [
                {**_CATEGORY, "root": True},  # type: ignore[dict-item]
                _CATALOG_VERSION,
                _CATALOG,
            ],
        },
        {
            "code": "InboundB2BUnit",
            "authenticationType": "BASIC",
            "items": [
                {
                    "code": "B2BUnit",
                    "type": "B2BUnit",
                    "root": True,
                    "attributes": {
                        "uid": {"unique": True},
                        "name": {},
                        "locName": {},
                        "active": {},
                        "addresses": {"returnItem": "Address"},
                    },
                },
                {
                    "code": "Address",
                    "type": "Address",
                    "attributes": {
                        "publicKey": {"unique": True},
                        "owner": {"unique": True, "returnItem": "B2BUnit"},
                        "streetname": {},
                        "streetnumber": {},
                        "postalcode": {},
                        "town": {},
                        "country": {},
                        "email": {},
                    },
                },
            ],
        },
        {
            "code": "InboundB2BCustomer",
            "authenticationType": "BASIC",
            "items": [
                {
                    "code": "Customer",
                    "type": "Customer",
                    "root": True,
                    "attributes": {
                        "uid": {"unique": True},
                        "name": {},
                        "email": {},
                        "customerID": {},
                        "active": {},
                        "defaultB2BUnit": {"returnItem": "B2BUnit"},
                    },
                },
                {
                    "code": "B2BUnit",
                    "type": "B2BUnit",
                    "attributes": {"uid": {"unique": True}, "name": {}},
                },
            ],
        },
    ]
}

# The Meta API: built in, always exposed, not editable through itself (spec §1).
INBOUND_MONITORING: Final[JSONValue] = {
    "code": "InboundIntegrationMonitoring",
    "items": [
        {
            "code": "InboundRequest",
            "type": "InboundRequest",
            "root": True,
            "attributes": {
                "creationtime": {"unique": True},
                "messageId": {"unique": True},
                "requestIntegrationKey": {"unique": True},
                "type": {},
                "httpMethod": {},
                "sapPassport": {},
                "payload": {},
                "status": {"returnItem": "IntegrationRequestStatus"},
                "user": {"returnItem": "User"},
                "errors": {"returnItem": "InboundRequestError"},
            },
        },
        {
            "code": "InboundRequestError",
            "type": "InboundRequestError",
            "attributes": {
                "inboundRequest": {"unique": True, "returnItem": "InboundRequest"},
                "code": {"unique": True},
                "message": {},
            },
        },
        {
            "code": "IntegrationRequestStatus",
            "type": "IntegrationRequestStatus",
            "entitySet": "IntegrationRequestStatuses",
            "attributes": {"code": {"unique": True}},
        },
        {"code": "User", "type": "User", "attributes": {"uid": {"unique": True}}},
    ],
}

INTEGRATION_SERVICE: Final[JSONValue] = {
    "code": "IntegrationService",
    "items": [
        {
            "code": "IntegrationObject",
            "type": "IntegrationObject",
            "root": True,
            "attributes": {
                "code": {"unique": True},
                "integrationType": {},
                "items": {"returnItem": "IntegrationObjectItem"},
            },
        },
        {
            "code": "IntegrationObjectItem",
            "type": "IntegrationObjectItem",
            "attributes": {
                "code": {"unique": True},
                "integrationObject": {"unique": True, "returnItem": "IntegrationObject"},
                "type": {},
                "root": {},
                "entitySet": {},
                "attributes": {"returnItem": "IntegrationObjectItemAttribute"},
            },
        },
        {
            "code": "IntegrationObjectItemAttribute",
            "type": "IntegrationObjectItemAttribute",
            "attributes": {
                "attributeName": {"unique": True},
                "integrationObjectItem": {"unique": True, "returnItem": "IntegrationObjectItem"},
                "attributeDescriptor": {},
                "returnIntegrationObjectItem": {
                    "returnItem": "IntegrationObjectItem",
                    "autoCreate": True,
                },
                "unique": {},
                "autoCreate": {},
                "partOf": {},
            },
        },
        {
            "code": "InboundChannelConfiguration",
            "type": "InboundChannelConfiguration",
            "attributes": {
                "integrationObject": {
                    "unique": True,
                    "returnItem": "IntegrationObject",
                    "autoCreate": True,
                },
                "authenticationType": {},
            },
        },
        {
            "code": "AccessRight",
            "type": "AccessRight",
            "attributes": {
                "group": {"unique": True},
                "itemType": {"unique": True},
                "read": {},
                "create": {},
                "change": {},
                "remove": {},
            },
        },
    ],
}
