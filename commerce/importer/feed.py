"""Catalog feeds: the JSON and CSV formats of docs/CATALOG-IMPORT.md parsed into plain values.

Parsing never stops at the first mistake: every bad line or item becomes a `FeedProblem`, so
one answer can name all of them (issue 8). A problem in a product drops the whole product with
its variants, never a part of it. Nothing here touches the repository.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal, NamedTuple

from commerce.errors import InvalidFeedError, UnknownFeedFormatError
from repo_server.model.names import is_valid_name

FeedFormat = Literal["json", "csv"]
FORMATS: Final[tuple[FeedFormat, ...]] = ("json", "csv")
# A property value as the handler gets it: what `make_property` turns into a JCR property.
FeedValue = str | int | float | bool | Decimal | list[str] | list[int] | list[float] | list[bool]

# Keys with a meaning of their own; any other key of a product or variant is a property.
_PRODUCT_KEYS: Final = frozenset(
    {
        "sku",
        "name",
        "category",
        "title",
        "description",
        "price",
        "prices",
        "currency",
        "tags",
        "image",
        "variantAxes",
        "variants",
    }
)
_CURRENCY: Final = re.compile(r"^[A-Z]{3}$")
_NAME_CHARS: Final = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """One bad line or item: `where` is `line 7` (CSV, JSON syntax) or `products[3]` (JSON)."""

    where: str
    message: str
    sku: str | None = None
    line: int | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"where": self.where, "message": self.message}
        if self.sku is not None:
            out["sku"] = self.sku
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass(frozen=True, slots=True)
class FeedCategory:
    path: str  # relative to the catalog root: "men/shirts"
    title: str | None
    properties: Mapping[str, FeedValue]
    where: str


# FeedVariant and FeedProduct are not frozen: a frozen dataclass sets each field through
# `object.__setattr__`, which made their construction a tenth of parsing a feed. Treat them
# as read-only all the same: the importer shares them with the handler.
@dataclass(slots=True)
class FeedVariant:
    name: str
    sku: str | None
    properties: Mapping[str, FeedValue]
    image: str | None
    variants: tuple[FeedVariant, ...]
    where: str

    def skus(self) -> Iterable[str]:
        if self.sku:
            yield self.sku
        for child in self.variants:
            yield from child.skus()


@dataclass(slots=True)
class FeedProduct:
    sku: str
    name: str
    category: str  # "" is the catalog root
    properties: Mapping[str, FeedValue]
    variant_axes: tuple[str, ...]
    image: str | None
    variants: tuple[FeedVariant, ...]
    where: str

    def skus(self) -> Iterable[str]:
        yield self.sku
        for child in self.variants:
            yield from child.skus()

    @property
    def relative_path(self) -> str:
        return f"{self.category}/{self.name}" if self.category else self.name


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed: what can be imported, and the problems of what cannot."""

    title: str | None = None
    provider: str | None = None
    categories: tuple[FeedCategory, ...] = ()
    products: tuple[FeedProduct, ...] = ()
    problems: tuple[FeedProblem, ...] = ()
    # SKUs named by items that were refused: never removed by `removeMissing`.
    refused_skus: frozenset[str] = field(default_factory=frozenset)
    fatal: bool = False  # the file as a whole is unreadable (syntax, header): nothing to import

    def check(self, *, skip_invalid: bool) -> None:
        """Raise InvalidFeedError when the feed cannot be imported as asked."""
        if self.problems and (self.fatal or not skip_invalid):
            raise InvalidFeedError(
                f"the feed has {len(self.problems)} problem(s); nothing was imported",
                errors=[p.as_json() for p in self.problems],
            )


def infer_format(filename: str | None, explicit: str | None = None) -> FeedFormat:
    """The feed format: `explicit` when given, else from the file name's extension."""
    wanted = explicit or ""
    if not wanted and filename:
        wanted = filename.rsplit(".", 1)[-1] if "." in filename else ""
    wanted = wanted.lower()
    for known in FORMATS:
        if wanted == known:
            return known
    raise UnknownFeedFormatError(
        f"unknown feed format {wanted or '(none)'!r}: use json or csv",
        format=wanted or None,
        formats=list(FORMATS),
    )


