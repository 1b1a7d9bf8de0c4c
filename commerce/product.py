"""Products (commerce-api §3): the eager loader, property resolution, variants and their filters.

A `Product` is built with its whole inheritance chain (§3.2) and the `image` child of each chain
node already read, so `get_property`, `title()`, `sku` and friends are sync. The loader reads
what it lacks in rounds, one store query per round for every product being loaded: a round
fetches a node with all its ancestors and their `image` children, the next the `productData`
targets the first revealed. A family of references therefore costs its subtree read plus one
round for all the data behind it, whatever the number of variants.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, overload, runtime_checkable

from commerce import constants as C
from commerce.errors import ProductStructureError
from commerce.repo import Node, PropertyValue, RepoSession
from repo_server.errors import InvalidInput
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.values import parse_iso_date, to_string, type_of

log = logging.getLogger(__name__)
T = TypeVar("T")

PRODUCT_TYPES = frozenset({C.TYPE_PRODUCT, C.TYPE_VARIANT})


# --- node helpers ------------------------------------------------------------------------------
def commerce_type_of(node: Node | None) -> str | None:
    return None if node is None else node.string(C.PN_COMMERCE_TYPE)


def is_variant_node(node: Node | None) -> bool:
    return commerce_type_of(node) == C.TYPE_VARIANT


def is_base_product_node(node: Node | None) -> bool:
    return commerce_type_of(node) == C.TYPE_PRODUCT


def is_product_or_variant_node(node: Node | None) -> bool:
    return commerce_type_of(node) in PRODUCT_TYPES


def default_thumbnail_url(file_reference: str, width: int | None) -> str:
    """The URL of a thumbnail rendition of an image (Sling-style selectors on the asset)."""
    return f"{file_reference}.thumb.png" if width is None else f"{file_reference}.thumb.{width}.png"


def _string_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    return to_string(value, type_of(value))


def convert_value(value: PropertyValue, target: Any) -> Any:
    """Convert a property value to `target` as §3.2 says; ValueError when it does not convert."""
    if target is None:
        return value
    if target is list:
        return list(value) if isinstance(value, list) else [value]
    if isinstance(value, list):
        if not value:
            raise ValueError("empty multi-valued property")
        value = value[0]
    if target is str:
        return _string_of(value)
    if target is bool:
        if isinstance(value, bool):
            return value
        text = _string_of(value).lower()
        if text in ("true", "false"):
            return text == "true"
        raise ValueError(f"{value!r} is not a boolean")
    if target is int:
        if isinstance(value, bool):
            raise ValueError("a boolean is not an int")
        return int(_string_of(value))
    if target is Decimal:
        if isinstance(value, bool):
            raise ValueError("a boolean is not a decimal")
        try:
            number = Decimal(_string_of(value))
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not a decimal") from exc
        if not number.is_finite():
            raise ValueError(f"{value!r} is not a finite decimal")
        return number
    if target is datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_iso_date(_string_of(value))
        except InvalidInput as exc:
            raise ValueError(str(exc)) from exc
    raise TypeError(f"unsupported property type {target!r}")


# --- variant filters (§3.4) ----------------------------------------------------------------------
@runtime_checkable
class VariantFilter(Protocol):
    def includes(self, product: Product) -> bool: ...


def _reset(flt: VariantFilter) -> None:
    reset = getattr(flt, "reset", None)
    if callable(reset):
        reset()


@dataclass(frozen=True, slots=True)
class AxisFilter:
    """Keeps a variant whose *resolved* `axis` value equals `value` (by value, never identity)."""

    axis: str
    value: str

    def includes(self, product: Product) -> bool:
        found = product.get_property(self.axis)
        if found is None:
            return False
        if isinstance(found, list):
            return any(_string_of(v) == self.value for v in found)
        return _string_of(found) == self.value


@dataclass(slots=True)
class EnumerateAxisFilter:
    """Keeps the first variant seen for each distinct value of `axis`; `reset()` forgets them,
    and `variants()` calls it, so one instance can serve many calls."""

    axis: str
    seen: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.seen.clear()

    def includes(self, product: Product) -> bool:
        value = product.get_property(self.axis, str)
        if value is None or value in self.seen:
            return False
        self.seen.add(value)
        return True


class AllOf:
    def __init__(self, *filters: VariantFilter) -> None:
        self.filters = filters

    def reset(self) -> None:
        for flt in self.filters:
            _reset(flt)

    def includes(self, product: Product) -> bool:
        # Short-circuit on purpose: a stateful filter later in the list (EnumerateAxisFilter)
        # only counts the products the earlier ones kept, so "one per colour among size M"
        # is AllOf(AxisFilter("size", "M"), EnumerateAxisFilter("color")).
        return all(flt.includes(product) for flt in self.filters)


class AnyOf(AllOf):
    def includes(self, product: Product) -> bool:
        return any(flt.includes(product) for flt in self.filters)


class Not:
    def __init__(self, inner: VariantFilter) -> None:
        self.inner = inner

    def reset(self) -> None:
        _reset(self.inner)

    def includes(self, product: Product) -> bool:
        return not self.inner.includes(product)


# --- size ordering -----------------------------------------------------------------------------
_LETTER_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def size_sort_key(product: Product) -> tuple[int, Decimal]:
    """Sort key of a product's `size`: numbers numerically, letters XXS..XXXL.

    The first element is the kind (0 numeric, 1 letter); sorting a mix raises ValueError through
    `sorted_by_size`, since the two kinds do not compare meaningfully.
    """
    size = (product.get_property("size", str) or "").strip()
    if _NUMBER.match(size):
        return (0, Decimal(size))
    upper = size.upper()
    if upper in _LETTER_SIZES:
        return (1, Decimal(_LETTER_SIZES.index(upper)))
    raise ValueError(f"{size!r} is not a size")


def sorted_by_size(products: Iterable[Product]) -> list[Product]:
    keyed = [(size_sort_key(p), p) for p in products]
    if len({k[0] for k, _ in keyed}) > 1:
        raise ValueError("numeric and letter sizes cannot be sorted together")
    return [p for _, p in sorted(keyed, key=lambda kp: kp[0])]


# --- the product -------------------------------------------------------------------------------
SkuRule = Callable[["Product"], str]


@dataclass(frozen=True, slots=True)
class ProductOptions:
    """Per-provider behaviour of products (§3.1, §3.2)."""

    sku_property: str = C.PN_IDENTIFIER
    sku_rule: SkuRule | None = None
    inherit_from_folders: bool = False
    thumbnail_url: Callable[[str, int | None], str] = default_thumbnail_url


@dataclass(frozen=True, slots=True)
class Product:
    """A product or variant, with its resolution chain (nearest node first) loaded."""

    chain: tuple[Node, ...]
    chain_images: tuple[Node | None, ...]  # the `image` child of each chain node
    page: str | None
    loader: ProductLoader = field(repr=False, compare=False)

    @property
    def node(self) -> Node:
        return self.chain[0]

    @property
    def path(self) -> str:
        return self.chain[0].path

    @property
    def commerce_type(self) -> str | None:
        return commerce_type_of(self.chain[0])

    @property
    def is_variant(self) -> bool:
        return self.commerce_type == C.TYPE_VARIANT

    @property
    def is_base(self) -> bool:
        return self.commerce_type == C.TYPE_PRODUCT

    @property
    def is_reference(self) -> bool:
        return C.PN_PRODUCT_DATA in self.chain[0].properties

    # --- properties ------------------------------------------------------------------------
    def _raw(self, name: str, selector: str | None) -> PropertyValue | None:
        # Straight on the stored Property maps: this runs for every axis of every variant.
        if selector:
            keys = (f"{name}.{selector}", name)
            for node in self.chain:
                props = node.raw.properties
                for key in keys:
                    prop = props.get(key)
                    if prop is not None:
                        return prop.python()
            return None
        for node in self.chain:
            prop = node.raw.properties.get(name)
            if prop is not None:
                return prop.python()
        return None

    @overload
    def get_property(
        self,
        name: str,
        type: None = None,
        *,
        selector: str | None = None,
        default: Any = None,
        strict: bool = False,
    ) -> Any: ...

    @overload
    def get_property(
        self,
        name: str,
        type: type[T],
        *,
        selector: str | None = None,
        default: T | None = None,
        strict: bool = False,
    ) -> T | None: ...

    def get_property(
        self,
        name: str,
        type: Any = None,
        *,
        selector: str | None = None,
        default: Any = None,
        strict: bool = False,
    ) -> Any:
        """Resolve `name` through the chain (the nearer node wins, even over a farther node's
        selector-specific key) and convert it; `default` when missing or not convertible, a
        ValueError for a failed conversion with `strict`."""
        raw = self._raw(name, selector)
        if raw is None:
            return default
        try:
            return convert_value(raw, type)
        except (ValueError, TypeError):
            if strict:
                raise ValueError(f"{name} of {self.path} is not a {type.__name__}") from None
            return default

    @property
    def properties(self) -> Mapping[str, PropertyValue]:
        """The merged properties of the chain, nearest first."""
        merged: dict[str, PropertyValue] = {}
        for node in reversed(self.chain):
            merged.update(node.properties)
        ordered = {k: merged[k] for node in self.chain for k in node.properties}
        return MappingProxyType(ordered)

    def title(self, selector: str | None = None) -> str | None:
        return self.get_property(N.JCR_TITLE, str, selector=selector)

    def description(self, selector: str | None = None) -> str | None:
        return self.get_property(N.JCR_DESCRIPTION, str, selector=selector)

    @property
    def sku(self) -> str:
        options = self.loader.options
        if options.sku_rule is not None:
            return options.sku_rule(self)
        found = self.get_property(options.sku_property, str)
        if found:
            return found
        # The name of the node that holds the data: a reference's own name is the component's.
        holder = next((n for n in self.chain if C.PN_PRODUCT_DATA not in n.properties), None)
        return (holder or self.chain[0]).name

    @property
    def variant_axes(self) -> tuple[str, ...]:
        """The base product's `cq:productVariantAxes` (a local base override wins over its data),
        stripped, without duplicates, in order."""
        raw: PropertyValue | None = None
        for node in self.chain:
            if is_base_product_node(node) and C.PN_PRODUCT_VARIANT_AXES in node.properties:
                raw = node.properties[C.PN_PRODUCT_VARIANT_AXES]
                break
        if raw is None:
            return ()
        values = raw if isinstance(raw, list) else [raw]
        axes = (_string_of(v).strip() for v in values)
        return tuple(dict.fromkeys(a for a in axes if a))

    def axis_is_variant(self, axis: str) -> bool:
        return axis in self.variant_axes

    # --- images ----------------------------------------------------------------------------
    def _image_nodes(self) -> list[Node]:
        return [
            image
            for image in self.chain_images
            if image is not None and image.string(C.PN_FILE_REFERENCE)
        ]

    @property
    def image_url(self) -> str | None:
        """The file reference of the nearest image in the chain."""
        found = self._image_nodes()
        return found[0].string(C.PN_FILE_REFERENCE) if found else None

    def thumbnail_url(self, width: int | None = None, selector: str | None = None) -> str | None:
        """A thumbnail of the product image (`selector` containing "image") or of the primary
        asset; both are the nearest image's file reference while assets have no renditions."""
        del selector  # the image and the primary asset coincide until DAM assets exist
        reference = self.image_url
        return None if reference is None else self.loader.options.thumbnail_url(reference, width)

    async def image(self) -> Node | None:
        found = self._image_nodes()
        return found[0] if found else None

    async def images(self) -> list[Node]:
        return self._image_nodes()

    async def assets(self, mime_types: Iterable[str] | None = None) -> list[Node]:
        """The nodes the images reference (one store query), optionally by MIME type."""
        references = [r for i in self._image_nodes() if (r := i.string(C.PN_FILE_REFERENCE))]
        wanted = {m.lower() for m in mime_types} if mime_types is not None else None
        paths = [r for r in references if r.startswith("/")]
        content = [P.join(r, N.JCR_CONTENT) for r in paths]
        found = await self.loader.repo.nodes([*paths, *content])
        out: list[Node] = []
        for path in dict.fromkeys(paths):
            asset = found.get(path)
            if asset is None:
                continue
            if wanted is not None:
                holder = found.get(P.join(path, N.JCR_CONTENT)) or asset
                mime = holder.string(N.JCR_MIMETYPE) or ""
                if mime.lower() not in wanted:
                    continue
            out.append(asset)
        return out

    async def asset(self) -> Node | None:
        found = await self.assets()
        return found[0] if found else None

    # --- the family ------------------------------------------------------------------------
    async def page_path(self) -> str | None:
        return self.page

    async def pim_product(self) -> Product | None:
        target = self.chain[0].string(C.PN_PRODUCT_DATA)
        if not target:
            return None
        return await self.loader.load(target)

    def _base_path(self) -> str | None:
        """The family's base in this tree (the reference tree for references), or None for a
        variant whose parent is not product-typed."""
        repo = self.loader.repo
        node: Node | None = self.chain[0]
        while node is not None and is_variant_node(node):
            parent = node.parent_path
            node = repo.cached(parent) if parent is not None else None
            if not is_product_or_variant_node(node):
                return None
        return node.path if node is not None else None

    async def base_product(self) -> Product:
        """The family's base product (itself for a base); ProductStructureError when a variant
        has no base above it."""
        base = self._base_path()
        if base is None:
            raise ProductStructureError(f"variant {self.path} has no base product", path=self.path)
        if base == self.path:
            return self
        found = await self.loader.load(base)
        if found is None:  # pragma: no cover - the base was read as product-typed above
            raise ProductStructureError(f"base product {base} vanished", path=self.path)
        return found

    async def variants(self, filter: VariantFilter | None = None) -> list[Product]:
        """The family's leaf variants in document order, the same from any member; `[]` for a
        base without variants or a variant without a base."""
        base = self._base_path()
        if base is None:
            return []
        leaves = await self.loader.leaf_variants(base)
        if filter is None:
            return leaves
        _reset(filter)
        return [leaf for leaf in leaves if filter.includes(leaf)]


