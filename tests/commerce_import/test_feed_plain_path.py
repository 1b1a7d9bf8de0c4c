"""The plain parsing path (`_common_plain`) gives exactly what the checked path gives, and
leaves anything unusual to the checked path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from commerce.importer.feed import FeedValue, _Builder, _common_checked, _common_plain

PLAIN: list[dict[str, Any]] = [
    {"sku": "A", "title": "T", "description": "D", "price": "12.50", "currency": "USD"},
    {"price": 3, "prices": {"EUR": "2.5", "GBP": ""}, "tags": ["a:b", "c"], "brand": "x"},
    {"price": Decimal("1.10"), "weight": Decimal("2.5"), "count": 4, "flag": True, "f": 1.5},
    {"title": "", "description": None, "price": " 7 ", "image": "/content/dam/x.jpg"},
    {"size": "M", "color": "red", "empty": "", "variants": [], "variantAxes": ["size"]},
]
ODD: list[dict[str, Any]] = [
    {"price": "-1"},
    {"price": "abc"},
    {"price": True},
    {"price": "NaN"},
    {"prices": {"eur": "1"}},
    {"prices": ["1"]},
    {"currency": "usd"},
    {"title": 5},
    {"tags": ["a", ""]},
    {"image": 3},
    {"jcr:primaryType": "nt:base"},
    {"bad/key": "x"},
    {"list": ["a", "b"]},
    {"obj": {"a": 1}},
]


@pytest.mark.parametrize("item", PLAIN)
def test_plain_items_give_the_properties_of_the_checked_path(item: dict[str, Any]) -> None:
    plain = _common_plain(item)
    b = _Builder()
    checked: dict[str, FeedValue] = {}
    assert _common_checked(b, "products[0]", item, checked)
    assert plain is not None
    assert list(plain.items()) == list(checked.items())  # same values, same order
    assert [type(v) for v in plain.values()] == [type(v) for v in checked.values()]


@pytest.mark.parametrize("item", ODD)
def test_anything_odd_is_left_to_the_checked_path(item: dict[str, Any]) -> None:
    assert _common_plain(item) is None