def parse_feed(data: bytes, fmt: FeedFormat) -> Feed:
    """Parse feed bytes; problems are collected in the result, not raised."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return _fatal(f"line {line}", "the feed is not UTF-8", line)
    return parse_json(text) if fmt == "json" else parse_csv(text)


def node_name_of(text: str) -> str:
    """A node name made from a SKU or an axis value: lower case, `[a-z0-9_-]` only."""
    return _NAME_CHARS.sub("_", text.strip().lower()).strip("_")


def _fatal(where: str, message: str, line: int | None = None) -> Feed:
    return Feed(problems=(FeedProblem(where, message, line=line),), fatal=True)


# --- shared validation ------------------------------------------------------------------------
class _Builder:
    """Collects problems while items are converted; each item reports under its `where`."""

    def __init__(self) -> None:
        self.problems: list[FeedProblem] = []
        self.refused: set[str] = set()
        self.line: int | None = None

    def problem(self, where: str, message: str, sku: str | None = None) -> None:
        self.problems.append(FeedProblem(where, message, sku, self.line))

    def text(self, where: str, key: str, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.problem(where, f"{key} must be a string, not {_kind(value)}")
            return None
        return value

    def decimal(self, where: str, key: str, value: Any) -> Decimal | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            self.problem(where, f"{key} must be a decimal number, not {_kind(value)}")
            return None
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.problem(where, f"{key} {value!r} is not a decimal number")
            return None
        if not amount.is_finite() or amount < 0:
            self.problem(where, f"{key} {value!r} must be a finite amount of at least 0")
            return None
        return amount

    def strings(self, where: str, key: str, value: Any) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(where, f"{key} must be a list of non-empty strings")
            return None
        return list(value)

    def value(self, where: str, key: str, value: Any) -> FeedValue | None:
        """A free property: a scalar or a list of scalars of one kind."""
        if isinstance(value, Decimal):
            # JSON numbers are read as Decimal; free properties follow the content format.
            return float(value)
        if isinstance(value, str | bool | int | float):
            return value
        if isinstance(value, list) and value:
            items = [self.value(where, key, v) for v in value]
            kinds = {type(v) for v in items}
            if None not in kinds and len(kinds) == 1 and not isinstance(items[0], list):
                return items  # type: ignore[return-value]  # one scalar kind, checked above
        self.problem(where, f"property {key} has a value of the wrong type ({_kind(value)})")
        return None

    def prices(self, where: str, product: dict[str, FeedValue], raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, dict):
            self.problem(where, f"prices must be an object of currency: amount, not {_kind(raw)}")
            return
        for currency, amount in raw.items():
            if not _CURRENCY.match(currency):
                self.problem(where, f"prices: {currency!r} is not an ISO-4217 code")
                continue
            found = self.decimal(where, f"prices.{currency}", amount)
            if found is not None:
                product[f"price.{currency}"] = found


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# Node names that are valid without a closer look (the common case): ASCII letters, digits, `_`
# and `-`, short enough; anything else goes through `is_valid_name`.
_PLAIN_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,150}\Z")
_SCALARS: Final = frozenset({str, bool, int, float})
_MISSING: Final = object()
# Free property keys found fit to be property names before (feeds repeat a few): callers test
# membership first, which costs less than a call; an unfit key is checked again each time (it
# sends its item to the checked path, which reports it).
_FIT_KEYS: set[str] = set()


def _property_key_ok(key: str) -> bool:
    if key in _FIT_KEYS:
        return True
    ok = is_valid_name(key) and not key.startswith("jcr:primary") and key != "jcr:mixinTypes"
    if ok and len(_FIT_KEYS) < 10_000:
        _FIT_KEYS.add(key)
    return ok


# Node names found valid before: variant names (`v1`, `s`, `m`) repeat across a feed.
_NAME_OK: set[str] = set()


def _node_name_ok(name: str) -> bool:
    if name in _NAME_OK:
        return True
    ok = _PLAIN_NAME.match(name) is not None or (is_valid_name(name) and ":" not in name)
    if ok and len(_NAME_OK) < 10_000:
        _NAME_OK.add(name)
    return ok


def _plain_amount(value: Any) -> Decimal | None:
    """`value` as an amount when it plainly is one (else None: the checked path reports it)."""
    kind = type(value)
    if kind is str:
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            return None
    elif kind is Decimal:
        amount = Decimal(str(value))
    elif kind is int:
        amount = Decimal(value)
    else:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


_TEXTS: Final = (("title", "jcr:title"), ("description", "jcr:description"))


def _common_plain(item: Mapping[str, Any]) -> dict[str, FeedValue] | None:
    """`_common` for an item whose every value is plainly right (nearly all of them): the
    same properties in the same order, or None to take the checked path."""
    # `key in item` then `item[key]` rather than `item.get(key)`: most keys are absent from
    # most items, and a membership test costs less than a method call.
    props: dict[str, FeedValue] = {}
    for key, name in _TEXTS:
        if key in item:
            value = item[key]
            if value is not None and value != "":
                if type(value) is not str:
                    return None
                props[name] = value
    if "price" in item:
        value = item["price"]
        if value is not None and value != "":
            found = _plain_amount(value)
            if found is None:
                return None
            props["price"] = found
    if "prices" in item:
        value = item["prices"]
        if value is not None:
            if type(value) is not dict:
                return None
            for currency, raw in value.items():
                if raw is None or raw == "":
                    if not _CURRENCY.match(currency):
                        return None
                    continue
                found = _plain_amount(raw)
                if found is None or not _CURRENCY.match(currency):
                    return None
                props[f"price.{currency}"] = found
    if "currency" in item:
        value = item["currency"]
        if value is not None and value != "":
            if type(value) is not str or not _CURRENCY.match(value):
                return None
            props["currency"] = value
    if "tags" in item:
        value = item["tags"]
        if value is not None:
            if type(value) is not list or not all(type(v) is str and v for v in value):
                return None
            props["cq:tags"] = list(value)
    if "image" in item:
        value = item["image"]
        if value is not None and value != "" and type(value) is not str:
            return None
    for key, raw in item.items():
        if key in _PRODUCT_KEYS:
            continue
        if key not in _FIT_KEYS and not _property_key_ok(key):
            return None
        kind = type(raw)
        if kind in _SCALARS:
            props[key] = raw
        elif kind is Decimal:
            props[key] = float(raw)
        else:
            return None  # lists and anything odd: the checked path
    return props


def _common(b: _Builder, where: str, item: Mapping[str, Any], props: dict[str, FeedValue]) -> bool:
    """The keys products and variants share; returns False when any is bad."""
    plain = _common_plain(item)
    if plain is not None:
        props.update(plain)
        return True
    return _common_checked(b, where, item, props)


def _common_checked(
    b: _Builder, where: str, item: Mapping[str, Any], props: dict[str, FeedValue]
) -> bool:
    before = len(b.problems)
    for key, prop in (("title", "jcr:title"), ("description", "jcr:description")):
        found = b.text(where, key, item.get(key))
        if found is not None:
            props[prop] = found
    price = b.decimal(where, "price", item.get("price"))
    if price is not None:
        props["price"] = price
    b.prices(where, props, item.get("prices"))
    currency = b.text(where, "currency", item.get("currency"))
    if currency is not None:
        if _CURRENCY.match(currency):
            props["currency"] = currency
        else:
            b.problem(where, f"currency {currency!r} is not an ISO-4217 code")
    tags = b.strings(where, "tags", item.get("tags"))
    if tags is not None:
        props["cq:tags"] = tags
    b.text(where, "image", item.get("image"))
    for key, raw in item.items():
        if key in _PRODUCT_KEYS:
            continue
        if not is_valid_name(key) or key.startswith("jcr:primary") or key == "jcr:mixinTypes":
            b.problem(where, f"{key!r} cannot be a property name")
            continue
        value = b.value(where, key, raw)
        if value is not None:
            props[key] = value
    return len(b.problems) == before


def _name(b: _Builder, where: str, raw: Any, fallback: str | None) -> str | None:
    name = b.text(where, "name", raw)
    if name is None and fallback:
        name = node_name_of(fallback)
    if not name:
        b.problem(where, "no name, and none can be made from a SKU")
        return None
    if not _node_name_ok(name):
        b.problem(where, f"{name!r} is not a valid node name")
        return None
    return name


def _skus_of(product: FeedProduct) -> list[str]:
    """`product.skus()` as a list, leaf variants without a generator each."""
    out = [product.sku]
    for variant in product.variants:
        if variant.variants:
            out.extend(variant.skus())
        elif variant.sku:
            out.append(variant.sku)
    return out


class _Assembler:
    """Checks what spans items: unique SKUs and names, known categories."""

    def __init__(self, b: _Builder) -> None:
        self.b = b
        self.categories: dict[str, FeedCategory] = {}
        self.products: list[FeedProduct] = []
        self.skus: dict[str, str] = {}
        self.paths: dict[str, str] = {}

    def add_category(self, category: FeedCategory) -> None:
        if category.path in self.categories:
            self.b.problem(category.where, f"category {category.path!r} is declared twice")
            return
        parent = category.path.rpartition("/")[0]
        if parent and parent not in self.categories:
            self.b.problem(category.where, f"parent category {parent!r} is not declared before it")
            return
        self.categories[category.path] = category

    def add_product(self, product: FeedProduct) -> None:
        where = product.where
        relative_path = product.relative_path
        ok = True
        if product.category and product.category not in self.categories:
            self.b.problem(where, f"unknown category {product.category!r}", product.sku)
            ok = False
        if relative_path in self.paths:
            self.b.problem(
                where,
                f"name {product.name!r} is taken in this category by {self.paths[relative_path]}",
                product.sku,
            )
            ok = False
        skus = _skus_of(product)
        seen = set(skus)
        # keys().isdisjoint walks the small set; set.isdisjoint(dict) would walk the dict.
        if len(seen) < len(skus) or not self.skus.keys().isdisjoint(seen):
            seen = set()  # report each duplicate where it occurs, as the feed lists them
            for sku in skus:
                if sku in self.skus or sku in seen:
                    first = self.skus.get(sku, where)
                    self.b.problem(where, f"duplicate SKU {sku!r} (first in {first})", product.sku)
                    ok = False
                seen.add(sku)
        if not ok:
            self.b.refused.update(skus)
            return
        self.skus.update(dict.fromkeys(skus, where))
        self.paths[relative_path] = where
        self.products.append(product)

    def feed(self, title: str | None, provider: str | None) -> Feed:
        return Feed(
            title=title,
            provider=provider,
            categories=tuple(self.categories.values()),
            products=tuple(self.products),
            problems=tuple(self.b.problems),
            refused_skus=frozenset(self.b.refused),
        )


# --- JSON ---------------------------------------------------------------------------------------
def parse_json(text: str) -> Feed:
    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        return _fatal(
            f"line {exc.lineno}", f"malformed JSON: {exc.msg} (column {exc.colno})", exc.lineno
        )
    if not isinstance(doc, dict):
        return _fatal("feed", "a JSON feed is one object with 'catalog', 'categories', 'products'")
    b = _Builder()
    catalog = doc.get("catalog", {})
    if not isinstance(catalog, dict):
        b.problem("catalog", f"catalog must be an object, not {_kind(catalog)}")
        catalog = {}
    title = b.text("catalog", "title", catalog.get("title"))
    provider = b.text("catalog", "provider", catalog.get("provider"))
    asm = _Assembler(b)
    unknown = sorted(set(doc) - {"catalog", "categories", "products"})
    if unknown:
        b.problem("feed", f"unknown member(s) {', '.join(unknown)}")
    for i, raw in enumerate(_list(b, "categories", doc.get("categories", []))):
        category = _json_category(b, f"categories[{i}]", raw)
        if category is not None:
            asm.add_category(category)
    for i, raw in enumerate(_list(b, "products", doc.get("products", []))):
        product = _json_product(b, f"products[{i}]", raw)
        if product is not None:
            asm.add_product(product)
    return asm.feed(title, provider)


def _list(b: _Builder, key: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        b.problem(key, f"{key} must be a list, not {_kind(value)}")
        return []
    return value


def _json_category(b: _Builder, where: str, raw: Any) -> FeedCategory | None:
    if not isinstance(raw, dict):
        b.problem(where, f"a category must be an object, not {_kind(raw)}")
        return None
    path = b.text(where, "path", raw.get("path"))
    if path is None:
        b.problem(where, "a category needs a 'path' such as 'men/shirts'")
        return None
    if not all(is_valid_name(part) and ":" not in part for part in path.split("/")):
        b.problem(where, f"category path {path!r} is not made of valid node names")
        return None
    title = b.text(where, "title", raw.get("title"))
    props: dict[str, FeedValue] = {}
    for key, value in raw.items():
        if key not in ("path", "title"):
            found = b.value(where, key, value)
            if found is not None and is_valid_name(key):
                props[key] = found
    return FeedCategory(path, title, props, where)


def _json_product(b: _Builder, where: str, raw: Any) -> FeedProduct | None:
    head = _plain_head(raw) if type(raw) is dict else None
    if head is None:
        return _json_product_checked(b, where, raw)
    # The product's own keys are plainly right: only its variants can have problems, and they
    # are reported as on the checked path, in the same order.
    before = len(b.problems)
    variants = _json_variants(b, where, head.variants, head.name, head.axes)
    if len(b.problems) > before:
        b.refused.add(head.sku)
        return None
    head.props["identifier"] = head.sku
    return FeedProduct(
        head.sku,
        head.name,
        head.category.strip("/"),
        head.props,
        tuple(head.axes),
        raw.get("image") or None,
        variants,
        where,
    )


class _Head(NamedTuple):
    """A product's own values, when they are plainly right."""

    sku: str
    name: str
    category: str
    axes: list[str]
    variants: list[Any]
    props: dict[str, FeedValue]