# --- the loader --------------------------------------------------------------------------------
class _Need(Exception):
    """Raised inside chain building when a path is not read yet."""

    def __init__(self, path: str) -> None:
        self.path = path


class ProductLoader:
    """Builds Products from one `RepoSession`, reading chains in batches (see module doc).

    Chains are memoised per node, so the 28 leaves of a family share the work of their common
    ancestors and data; the memo is dropped when the session writes.
    """

    def __init__(self, repo: RepoSession, options: ProductOptions | None = None) -> None:
        self.repo = repo
        self.options = options or ProductOptions()
        self._generation = repo.generation
        self._chains: dict[str, tuple[tuple[Node, ...], tuple[Node | None, ...]]] = {}
        self._pages: dict[str, str | None] = {}
        self._visiting: list[str] = []

    async def load(self, path: str) -> Product | None:
        """The product at `path`; None when missing or not product-typed.

        Raises ProductStructureError for a `productData` cycle.
        """
        found = await self.load_many([path])
        return found.get(P.normalize(path))

    async def require(self, path: str) -> Product:
        found = await self.load(path)
        if found is None:
            raise LookupError(f"no product at {path}")
        return found

    async def load_many(self, paths: Iterable[str]) -> dict[str, Product]:
        """The products among `paths`, keyed by path; each round reads what every pending chain
        still lacks in one store query."""
        if self._generation != self.repo.generation:
            self._chains.clear()
            self._pages.clear()
            self._generation = self.repo.generation
        pending = [P.normalize(p) for p in paths]
        done: dict[str, Product] = {}
        for _ in range(64):
            needed: set[str] = set()
            still: list[str] = []
            for path in pending:
                self._visiting.clear()
                try:
                    product = self._build(path)
                except _Need as need:
                    needed.update(fetch_set(need.path))
                    still.append(path)
                    continue
                if product is not None:
                    done[path] = product
            if not still:
                return done
            await self.repo.nodes(needed)
            pending = still
        raise ProductStructureError("product data nests too deeply", paths=pending)

    def _node(self, path: str) -> Node | None:
        if not self.repo.is_known(path):
            raise _Need(path)
        return self.repo.cached(path)

    def _build(self, path: str) -> Product | None:
        start = self._node(path)
        if start is None or not is_product_or_variant_node(start):
            return None
        chain, images = self._chain(start)
        return Product(chain, images, self._page(start.parent_path), self)

    def _page(self, path: str | None) -> str | None:
        """The nearest `cq:Page` at or above `path`."""
        if path is None:
            return None
        if path in self._pages:
            return self._pages[path]
        node = self._node(path)
        found = path if node is not None and node.is_page else self._page(_parent(path))
        self._pages[path] = found
        return found

    def _image_of(self, node: Node) -> Node | None:
        image_path = P.join(node.path, C.NN_IMAGE)
        if not self.repo.is_known(image_path) and self.repo.has_complete_children(node.path):
            return None
        return self._node(image_path)

    def _chain(self, node: Node) -> tuple[tuple[Node, ...], tuple[Node | None, ...]]:
        memo = self._chains.get(node.path)
        if memo is not None:
            return memo
        if node.path in self._visiting:
            cycle = [*self._visiting[self._visiting.index(node.path) :], node.path]
            raise ProductStructureError(
                f"productData cycle at {node.path} (from {self._visiting[0]})",
                path=self._visiting[0],
                cycle=cycle,
            )
        self._visiting.append(node.path)
        image = self._image_of(node)
        following = self._next_in_chain(node)
        if following is None:
            result: tuple[tuple[Node, ...], tuple[Node | None, ...]] = ((node,), (image,))
        else:
            rest, rest_images = self._chain(following)
            result = ((node, *rest), (image, *rest_images))
        self._visiting.pop()
        self._chains[node.path] = result
        return result

    def _next_in_chain(self, node: Node) -> Node | None:
        data = node.string(C.PN_PRODUCT_DATA)
        if data:
            target = self._target(node, data)
            if target is not None:
                return target
        ctype = commerce_type_of(node)
        parent_path = node.parent_path
        if parent_path is None:
            return None
        if ctype == C.TYPE_VARIANT:
            parent = self._node(parent_path)
            if is_product_or_variant_node(parent):
                return parent
        if self.options.inherit_from_folders and parent_path != P.ROOT:
            # Up through the folders, stopping after the node that names the provider.
            if node.string(C.PN_COMMERCE_PROVIDER) is not None:
                return None
            return self._node(parent_path)
        return None

    def _target(self, node: Node, data: str) -> Node | None:
        try:
            target_path = P.normalize(data)
        except InvalidInput:
            log.warning("%s: productData %r is not a path; ignored", node.path, data)
            return None
        target = self._node(target_path)
        if target is None:
            log.warning("%s: productData %s does not exist; ignored", node.path, target_path)
        return target

    async def leaf_variants(self, base: str) -> list[Product]:
        """The leaf variants under the base product at `base`, in depth-first pre-order."""
        top = await self.repo.subtree(base)
        if top is None:
            return []
        leaves: list[str] = []
        targets: list[str] = []
        stack = [top]
        while stack:
            node = stack.pop()
            kids = [k for k in self.repo.cached_children(node.path) or [] if is_variant_node(k)]
            if not kids and node.path != base and is_variant_node(node):
                leaves.append(node.path)
            data = node.string(C.PN_PRODUCT_DATA)
            if data and data.startswith("/"):
                targets.append(data)
            stack.extend(reversed(kids))
        if targets:
            # The whole reference tree's data in one query, instead of a round per hop.
            await self.repo.nodes(lineages(t for t in targets if not self.repo.is_known(t)))
        found = await self.load_many(leaves)
        return [found[p] for p in leaves if p in found]


