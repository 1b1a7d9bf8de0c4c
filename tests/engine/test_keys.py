"""integrationKey algorithm (spec §3) and EDMX shape (spec §2) without a server."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from commerce.engine.errors import InvalidKey, MisconfiguredAttribute
from commerce.engine.model.edmx import metadata
from commerce.engine.model.io import (
    IntegrationObject,
    build,
    definition_from_json,
    definitions_from_json,
)
from commerce.engine.model.keys import escape_part, join_key, split_key, unescape_part
from commerce.engine.model.ootb import OOTB_DEFINITIONS
from commerce.engine.model.types import ITEM_TYPES, Attribute, ItemType, Kind, TypeSystem
from commerce.engine.model.values import JSONValue

EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"
SAP = "{http://schemas.sap.com/commerce}"


def _product_io() -> IntegrationObject:
    return build(definitions_from_json(OOTB_DEFINITIONS)[0], ITEM_TYPES)


def test_product_alias_sorts_segments_by_code_point() -> None:
    io = _product_io()
    assert io.items["Product"].alias == "CatalogVersion_version|Catalog_id|Product_code"
    assert io.items["CatalogVersion"].alias == "CatalogVersion_version|Catalog_id"
    assert io.items["PriceRow"].alias == (
        "CatalogVersion_version|Catalog_id|PriceRow_currency|PriceRow_minqtd|Product_code"
    )


@pytest.mark.parametrize(
    ("parts", "key"),
    [
        (["Staged", "Default", "test_article1"], "Staged|Default|test_article1"),
        (["Staged", "Default", "a|b"], "Staged|Default|a%7Cb"),
        (["Staged", "Default", "100%"], "Staged|Default|100%25"),
        (["Staged", "Default", "%7C"], "Staged|Default|%257C"),
        (["1568915679339", "", "pcm"], "1568915679339||pcm"),
    ],
)
def test_key_values_escape_percent_then_pipe_and_round_trip(parts: list[str], key: str) -> None:
    assert join_key(parts) == key
    assert split_key(key, len(parts)) == parts


def test_escape_is_reversible_for_tricky_text() -> None:
    for text in ["%", "%%7C", "|%|", "a%257Cb", "%7c"]:
        assert unescape_part(escape_part(text)) == text


def test_split_key_with_the_wrong_segment_count_is_invalid_key() -> None:
    with pytest.raises(InvalidKey):
        split_key("a|b", 3)


def test_nested_key_references_contribute_their_segments() -> None:
    definition = definition_from_json(
        {
            "code": "Cycle",
            "items": [
                {
                    "code": "Category",
                    "type": "Category",
                    "attributes": {
                        "code": {"unique": True},
                        "catalogVersion": {"unique": True, "returnItem": "CatalogVersion"},
                    },
                },
                {
                    "code": "CatalogVersion",
                    "type": "CatalogVersion",
                    "attributes": {"catalog": {"unique": True, "returnItem": "Catalog"}},
                },
                {
                    "code": "Catalog",
                    "type": "Catalog",
                    "attributes": {
                        "catalogVersions": {"returnItem": "CatalogVersion"},
                        "id": {"unique": True},
                    },
                },
            ],
        }
    )
    build(definition, ITEM_TYPES)  # no cycle: collections are never key parts
    looped = definition_from_json(
        {
            "code": "Loop",
            "items": [
                {
                    "code": "Product",
                    "type": "VariantProduct",
                    "attributes": {"baseProduct": {"unique": True, "returnItem": "Base"}},
                },
                {
                    "code": "Base",
                    "type": "Product",
                    "attributes": {"picture": {"unique": True, "returnItem": "Pic"}},
                },
                {
                    "code": "Pic",
                    "type": "Media",
                    "attributes": {"catalogVersion": {"unique": True, "returnItem": "CV"}},
                },
                {
                    "code": "CV",
                    "type": "CatalogVersion",
                    "attributes": {"version": {"unique": True}},
                },
            ],
        }
    )
    assert build(looped, ITEM_TYPES).items["Product"].alias == "CV_version"


def test_key_reference_cycle_is_misconfigured() -> None:
    types = TypeSystem(
        {
            "A": ItemType("A", {"b": Attribute("b", Kind.REFERENCE, target="B", unique=True)}),
            "B": ItemType("B", {"a": Attribute("a", Kind.REFERENCE, target="A", unique=True)}),
        }
    )
    definition = definition_from_json(
        {
            "code": "Cycle",
            "items": [
                {"code": "A", "attributes": {"b": {"unique": True, "returnItem": "B"}}},
                {"code": "B", "attributes": {"a": {"unique": True, "returnItem": "A"}}},
            ],
        }
    )
    with pytest.raises(MisconfiguredAttribute, match="cycle"):
        build(definition, types)


@pytest.mark.parametrize(
    "attributes",
    [
        {"code": {"unique": True}, "nosuch": {}},
        {"code": {"unique": True, "returnItem": "Product"}},
        {"code": {"unique": True}, "unit": {}},
        {"name": {"unique": True}},
        {"description": {}},
        {"integrationKey": {}, "code": {"unique": True}},
    ],
)
def test_bad_definitions_are_misconfigured(attributes: dict[str, JSONValue]) -> None:
    with pytest.raises(MisconfiguredAttribute):
        build(
            definition_from_json(
                {"code": "Bad", "items": [{"code": "Product", "attributes": attributes}]}
            ),
            ITEM_TYPES,
        )


def test_metadata_is_sap_shaped_and_self_consistent() -> None:
    root = ET.fromstring(metadata(_product_io()))
    schema = root.find(".//" + EDM + "Schema")
    assert schema is not None
    assert schema.get("Namespace") == "HybrisCommerceOData"
    types = {t.get("Name"): t for t in schema.iter(EDM + "EntityType")}
    product = types["Product"]
    key = product.find(EDM + "Key/" + EDM + "PropertyRef")
    assert key is not None
    assert key.get("Name") == "integrationKey"
    props = {p.get("Name"): p for p in product.iter(EDM + "Property")}
    assert props["integrationKey"].get(SAP + "Alias") == (
        "CatalogVersion_version|Catalog_id|Product_code"
    )
    assert props["code"].get("Nullable") == "false"
    assert props["code"].get(SAP + "IsUnique") == "true"
    assert props["name"].get(SAP + "IsLanguageDependent") == "true"
    assert props["name"].get("Nullable") == "true"
    navs = {n.get("Name"): n for n in product.iter(EDM + "NavigationProperty")}
    assert navs["catalogVersion"].get(SAP + "IsAutoCreate") == "true"
    assert navs["variants"].get(SAP + "IsPartOf") == "true"
    assert "Localized___Product" in types
    associations = {a.get("Name") for a in schema.iter(EDM + "Association")}
    sets = {s.get("Name") for s in schema.iter(EDM + "EntitySet")}
    for t in types.values():
        for nav in t.iter(EDM + "NavigationProperty"):
            assert nav.get("Relationship", "").removeprefix("HybrisCommerceOData.") in associations
    for assoc_set in schema.iter(EDM + "AssociationSet"):
        for end in assoc_set.iter(EDM + "End"):
            assert end.get("EntitySet") in sets
    assert {"Products", "CatalogVersions", "Catalogs", "Categories"} <= sets
