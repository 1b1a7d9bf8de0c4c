"""The engine's item type system: the catalog domain plus the meta types of integration objects."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final


class Primitive(enum.Enum):
    """Primitive attribute kinds and their EDM type (64-bit ints and decimals travel as strings)."""

    STRING = "Edm.String"
    BOOLEAN = "Edm.Boolean"
    INTEGER = "Edm.Int32"
    LONG = "Edm.Int64"
    DOUBLE = "Edm.Double"
    DECIMAL = "Edm.Decimal"
    DATETIME = "Edm.DateTime"

    @property
    def edm(self) -> str:
        # Spec §2: 64-bit integers and decimals are declared Edm.String (OData v2 JSON limits).
        if self in (Primitive.LONG, Primitive.DECIMAL):
            return "Edm.String"
        return str(self.value)


class Kind(enum.Enum):
    PRIMITIVE = "primitive"
    REFERENCE = "reference"
    COLLECTION = "collection"


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute of an item type.

    A collection with ``inverse`` is the other side of a reference attribute on the target type
    (``Product.variants`` <- ``VariantProduct.baseProduct``); without it, members live in a
    relation table.
    """

    name: str
    kind: Kind
    primitive: Primitive | None = None
    target: str | None = None
    localized: bool = False
    mandatory: bool = False
    unique: bool = False
    part_of: bool = False
    inverse: str | None = None


@dataclass(frozen=True, slots=True)
class ItemType:
    code: str
    attributes: Mapping[str, Attribute]

    @property
    def unique(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes.values() if a.unique)

    @property
    def localized(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes.values() if a.localized)

    @property
    def columns(self) -> tuple[Attribute, ...]:
        """Attributes stored as a column of the type's own table (primitives and references)."""
        return tuple(
            a
            for a in self.attributes.values()
            if (a.kind is Kind.PRIMITIVE and not a.localized) or a.kind is Kind.REFERENCE
        )


def _p(
    name: str,
    primitive: Primitive = Primitive.STRING,
    *,
    unique: bool = False,
    mandatory: bool = False,
    localized: bool = False,
) -> Attribute:
    return Attribute(
        name,
        Kind.PRIMITIVE,
        primitive=primitive,
        unique=unique,
        mandatory=mandatory or unique,
        localized=localized,
    )


def _r(
    name: str, target: str, *, unique: bool = False, mandatory: bool = False, part_of: bool = False
) -> Attribute:
    return Attribute(
        name,
        Kind.REFERENCE,
        target=target,
        unique=unique,
        mandatory=mandatory or unique,
        part_of=part_of,
    )


def _c(name: str, target: str, *, inverse: str | None = None, part_of: bool = False) -> Attribute:
    return Attribute(name, Kind.COLLECTION, target=target, inverse=inverse, part_of=part_of)


def _type(code: str, *attributes: Attribute) -> ItemType:
    return ItemType(code, {a.name: a for a in attributes})


B, INT, L, D, M, T = (
    Primitive.BOOLEAN,
    Primitive.INTEGER,
    Primitive.LONG,
    Primitive.DOUBLE,
    Primitive.DECIMAL,
    Primitive.DATETIME,
)


@dataclass(frozen=True, slots=True)
class TypeSystem:
    types: Mapping[str, ItemType] = field(default_factory=dict)

    def get(self, code: str) -> ItemType | None:
        return self.types.get(code)