def _parent(path: str) -> str | None:
    return None if path == P.ROOT else P.parent(path)


def lineages(paths: Iterable[str]) -> list[str]:
    """`fetch_set` of many paths; shared ancestors are listed (and walked) once."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in paths:
        try:
            path: str | None = P.normalize(raw)
        except InvalidInput:
            continue
        while path is not None and path not in seen:
            seen.add(path)
            out.append(path)
            out.append(P.join(path, C.NN_IMAGE))
            path = _parent(path)
    return out


def fetch_set(path: str) -> list[str]:
    """What to read with a node: its ancestors (parents decide inheritance and the page) and
    the `image` child of each, so its chain and images need no further reads."""
    try:
        path = P.normalize(path)
    except InvalidInput:
        return []
    lineage = [path, *P.ancestors(path)]
    return [*lineage, *(P.join(p, C.NN_IMAGE) for p in lineage)]


async def find_page_product(repo: RepoSession, node: Node) -> Node | None:
    """The first product-typed node (in document order) in a page's content, for a `cq:Page`
    or its `jcr:content`; None otherwise."""
    if node.is_page:
        content_path = P.join(node.path, N.JCR_CONTENT)
    elif node.primary_type == N.CQ_PAGE_CONTENT:
        content_path = node.path
    else:
        return None
    found = await repo.query(content_path, is_product_or_variant_node)
    return found[0] if found else None