def _plain_head(raw: dict[str, Any]) -> _Head | None:
    """What `_json_product_checked` takes from a product, when every value is plainly right
    (nearly all products), or None to take the checked path, which reports what is wrong."""
    get = raw.get
    sku = get("sku")
    if type(sku) is not str or not sku:
        return None
    name = get("name")
    if name is None or name == "":
        name = node_name_of(sku)
    elif type(name) is not str:
        return None
    if not name or not _node_name_ok(name):
        return None
    category = get("category")
    if category is None:
        category = ""
    elif type(category) is not str:
        return None
    axes = get("variantAxes")
    if axes is None:
        axes = []
    elif type(axes) is not list or not all(type(a) is str and a for a in axes):
        return None
    variants = get("variants", [])
    if type(variants) is not list:
        return None
    props = _common_plain(raw)
    if props is None:
        return None
    return _Head(sku, name, category, axes, variants, props)


def _json_variants(
    b: _Builder, where: str, items: list[Any], parent_name: str, axes: Sequence[str]
) -> tuple[FeedVariant, ...]:
    """The variants of a product or variant, each reported under `<where>.variants[i]`."""
    out: list[FeedVariant] = []
    for i, item in enumerate(items):
        at = f"{where}.variants[{i}]"
        # `_json_variant`, inlined: this runs once per variant.
        found = _plain_variant(item, at, parent_name, axes) if type(item) is dict else None
        if found is None:
            found = _json_variant_checked(b, at, item, parent_name, axes)
        if found is not None:
            out.append(found)
    return tuple(out)