# The catalog domain (issue 9) and the meta types behind the IntegrationService IO. Unique
# attributes here are each type's natural key; an IO may still choose its own key attributes.
ITEM_TYPES: Final = TypeSystem(
    {
        t.code: t
        for t in (
            _type("Language", _p("isocode", unique=True), _p("name"), _p("active", B)),
            _type(
                "Catalog",
                _p("id", unique=True),
                _p("name", localized=True),
                _p("defaultCatalog", B),
                _c("catalogVersions", "CatalogVersion", inverse="catalog", part_of=True),
            ),
            _type(
                "CatalogVersion",
                _r("catalog", "Catalog", unique=True),
                _p("version", unique=True),
                _p("active", B),
            ),
            _type(
                "Category",
                _p("code", unique=True),
                _r("catalogVersion", "CatalogVersion", unique=True),
                _p("name", localized=True),
                _p("description", localized=True),
                _c("supercategories", "Category"),
            ),
            _type(
                "Unit",
                _p("code", unique=True),
                _p("unitType"),
                _p("name", localized=True),
                _p("conversion", D),
            ),
            _type(
                "Media",
                _p("code", unique=True),
                _r("catalogVersion", "CatalogVersion", unique=True),
                _p("mime"),
                _p("url"),
                _p("altText", localized=True),
            ),
            _type(
                "Product",
                _p("code", unique=True),
                _r("catalogVersion", "CatalogVersion", unique=True),
                _p("name", localized=True),
                _p("description", localized=True),
                _p("ean"),
                _p("approvalStatus"),
                _p("onlineDate", T),
                _p("numberContentUnits", INT),
                _r("unit", "Unit"),
                _r("picture", "Media"),
                _c("supercategories", "Category"),
                _c("variants", "VariantProduct", inverse="baseProduct", part_of=True),
                _c("europe1Prices", "PriceRow", inverse="product", part_of=True),
                _c("stockLevels", "StockLevel", inverse="product", part_of=True),
            ),
            _type(
                "VariantProduct",
                _p("code", unique=True),
                _r("catalogVersion", "CatalogVersion", unique=True),
                _r("baseProduct", "Product", mandatory=True),
                _p("name", localized=True),
                _p("approvalStatus"),
                _p("size"),
                _p("color"),
            ),
            _type(
                "PriceRow",
                _r("product", "Product", unique=True),
                _p("currency", unique=True),
                _p("minqtd", L, unique=True),
                _p("price", M, mandatory=True),
                _p("net", B),
                _r("unit", "Unit"),
            ),
            _type(
                "StockLevel",
                _r("product", "Product", unique=True),
                _p("warehouse", unique=True),
                _p("available", INT),
                _p("reserved", INT),
                _p("inStockStatus"),
            ),
            _type(
                "B2BUnit",
                _p("uid", unique=True),
                _p("name"),
                _p("locName", localized=True),
                _p("active", B),
                _c("addresses", "Address", inverse="owner", part_of=True),
                _c("members", "Customer", inverse="defaultB2BUnit"),
            ),
            _type(
                "Address",
                _p("publicKey", unique=True),
                _r("owner", "B2BUnit", unique=True),
                _p("streetname"),
                _p("streetnumber"),
                _p("postalcode"),
                _p("town"),
                _p("country"),
                _p("email"),
            ),
            _type(
                "Customer",
                _p("uid", unique=True),
                _p("name"),
                _p("email"),
                _p("customerID"),
                _p("active", B),
                _r("defaultB2BUnit", "B2BUnit"),
            ),
            # Meta types: integration objects are items too, so the IntegrationService IO edits
            # them through the same upsert machinery as any catalog data.
            _type(
                "IntegrationObject",
                _p("code", unique=True),
                _p("integrationType"),
                _c("items", "IntegrationObjectItem", inverse="integrationObject", part_of=True),
            ),
            _type(
                "IntegrationObjectItem",
                _p("code", unique=True),
                _r("integrationObject", "IntegrationObject", unique=True),
                _p("type"),
                _p("root", B),
                _p("entitySet"),
                _c(
                    "attributes",
                    "IntegrationObjectItemAttribute",
                    inverse="integrationObjectItem",
                    part_of=True,
                ),
            ),
            _type(
                "IntegrationObjectItemAttribute",
                _p("attributeName", unique=True),
                _r("integrationObjectItem", "IntegrationObjectItem", unique=True),
                _p("attributeDescriptor"),
                _r("returnIntegrationObjectItem", "IntegrationObjectItem"),
                _p("unique", B),
                _p("autoCreate", B),
                _p("partOf", B),
            ),
            _type(
                "InboundChannelConfiguration",
                _r("integrationObject", "IntegrationObject", unique=True),
                _p("authenticationType", mandatory=True),
            ),
            # Type-level access rights (spec §7): per user group and item type (or ``Item`` for
            # every type), read/create/change/remove; null inherits from the ``Item`` row.
            _type(
                "AccessRight",
                _p("group", unique=True),
                _p("itemType", unique=True),
                _p("read", B),
                _p("create", B),
                _p("change", B),
                _p("remove", B),
            ),
            # Inbound monitoring (spec §9), read through the InboundIntegrationMonitoring IO.
            _type("IntegrationRequestStatus", _p("code", unique=True)),
            _type("User", _p("uid", unique=True)),
            _type(
                "InboundRequest",
                _p("creationtime", T, unique=True),
                _p("messageId", unique=True),
                _p("requestIntegrationKey", unique=True),
                _p("type"),
                _p("httpMethod"),
                _r("status", "IntegrationRequestStatus"),
                _r("user", "User"),
                _p("sapPassport"),
                _p("payload"),
                _c("errors", "InboundRequestError", inverse="inboundRequest", part_of=True),
            ),
            _type(
                "InboundRequestError",
                _r("inboundRequest", "InboundRequest", unique=True),
                _p("code", unique=True),
                _p("message"),
            ),
        )
    }
)

META_TYPES: Final = frozenset(
    {
        "IntegrationObject",
        "IntegrationObjectItem",
        "IntegrationObjectItemAttribute",
        "InboundChannelConfiguration",
        "AccessRight",
    }
)
