"""The catalog importer's fast paths give what the general paths give.

Plain products and leaf variants skip the checked parse; an unchanged node is recognised without
walking its properties; a batch of additions becomes `ImportTree` runs. Each must change nothing
but the time taken: the same items, the same problems, the same operations.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from commerce.importer.feed import (
    _Builder,
    _json_product,
    _json_product_checked,
    _json_variant,
    _json_variant_checked,
    parse_json,
)
from commerce.importer.handler import TreePlan
from commerce.importer.importer import _bulk
from repo_server.model.node import Node
from repo_server.model.values import make_property
from repo_server.session.operations import AddNode, ImportTree, Operation, Remove, SetProperty

AXES = ["color", "size"]
VARIANTS: list[Any] = [
    {"sku": "A-1", "name": "v1", "color": "red", "size": "M", "price": "10.50"},
    {"sku": "A-2", "color": "red", "size": "XL"},  # named from its axis values
    {"color": "blue"},  # no SKU: named from its one axis value
    {"sku": "A-3"},  # named from its SKU
    {"sku": "", "name": "", "size": "S"},
    {"sku": "A-4", "name": "v4", "image": "/content/dam/a.jpg", "weight": Decimal("1.5")},
    {"sku": "A-5", "name": "v5", "title": "T", "prices": {"EUR": "2"}, "tags": ["a:b"]},
    {"sku": "A-6", "name": "v6", "variants": [{"sku": "A-6-1", "color": "red"}]},
    {"sku": "A-7", "name": "v7", "category": "x"},
    {"sku": "A-8", "name": "v8", "variantAxes": ["color"]},
    {"sku": 8, "name": "v9"},
    {"sku": "A-10", "name": 10},
    {"sku": "A-11", "name": "not a name"},
    {"sku": "A-12", "name": "jcr:content"},
    {"sku": "A-13", "name": "v13", "price": "-1"},
    {"sku": "A-14", "name": "v14", "list": ["a", "b"]},
    {"sku": "A-15", "name": "v15", "bad/key": "x"},
    {},  # no name at all
    "not an object",
]


def _product(**changes: Any) -> dict[str, Any]:
    product: dict[str, Any] = {
        "sku": "P-1",
        "category": "men/shirts",
        "title": "Shirt",
        "price": "12.00",
        "currency": "USD",
        "variantAxes": AXES,
        "variants": copy.deepcopy(VARIANTS[:6]),
    }
    product.update(changes)
    return {k: v for k, v in product.items() if v is not _DROP}


_DROP: Any = object()
PRODUCTS: list[Any] = [
    _product(),
    _product(name="shirt"),
    _product(name=""),
    _product(variants=_DROP, variantAxes=_DROP),
    _product(category=_DROP),
    _product(category="/men/"),
    _product(image="/content/dam/p.jpg"),
    _product(variants=copy.deepcopy(VARIANTS)),  # bad variants: the product is refused
    _product(sku=_DROP),
    _product(sku=""),
    _product(sku=5),
    _product(name="no good"),
    _product(category=3),
    _product(variantAxes=["color", ""]),
    _product(variants={"a": 1}),
    _product(variants=None),
    _product(price="x"),
    "not an object",
]


def _outcome(parse: Any, raw: Any) -> tuple[Any, list[Any], set[str]]:
    b = _Builder()
    found = parse(b, "products[0]", raw)
    return found, b.problems, b.refused


@pytest.mark.parametrize("raw", VARIANTS)
def test_a_variant_parses_as_on_the_checked_path(raw: Any) -> None:
    def fast(b: _Builder, where: str, item: Any) -> Any:
        return _json_variant(b, where, item, "shirt", AXES)

    def checked(b: _Builder, where: str, item: Any) -> Any:
        return _json_variant_checked(b, where, item, "shirt", AXES)

    assert _outcome(fast, raw) == _outcome(checked, raw)


@pytest.mark.parametrize("raw", PRODUCTS)
def test_a_product_parses_as_on_the_checked_path(raw: Any) -> None:
    assert _outcome(_json_product, raw) == _outcome(_json_product_checked, raw)


def test_duplicate_skus_are_reported_per_occurrence() -> None:
    first = _product()
    again = _product(sku="P-2", name="other")  # its variants repeat the SKUs of the first
    twice = _product(sku="P-3", name="third", variants=[{"sku": "B-1"}, {"sku": "B-1"}])
    doc = {"categories": [{"path": "men"}, {"path": "men/shirts"}], "products": []}
    doc["products"] = [first, again, twice]
    feed = parse_json(json.dumps(doc, default=str))
    assert [p.sku for p in feed.products] == ["P-1"]
    messages = [p.message for p in feed.problems]
    assert messages == [
        "duplicate SKU 'A-1' (first in products[0])",
        "duplicate SKU 'A-2' (first in products[0])",
        "duplicate SKU 'A-3' (first in products[0])",
        "duplicate SKU 'A-4' (first in products[0])",
        "duplicate SKU 'B-1' (first in products[2])",
    ]
    assert {"P-2", "P-3", "A-1", "B-1"} <= feed.refused_skus


def _node(path: str, **props: Any) -> Node:
    return Node(
        id=len(path),
        path=path,
        primary_type="nt:unstructured",
        mixins=(),
        properties={k: make_property(v) for k, v in props.items()},
    )


def test_an_unchanged_node_plans_nothing_and_a_changed_one_only_its_changes() -> None:
    kept = _node("/c/p", title="T", price=Decimal("1.50"), **{"jcr:created": "x"})
    changed = _node("/c/q", title="T", color="red", old="gone")
    plan = TreePlan([_node("/c"), kept, changed])
    plan.begin()
    plan.put("/c/p", "nt:unstructured", {"title": "T", "price": Decimal("1.5")}, exclusive=True)
    assert plan.end().ops == []
    plan.begin()
    plan.put("/c/q", "nt:unstructured", {"title": "T", "color": "blue"}, exclusive=True)
    ops = plan.end().ops
    assert ops == [
        SetProperty("/c/q", "color", make_property("blue")),
        SetProperty("/c/q", "old", None),
    ]
    plan.begin()
    plan.put("/c/q", "nt:unstructured", {"title": None, "color": "red"}, exclusive=False)
    assert plan.end().ops == [SetProperty("/c/q", "title", None)]


def test_prune_removes_what_the_group_did_not_write_at_any_depth() -> None:
    nodes = [_node(p) for p in ("/c", "/c/p", "/c/p/a", "/c/p/a/x", "/c/p/a/y", "/c/p/b")]
    plan = TreePlan(nodes)
    plan.begin()
    for path in ("/c/p", "/c/p/a", "/c/p/a/x"):
        plan.put(path, "nt:unstructured", {}, exclusive=True)
    plan.prune("/c/p")
    assert plan.end().ops == [Remove("/c/p/a/y"), Remove("/c/p/b")]


def test_a_batch_of_additions_becomes_one_import_tree_sharing_the_planned_maps() -> None:
    props = {"title": make_property("T")}
    adds = [AddNode("/c/p", "nt:unstructured", [], props), AddNode("/c/p/v", "nt:unstructured")]
    (bulk,) = _bulk(adds)
    assert isinstance(bulk, ImportTree)
    assert [item.path for item in bulk.items] == ["/c/p", "/c/p/v"]
    assert bulk.items[0].props is props
    # Anything else touching an added node, or removing an ancestor, keeps the batch as planned.
    touching: list[Operation] = [*adds, SetProperty("/c/p", "title", None)]
    assert _bulk(touching) == touching
    removing: list[Operation] = [Remove("/c"), *adds]
    assert _bulk(removing) == removing
    updates: list[Operation] = [SetProperty("/c/q", "title", None)]
    assert _bulk(updates) == updates