def _json_product_checked(b: _Builder, where: str, raw: Any) -> FeedProduct | None:
    if not isinstance(raw, dict):
        b.problem(where, f"a product must be an object, not {_kind(raw)}")
        return None
    before = len(b.problems)
    sku = b.text(where, "sku", raw.get("sku"))
    if sku is None:
        b.problem(where, "the product has no SKU ('sku')")
    props: dict[str, FeedValue] = {}
    _common(b, where, raw, props)
    name = _name(b, where, raw.get("name"), sku)
    category = b.text(where, "category", raw.get("category")) or ""
    axes = b.strings(where, "variantAxes", raw.get("variantAxes")) or []
    variants = _json_variants(
        b, where, _list(b, f"{where}.variants", raw.get("variants", [])), name or "", axes
    )
    if len(b.problems) > before or sku is None or name is None:
        if sku:
            b.refused.add(sku)
        return None
    if sku:
        props["identifier"] = sku
    return FeedProduct(
        sku, name, category.strip("/"), props, tuple(axes), _image(raw), variants, where
    )


def _image(raw: Mapping[str, Any]) -> str | None:
    image = raw.get("image")
    return image if isinstance(image, str) and image else None


def _json_variant(
    b: _Builder, where: str, raw: Any, parent_name: str, axes: Sequence[str]
) -> FeedVariant | None:
    if type(raw) is dict:
        plain = _plain_variant(raw, where, parent_name, axes)
        if plain is not None:
            return plain
    return _json_variant_checked(b, where, raw, parent_name, axes)


