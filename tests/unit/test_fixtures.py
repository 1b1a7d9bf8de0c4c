"""Checks the content in `fixtures/`: its format, the documented examples, the demo catalog.

Pure standard library on purpose: it reads the JSON files itself and never imports `repo_server`
or `commerce`, so it keeps working while their APIs move. The format is `docs/CONTENT-FORMAT.md`;
the example trees are `shared/spec/examples.md`; property resolution follows commerce-api §3.2.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import TypeAlias

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
MANIFEST = FIXTURES / "MANIFEST.json"
GENERATOR = FIXTURES / "generate_demo.py"
MAX_FILE_BYTES = 2 * 1024 * 1024

PRODUCTS = "/etc/commerce/products"
CATALOG = f"{PRODUCTS}/geometrixx-outdoors"
SITE = "/content/geometrixx-outdoors"
BANYAN = f"{PRODUCTS}/banyan-example/banyan_shirt"
DAM = "/content/dam/geometrixx-outdoors/products"

Scalar: TypeAlias = str | int | float | bool
Simple: TypeAlias = tuple[str, Scalar | tuple[Scalar, ...]]

PROPERTY_TYPES = frozenset(
    {
        "String",
        "Long",
        "Double",
        "Decimal",
        "Boolean",
        "Date",
        "Binary",
        "Name",
        "Path",
        "Reference",
        "WeakReference",
        "URI",
    }
)
PRIMARY_TYPES = frozenset(
    {"nt:unstructured", "sling:Folder", "sling:OrderedFolder", "cq:Page", "cq:PageContent"}
)
MIXIN_TYPES = frozenset({"cq:Commerce", "cq:PollConfig", "mix:title", "mix:referenceable"})
PROTECTED = frozenset(
    {
        "jcr:uuid",
        "jcr:created",
        "jcr:createdBy",
        "jcr:isCheckedOut",
        "jcr:versionHistory",
        "jcr:baseVersion",
        "jcr:predecessors",
    }
)
PREFIXES = frozenset({"jcr", "nt", "mix", "sling", "cq", "rep", "oak"})
ILLEGAL_NAME_CHARS = frozenset("/[]|*")
TYPE_HINT = "@TypeHint"

# Properties whose type the node types or the commerce vocabulary fix: (type, multiple).
DECLARED: dict[str, tuple[str, bool]] = {
    "jcr:title": ("String", False),
    "jcr:description": ("String", False),
    "jcr:language": ("String", False),
    "sling:resourceType": ("String", False),
    "cq:template": ("String", False),
    "cq:tags": ("String", True),
    "cq:lastModified": ("Date", False),
    "cq:lastModifiedBy": ("String", False),
    "cq:commerceProvider": ("String", False),
    "cq:commerceType": ("String", False),
    "cq:productVariantAxes": ("String", True),
    "cq:productAttributes": ("String", True),
    "productData": ("String", False),
    "identifier": ("String", False),
    "price": ("Decimal", False),
    "price.EUR": ("Decimal", False),
    "priceTiers": ("String", True),
    "currency": ("String", False),
    "fileReference": ("String", False),
    "size": ("String", False),
    "color": ("String", False),
}

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(?:[+-]\d{2}:\d{2}|Z)\Z")
DECIMAL_RE = re.compile(r"-?\d+(?:\.\d+)?\Z")
LONG_RE = re.compile(r"-?\d+\Z")


@dataclass(frozen=True, slots=True)
class Prop:
    type: str
    multiple: bool
    values: tuple[Scalar, ...]

    @property
    def value(self) -> Scalar:
        assert not self.multiple, "multi-valued property read as a single value"
        return self.values[0]


@dataclass(slots=True)
class Node:
    path: str
    file: str
    primary_type: str | None = None
    mixins: tuple[str, ...] = ()
    properties: dict[str, Prop] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def text(self, name: str) -> str | None:
        prop = self.properties.get(name)
        return None if prop is None else str(prop.value)

    def simple(self) -> dict[str, Simple]:
        """Properties as {name: (type, value)}, lists as tuples: easy to compare exactly."""
        return {
            name: (p.type, p.values if p.multiple else p.values[0])
            for name, p in self.properties.items()
        }


@dataclass(frozen=True, slots=True)
class Entry:
    file: str
    path: str
    set: str


@dataclass(slots=True)
class Content:
    entries: list[Entry]
    nodes: dict[str, Node]
    errors: list[str]

    def node(self, path: str) -> Node:
        assert path in self.nodes, f"missing node {path}"
        return self.nodes[path]

    def child(self, node: Node, name: str) -> Node:
        return self.node(join(node.path, name))

    def children(self, node: Node) -> list[Node]:
        return [self.nodes[join(node.path, name)] for name in node.children]

    def descendants(self, root: str) -> Iterator[Node]:
        prefix = root.rstrip("/") + "/"
        for path, node in self.nodes.items():
            if path == root or path.startswith(prefix):
                yield node


def join(parent: str, name: str) -> str:
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


def parent_of(path: str) -> str:
    return str(PurePosixPath(path).parent)


# --- parsing and format validation -----------------------------------------------------------


def reject_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def reject_constant(name: str) -> object:
    raise ValueError(f"non-standard JSON constant {name}")


def read_json(path: Path) -> object:
    text = path.read_text(encoding="utf-8")
    value: object = json.loads(
        text, object_pairs_hook=reject_duplicates, parse_constant=reject_constant
    )
    return value


def name_problem(name: str) -> str | None:
    if not name or name in {".", ".."}:
        return "empty name or . / .."
    if any(c in ILLEGAL_NAME_CHARS for c in name):
        return "name contains one of / [ ] | *"
    if name != name.strip() or any(ord(c) < 0x20 for c in name):
        return "name has surrounding whitespace or control characters"
    if len(name.encode("utf-8")) > 150:
        return "name longer than 150 UTF-8 bytes"
    if ":" in name:
        prefix, _, local = name.partition(":")
        if prefix not in PREFIXES or not local or ":" in local:
            return "name has an unknown or malformed namespace prefix"
    return None


def path_problem(path: str, *, absolute: bool) -> str | None:
    if absolute and not path.startswith("/"):
        return "path is not absolute"
    if path == "/":
        return None
    if path.endswith("/") or "//" in path:
        return "path is not normalized"
    for segment in path.strip("/").split("/"):
        if segment in {".", ".."}:
            if absolute:
                return "absolute path contains . or .."
            continue
        problem = name_problem(segment)
        if problem is not None:
            return problem
    return None


def canonical_problem(type_: str, text: str) -> str | None:
    """Whether `text` is the canonical string form of a `type_` value (repository-model §4.1)."""
    if type_ == "Decimal":
        if not DECIMAL_RE.match(text):
            return f"{text!r} is not a plain decimal"
        try:
            Decimal(text)
        except InvalidOperation:
            return f"{text!r} does not parse as Decimal"
    elif type_ == "Long":
        if not LONG_RE.match(text) or not -(2**63) <= int(text) < 2**63:
            return f"{text!r} is not a 64-bit integer"
    elif type_ == "Double":
        try:
            if not math.isfinite(float(text)):
                return f"{text!r} is not finite"
        except ValueError:
            return f"{text!r} is not a double"
    elif type_ == "Boolean":
        if text not in {"true", "false"}:
            return f"{text!r} is not true/false"
    elif type_ == "Date":
        if not DATE_RE.match(text):
            return f"{text!r} is not YYYY-MM-DDThh:mm:ss.sss+hh:mm"
        try:
            datetime.fromisoformat(text)
        except ValueError:
            return f"{text!r} is not a valid date"
    elif type_ == "Name":
        return name_problem(text)
    elif type_ == "Path":
        return path_problem(text, absolute=text.startswith("/"))
    elif type_ in {"Reference", "WeakReference"}:
        if not text:
            return "empty identifier"
    elif type_ == "URI" and (not text or any(c.isspace() for c in text)):
        return f"{text!r} is not a URI reference"
    return None


def untyped_kind(value: object) -> str | None:
    # bool first: True is an int in Python.
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Long"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        return "String"
    return None


class Parser:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.errors: list[str] = []

    def error(self, file: str, path: str, message: str) -> None:
        self.errors.append(f"{file}: {path}: {message}")

    def parse_file(self, file: str, data: object) -> str | None:
        """Parse one fixture file; return its root path."""
        if not isinstance(data, dict):
            self.error(file, "-", "top level is not an object")
            return None
        root = data.get(":path")
        if not isinstance(root, str) or path_problem(root, absolute=True) or root == "/":
            self.error(file, "-", 'top-level ":path" missing or not a normalized absolute path')
            return None
        self.parse_node(file, root, {k: v for k, v in data.items() if k != ":path"})
        return root

    def parse_node(self, file: str, path: str, obj: dict[str, object]) -> None:
        if path in self.nodes:
            self.error(file, path, "node defined twice")
            return
        node = Node(path=path, file=file)
        self.nodes[path] = node
        for key, value in obj.items():
            if key.endswith(TYPE_HINT):
                base = key[: -len(TYPE_HINT)]
                if base not in obj or isinstance(obj[base], dict):
                    self.error(file, path, f"{key} has no sibling property {base!r}")
                continue
            if key.startswith(":") or "@" in key:
                self.error(file, path, f"key {key!r} is not a name")
                continue
            problem = name_problem(key)
            if problem is not None:
                self.error(file, path, f"{key!r}: {problem}")
                continue
            if key in PROTECTED:
                self.error(file, path, f"protected property {key} is written")
            elif key == "jcr:primaryType":
                if not isinstance(value, str) or value not in PRIMARY_TYPES:
                    self.error(file, path, f"unknown primary type {value!r}")
                else:
                    node.primary_type = value
            elif key == "jcr:mixinTypes":
                if not isinstance(value, list) or not all(
                    isinstance(m, str) and m in MIXIN_TYPES for m in value
                ):
                    self.error(file, path, f"bad jcr:mixinTypes {value!r}")
                else:
                    node.mixins = tuple(str(m) for m in value)
            elif isinstance(value, dict):
                node.children.append(key)
                self.parse_node(file, join(path, key), value)
            else:
                prop = self.parse_property(file, path, key, value, obj.get(key + TYPE_HINT))
                if prop is not None:
                    node.properties[key] = prop

    def parse_property(
        self, file: str, path: str, name: str, value: object, hint: object
    ) -> Prop | None:
        where = f"{path}/{name}"
        if hint is not None:
            if not isinstance(hint, str):
                self.error(file, where, "@TypeHint is not a string")
                return None
            multiple = hint.endswith("[]")
            type_ = hint.removesuffix("[]")
            if type_ not in PROPERTY_TYPES:
                self.error(file, where, f"unknown @TypeHint {hint!r}")
                return None
            texts = value if multiple else [value]
            if not isinstance(texts, list) or (multiple != isinstance(value, list)):
                self.error(file, where, f"@TypeHint {hint!r} does not match the value's shape")
                return None
            values: list[Scalar] = []
            for text in texts:
                if not isinstance(text, str):
                    self.error(file, where, "a type-hinted value must be given as a string")
                    return None
                problem = canonical_problem(type_, text)
                if problem is not None:
                    self.error(file, where, problem)
                    return None
                values.append(text)
            return Prop(type_, multiple, tuple(values))
        if isinstance(value, list):
            kinds = {untyped_kind(v) for v in value}
            if None in kinds or len(kinds) > 1:
                self.error(file, where, "array values must be scalars of one JSON type")
                return None
            scalars = [v for v in value if isinstance(v, str | int | float | bool)]
            kind = kinds.pop() if kinds else "String"
            return Prop(str(kind), True, tuple(scalars))
        kind = untyped_kind(value)
        if kind is None or not isinstance(value, str | int | float | bool):
            self.error(file, where, f"unsupported value {value!r}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.error(file, where, "non-finite double")
            return None
        return Prop(kind, False, (value,))


def load_content() -> Content:
    parser = Parser()
    manifest = read_json(MANIFEST)
    assert isinstance(manifest, dict)
    files = manifest.get("files")
    assert isinstance(files, list)
    entries: list[Entry] = []
    for item in files:
        assert isinstance(item, dict)
        file, path, set_ = item.get("file"), item.get("path"), item.get("set")
        assert isinstance(file, str)
        assert isinstance(path, str)
        assert isinstance(set_, str)
        entries.append(Entry(file, path, set_))
        root = parser.parse_file(file, read_json(FIXTURES / file))
        if root != path:
            parser.error(file, "-", f":path {root!r} differs from the manifest's {path!r}")
    return Content(entries, parser.nodes, parser.errors)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


# --- commerce helpers (commerce-api §3) ---------------------------------------------------------


def commerce_type(node: Node) -> str | None:
    return node.text("cq:commerceType")


def is_product_typed(node: Node) -> bool:
    return commerce_type(node) in {"product", "variant"}


def chain(content: Content, node: Node) -> list[Node]:
    """The inheritance chain of commerce-api §3.2: local, then productData, else variant parent."""
    result: list[Node] = []
    current: Node | None = node
    while current is not None:
        assert current not in result, f"productData cycle at {current.path}"
        result.append(current)
        data = current.text("productData")
        parent = content.nodes.get(parent_of(current.path))
        if data is not None:
            current = content.node(data)
        elif commerce_type(current) == "variant" and parent is not None:
            current = parent if is_product_typed(parent) else None
        else:
            current = None
    return result


def resolve(content: Content, node: Node, name: str) -> Prop | None:
    for link in chain(content, node):
        if name in link.properties:
            return link.properties[name]
    return None


def resolved_text(content: Content, node: Node, name: str) -> str | None:
    prop = resolve(content, node, name)
    return None if prop is None else str(prop.value)


def leaf_variants(content: Content, node: Node) -> list[Node]:
    """Leaf variants in depth-first pre-order, following child order (commerce-api §3.3)."""
    leaves: list[Node] = []
    for child in content.children(node):
        if commerce_type(child) != "variant":
            continue
        below = leaf_variants(content, child)
        leaves.extend(below if below else [child])
    return leaves


def demo_products(content: Content) -> list[Node]:
    return [n for n in content.descendants(CATALOG) if commerce_type(n) == "product"]


# --- format and load order ----------------------------------------------------------------------


def test_every_fixture_file_is_valid_content_format(content: Content) -> None:
    assert content.errors == []


def test_every_fixture_file_is_listed_once_in_the_manifest(content: Content) -> None:
    on_disk = sorted(
        p.relative_to(FIXTURES).as_posix()
        for p in FIXTURES.rglob("*.json")
        if p != MANIFEST
        and not any(part.startswith(".") for part in p.parts)
        # catalog feeds for `commerce import` (docs/CATALOG-IMPORT.md), not content files
        and p.relative_to(FIXTURES).parts[0] != "catalogs"
    )
    listed = [e.file for e in content.entries]
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)
    assert {e.set for e in content.entries} <= {"roots", "examples", "demo"}


def test_manifest_order_creates_parents_before_children(content: Content) -> None:
    created: set[str] = {"/"}
    for entry in content.entries:
        assert parent_of(entry.path) in created, f"{entry.file}: parent of {entry.path} missing"
        assert entry.path not in created, f"{entry.file}: {entry.path} already exists"
        created.update(n.path for n in content.nodes.values() if n.file == entry.file)


def test_fixture_files_stay_under_two_megabytes() -> None:
    for path in FIXTURES.rglob("*.json"):
        assert path.stat().st_size < MAX_FILE_BYTES, path


def test_every_node_states_its_primary_type(content: Content) -> None:
    untyped = [n.path for n in content.nodes.values() if n.primary_type is None]
    assert untyped == []


def test_pages_hold_only_pages_and_page_content(content: Content) -> None:
    for node in content.nodes.values():
        if node.primary_type != "cq:Page":
            continue
        for child in content.children(node):
            expected = "cq:PageContent" if child.name == "jcr:content" else "cq:Page"
            assert child.primary_type == expected, child.path


def test_properties_with_a_declared_type_use_it(content: Content) -> None:
    for node in content.nodes.values():
        for name, prop in node.properties.items():
            if name in DECLARED:
                assert (prop.type, prop.multiple) == DECLARED[name], f"{node.path}/{name}"


def test_content_roots_have_the_documented_types(content: Content) -> None:
    assert content.node("/etc").primary_type == "sling:Folder"
    assert content.node("/etc/commerce").primary_type == "sling:Folder"
    assert content.node(PRODUCTS).primary_type == "sling:Folder"
    assert content.node("/content").primary_type == "sling:OrderedFolder"
    assert [e.path for e in content.entries[:2]] == ["/etc", "/content"]


def test_every_product_data_reference_points_at_an_existing_node(content: Content) -> None:
    references = [n for n in content.descendants("/content") if "productData" in n.properties]
    assert len(references) > 50
    for ref in references:
        target = ref.text("productData")
        assert target is not None
        assert target.startswith(f"{PRODUCTS}/"), ref.path
        data = content.nodes.get(target)
        assert data is not None, f"{ref.path} -> {target} does not exist"
        assert commerce_type(ref) == commerce_type(data), ref.path


def test_product_data_lives_only_under_etc(content: Content) -> None:
    in_etc = [n.path for n in content.descendants("/etc") if "productData" in n.properties]
    assert in_etc == []


# --- documented examples (shared/spec/examples.md) ----------------------------------------------


def test_hybris_provider_example_is_exact(content: Content) -> None:
    folder = content.node(f"{PRODUCTS}/hybris-example")
    assert folder.primary_type == "sling:Folder"
    assert folder.text("cq:commerceProvider") == "hybris"
    assert folder.children == ["mens"]
    mens = content.child(folder, "mens")
    assert mens.children == ["polo-shirt-1", "polo-shirt-2", "employee"]
    assert mens.properties == {}
    for child in content.children(mens):
        assert child.properties == {}
        assert child.children == []


def test_jcr_provider_example_has_its_variants_as_siblings(content: Content) -> None:
    folder = content.node(f"{PRODUCTS}/jcr-example")
    assert folder.primary_type == "sling:Folder"
    assert folder.text("cq:commerceProvider") == "jcr"
    assert folder.children == ["adobe-logo-shirt", "adobe-logo-shirt_S", "adobe-logo-shirt_XL"]
    expected: dict[str, dict[str, Simple]] = {
        "adobe-logo-shirt": {
            "cq:commerceType": ("String", "product"),
            "price": ("Decimal", "12.50"),
        },
        "adobe-logo-shirt_S": {"cq:commerceType": ("String", "variant"), "size": ("String", "S")},
        "adobe-logo-shirt_XL": {
            "cq:commerceType": ("String", "variant"),
            "size": ("String", "XL"),
            "price": ("Decimal", "14.50"),
        },
    }
    for node in content.children(folder):
        assert node.simple() == expected[node.name]
        assert node.children == []


def test_banyan_shirt_example_is_exact(content: Content) -> None:
    base = content.node(BANYAN)
    assert base.simple() == {
        "cq:commerceType": ("String", "product"),
        "cq:productAttributes": (
            "String",
            ("jcr:title", "jcr:description", "size", "price", "color"),
        ),
        "cq:productVariantAxes": ("String", ("color", "size")),
        "jcr:title": ("String", "Banyan Shirt"),
        "jcr:description": ("String", "Flowery, all-cotton shirt."),
        "price": ("Decimal", "14.00"),
    }
    sizes = ["s", "m", "l"]
    assert base.children == [f"banyan_shirt_{s}" for s in [*sizes, "xl"]]
    for size in sizes:
        size_node = content.child(base, f"banyan_shirt_{size}")
        assert size_node.simple() == {
            "cq:commerceType": ("String", "variant"),
            "size": ("String", size.upper()),
        }
        assert size_node.children == [f"banyan_shirt_{size}_red", f"banyan_shirt_{size}_blue"]
        for color in ("red", "blue"):
            leaf = content.child(size_node, f"banyan_shirt_{size}_{color}")
            assert leaf.simple() == {
                "cq:commerceType": ("String", "variant"),
                "color": ("String", color),
            }
            assert leaf.children == []
    xl = content.child(base, "banyan_shirt_xl")
    assert xl.simple() == {
        "cq:commerceType": ("String", "variant"),
        "size": ("String", "XL"),
        "price": ("Decimal", "18.00"),
    }
    assert xl.children == []
    for node in content.descendants(BANYAN):
        assert node.primary_type == "nt:unstructured"
        assert node.mixins == ()


def test_banyan_shirt_resolves_as_documented(content: Content) -> None:
    base = content.node(BANYAN)
    m_red = content.node(f"{BANYAN}/banyan_shirt_m/banyan_shirt_m_red")
    assert resolved_text(content, m_red, "size") == "M"
    assert resolved_text(content, m_red, "color") == "red"
    assert resolved_text(content, m_red, "price") == "14.00"
    assert resolved_text(content, m_red, "jcr:title") == "Banyan Shirt"
    xl = content.node(f"{BANYAN}/banyan_shirt_xl")
    assert resolved_text(content, xl, "price") == "18.00"
    leaves = leaf_variants(content, base)
    assert len(leaves) == 7
    assert leaves[-1].name == "banyan_shirt_xl"
    blue = [leaf for leaf in leaves if resolved_text(content, leaf, "color") == "blue"]
    assert len(blue) == 3


def test_banyan_shirt_references_resolve_through_product_data(content: Content) -> None:
    plain = content.node("/content/banyan-example/banyan-shirt/jcr:content/par/product")
    sale = content.node("/content/banyan-example/banyan-shirt-sale/jcr:content/par/product")
    assert plain.text("productData") == BANYAN
    assert sale.text("productData") == BANYAN
    assert resolved_text(content, plain, "price") == "14.00"
    assert resolved_text(content, sale, "price") == "12.00"
    assert len(leaf_variants(content, plain)) == 7
    assert leaf_variants(content, sale) == []


def test_shirt_data_has_three_variants_and_big_and_tall_shows_only_large(
    content: Content,
) -> None:
    data = content.node(f"{PRODUCTS}/shirt")
    assert commerce_type(data) == "product"
    assert [c.name for c in leaf_variants(content, data)] == ["shirt-s", "shirt-m", "shirt-l"]

    references = [
        n
        for n in content.descendants("/content/big-and-tall")
        if n.text("productData") == data.path
    ]
    assert [r.name for r in references] == ["shirt"]
    shirt = references[0]
    assert commerce_type(shirt) == "product"
    assert content.node(parent_of(shirt.path)).name == "par"
    assert shirt.children == ["shirt-l"]
    large = content.child(shirt, "shirt-l")
    assert commerce_type(large) == "variant"
    assert large.text("productData") == f"{data.path}/shirt-l"
    assert resolved_text(content, large, "size") == "L"

    # Every page on the way is a cq:Page with cq:PageContent.
    page = "/content/big-and-tall"
    for segment in ["", "en", "en/shirts"]:
        path = f"{page}/{segment}".rstrip("/")
        assert content.node(path).primary_type == "cq:Page"
        assert content.node(f"{path}/jcr:content").primary_type == "cq:PageContent"
    assert shirt.path.startswith(f"{page}/en/shirts/jcr:content/")


def test_polling_importer_configuration_is_exact(content: Content) -> None:
    configs = [n for n in content.nodes.values() if "cq:PollConfig" in n.mixins]
    assert [c.path for c in configs] == ["/etc/importers/polling/outdoors/jcr:content"]
    config = configs[0]
    assert config.primary_type == "cq:PageContent"
    assert config.mixins == ("cq:PollConfig",)
    assert config.simple() == {
        "enabled": ("Boolean", True),
        "source": ("String", "hybris:outdoors"),
        "interval": ("Long", 86400),
    }
    assert content.node(parent_of(config.path)).primary_type == "cq:Page"


# --- demo catalog -------------------------------------------------------------------------------


def test_demo_catalog_root_selects_the_geometrixx_provider(content: Content) -> None:
    root = content.node(CATALOG)
    assert root.primary_type == "sling:Folder"
    assert root.text("cq:commerceProvider") == "geometrixx"
    assert root.children == ["men", "women", "equipment"]
    for category in content.children(root):
        assert category.primary_type == "sling:Folder"
        assert len(category.children) >= 2
        for section in content.children(category):
            assert section.primary_type == "sling:Folder"
            assert section.text("jcr:title")
            # Folders list children in name order; the file keeps the same order.
            assert section.children == sorted(section.children)


def test_demo_catalog_has_at_least_fifty_products(content: Content) -> None:
    assert len(demo_products(content)) >= 50


def test_every_demo_product_is_complete(content: Content) -> None:
    for product in demo_products(content):
        props = product.simple()
        assert props["cq:productVariantAxes"] == ("String", ("color", "size")), product.path
        for name in ("jcr:title", "jcr:description", "identifier"):
            assert product.text(name), f"{product.path} lacks {name}"
        assert props["currency"] == ("String", "USD")
        assert Decimal(str(product.properties["price"].value)) > 0
        assert product.properties["cq:tags"].values
        image = content.child(product, "image")
        assert image.primary_type == "nt:unstructured"
        assert image.text("fileReference") == f"{DAM}/{product.name}.jpg"
        assert commerce_type(content.node(parent_of(product.path))) is None


def test_every_demo_product_varies_on_both_axes(content: Content) -> None:
    skus: set[str] = set()
    for product in demo_products(content):
        leaves = leaf_variants(content, product)
        pairs = [
            (resolved_text(content, leaf, "size"), resolved_text(content, leaf, "color"))
            for leaf in leaves
        ]
        assert all(size and color for size, color in pairs), product.path
        assert len(set(pairs)) == len(pairs), product.path
        assert len({size for size, _ in pairs}) >= 2, product.path
        assert len({color for _, color in pairs}) >= 2, product.path
        for leaf in leaves:
            sku = leaf.text("identifier")
            assert sku is not None
            assert sku not in skus
            skus.add(sku)
            assert resolve(content, leaf, "price") is not None


def test_every_demo_product_has_one_product_page(content: Content) -> None:
    language = content.node(f"{SITE}/en/jcr:content")
    assert language.text("cq:commerceProvider") == "geometrixx"
    pages: dict[str, list[str]] = {}
    for node in content.descendants(SITE):
        if node.name == "product" and node.text("productData"):
            pages.setdefault(str(node.text("productData")), []).append(node.path)
            assert node.text("sling:resourceType") == "commerce/components/product"
            assert commerce_type(node) == "product"
    for product in demo_products(content):
        relative = product.path.removeprefix(f"{CATALOG}/")
        category, section, name = relative.split("/")
        page = f"{SITE}/en/{category}/{section}/{name.replace('_', '-')}"
        assert pages.get(product.path) == [f"{page}/jcr:content/par/product"]
        reference = content.node(f"{page}/jcr:content/par/product")
        assert [leaf.text("productData") for leaf in leaf_variants(content, reference)] == [
            leaf.path for leaf in leaf_variants(content, product)
        ]


# --- generator ----------------------------------------------------------------------------------


def run_generator(output: Path, hash_seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run(
        [sys.executable, str(GENERATOR), "--output", str(output)],
        check=True,
        capture_output=True,
        env=env,
        timeout=60,
    )
    return {p.name: p.read_bytes() for p in sorted(output.iterdir())}


def test_generator_reproduces_the_committed_demo_files(tmp_path: Path) -> None:
    first = run_generator(tmp_path / "first", "0")
    second = run_generator(tmp_path / "second", "12345")
    assert first == second
    committed = {p.name: p.read_bytes() for p in sorted((FIXTURES / "demo").iterdir())}
    assert sorted(first) == sorted(committed)
    for name, data in first.items():
        assert data == committed[name], f"fixtures/demo/{name} is stale: run generate_demo.py"