def _plain_variant(
    raw: dict[str, Any], where: str, parent_name: str, axes: Sequence[str]
) -> FeedVariant | None:
    """`_json_variant` for a leaf variant that is plainly right (nearly all of them): the same
    variant, or None to take the checked path, which reports what is wrong."""
    if "variants" in raw or "category" in raw or "variantAxes" in raw:
        return None
    get = raw.get
    sku = get("sku")
    if sku == "":
        sku = None
    elif sku is not None and type(sku) is not str:
        return None
    props = _common_plain(raw)
    if props is None:
        return None
    name = get("name")
    if name is None or name == "":
        axis_values = [str(props[a]) for a in axes if a in props]
        fallback = f"{parent_name}_{'_'.join(axis_values)}" if axis_values else sku
        if not fallback:
            return None
        name = node_name_of(fallback)
        if not name:
            return None
    elif type(name) is not str:
        return None
    if name not in _NAME_OK and not _node_name_ok(name):
        return None
    if sku:
        props["identifier"] = sku
    return FeedVariant(name, sku, props, get("image") or None, (), where)


def _json_variant_checked(
    b: _Builder, where: str, raw: Any, parent_name: str, axes: Sequence[str]
) -> FeedVariant | None:
    if not isinstance(raw, dict):
        b.problem(where, f"a variant must be an object, not {_kind(raw)}")
        return None
    sku = b.text(where, "sku", raw.get("sku"))
    props: dict[str, FeedValue] = {}
    for key in ("category", "variantAxes"):
        if key in raw:
            b.problem(where, f"a variant cannot have {key!r}")
    _common(b, where, raw, props)
    axis_values = [str(props[a]) for a in axes if a in props]
    fallback = f"{parent_name}_{'_'.join(axis_values)}" if axis_values else sku
    name = _name(b, where, raw.get("name"), fallback)
    variants: tuple[FeedVariant, ...] = ()
    if "variants" in raw:  # nested variants (most feeds have none below the first level)
        variants = _json_variants(
            b, where, _list(b, f"{where}.variants", raw["variants"]), name or "", axes
        )
    if name is None:
        return None
    if sku:
        props["identifier"] = sku
    return FeedVariant(name, sku, props, _image(raw), variants, where)


# --- CSV ----------------------------------------------------------------------------------------
_CSV_MULTI: Final = frozenset({"tags", "variantAxes"})


@dataclass
class _CsvItem:
    kind: str
    where: str
    line: int
    row: dict[str, Any]
    parent: str | None
    name: str | None
    sku: str | None
    children: list[_CsvItem] = field(default_factory=list)
    bad: bool = False


def parse_csv(text: str) -> Feed:
    """One row per category, product or variant (column `type`); see docs/CATALOG-IMPORT.md."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return _fatal("line 1", f"malformed CSV: {exc}", 1)
    if not header or not any(h.strip() for h in header):
        return _fatal("line 1", "the CSV feed has no header row", 1)
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        return _fatal("line 1", "the header names a column twice", 1)
    if "sku" not in header and "name" not in header:
        return _fatal("line 1", "the header needs at least a 'sku' or a 'name' column", 1)
    b = _Builder()
    asm = _Assembler(b)
    by_name: dict[str, _CsvItem] = {}
    roots: list[_CsvItem] = []
    catalog_title: str | None = None
    catalog_provider: str | None = None
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            b.line = reader.line_num
            b.problem(f"line {reader.line_num}", f"malformed CSV: {exc}")
            return Feed(problems=tuple(b.problems), fatal=True)
        line = reader.line_num
        b.line = line
        where = f"line {line}"
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            b.problem(where, f"{len(cells)} cells where the header has {len(header)}")
            continue
        row = {k: v.strip() for k, v in zip(header, cells, strict=True) if v.strip()}
        kind = row.pop("type", "product").lower()
        if kind == "catalog":
            catalog_title = row.get("title", catalog_title)
            catalog_provider = row.get("provider", catalog_provider)
            continue
        if kind == "category":
            path = row.pop("name", "") or row.pop("path", "")
            if not path or not all(is_valid_name(p) and ":" not in p for p in path.split("/")):
                b.problem(where, f"category path {path!r} is not made of valid node names")
                continue
            title = row.pop("title", None)
            props: dict[str, FeedValue] = {k: v for k, v in row.items() if is_valid_name(k)}
            asm.add_category(FeedCategory(path.strip("/"), title, props, where))
            continue
        if kind not in ("product", "variant"):
            b.problem(where, f"unknown type {kind!r}: catalog, category, product or variant")
            continue
        item = _CsvItem(
            kind, where, line, row, row.pop("parent", None), row.get("name"), row.get("sku")
        )
        if kind == "variant":
            parent = by_name.get(item.parent or "")
            if parent is None:
                b.problem(
                    where, f"parent {item.parent!r} is not a product or variant above", item.sku
                )
                continue
            parent.children.append(item)
        else:
            roots.append(item)
        key = item.name or (node_name_of(item.sku) if item.sku else "")
        if key:
            by_name[key] = item
    for item in roots:
        b.line = item.line
        product = _csv_product(b, item)
        if product is not None:
            asm.add_product(product)
    b.line = None
    return asm.feed(catalog_title, catalog_provider)


def _csv_fields(b: _Builder, item: _CsvItem) -> dict[str, Any]:
    """A CSV row as the JSON object it stands for."""
    out: dict[str, Any] = {}
    prices: dict[str, str] = {}
    for key, value in item.row.items():
        if key in _CSV_MULTI:
            out[key] = [v.strip() for v in value.split("|") if v.strip()]
        elif key.startswith("price."):
            prices[key[len("price.") :]] = value
        else:
            out[key] = value
    if prices:
        out["prices"] = prices
    del b
    return out


def _csv_product(b: _Builder, item: _CsvItem) -> FeedProduct | None:
    raw = _csv_fields(b, item)
    raw["variants"] = []
    before = len(b.problems)
    product = _json_product(b, item.where, raw)
    axes = [str(a) for a in raw.get("variantAxes", [])]
    variants: list[FeedVariant] = []
    for child in item.children:
        b.line = child.line
        variant = _csv_variant(b, child, product.name if product else "", axes)
        if variant is not None:
            variants.append(variant)
    if product is None or len(b.problems) > before:
        b.refused.update(s for s in _csv_skus(item))
        return None
    return FeedProduct(
        product.sku,
        product.name,
        product.category,
        product.properties,
        product.variant_axes,
        product.image,
        tuple(variants),
        product.where,
    )


def _csv_skus(item: _CsvItem) -> Iterable[str]:
    if item.sku:
        yield item.sku
    for child in item.children:
        yield from _csv_skus(child)


def _csv_variant(
    b: _Builder, item: _CsvItem, parent_name: str, axes: Sequence[str]
) -> FeedVariant | None:
    raw = _csv_fields(b, item)
    raw.pop("variants", None)
    found = _json_variant(b, item.where, raw, parent_name, axes)
    if found is None:
        return None
    children = []
    for child in item.children:
        b.line = child.line
        variant = _csv_variant(b, child, found.name, axes)
        if variant is not None:
            children.append(variant)
    return FeedVariant(
        found.name, found.sku, found.properties, found.image, tuple(children), found.where
    )
