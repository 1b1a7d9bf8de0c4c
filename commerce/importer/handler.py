"""Import handlers (commerce-api §13): how a feed becomes nodes, and the context they write to.

A handler never writes to the session itself. It states the nodes it wants through
`ImporterContext.put_node`, and the context's `TreePlan` compares them with what the repository
holds (one subtree read before the import) and records only the operations that change
something. That is what makes a re-import of the same feed write nothing, lets a dry run
report exactly what a real run would do, and lets the importer put a product and its variants
in one save. A deployment's handler with a higher `service.ranking` replaces the default; it
can subclass `DefaultImportHandler` to extend it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Protocol, runtime_checkable

from commerce import constants as C
from commerce.importer.feed import FeedCategory, FeedProduct, FeedValue, FeedVariant
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.model.values import Property, PropertyType, make_property, new_record
from repo_server.session.operations import AddNode, Operation, Remove, SetProperty
from repo_server.session.session import ContentSession

SLING_FOLDER: Final = "sling:Folder"
NT_UNSTRUCTURED: Final = "nt:unstructured"
# Properties an import never removes from a node it owns: the repository's bookkeeping.
_KEEP: Final = frozenset(
    {
        "jcr:uuid",
        "jcr:created",
        "jcr:createdBy",
        "jcr:lastModified",
        "jcr:lastModifiedBy",
        "jcr:isCheckedOut",
        "jcr:baseVersion",
        "jcr:versionHistory",
        "jcr:predecessors",
    }
)


_STRING: Final = PropertyType.STRING
# The value kinds feeds carry that become a single value as they are (ints and floats need
# `make_property`'s range and finiteness checks).
_PLAIN: Final[dict[type, PropertyType]] = {
    str: _STRING,
    Decimal: PropertyType.DECIMAL,
    bool: PropertyType.BOOLEAN,
}
_PRODUCT_TYPE: Final = make_property(C.TYPE_PRODUCT)
_VARIANT_TYPE: Final = make_property(C.TYPE_VARIANT)
_PRODUCT_RESOURCE_TYPE: Final = make_property(C.RT_PRODUCT)


def _property(value: Any) -> Property:
    """`make_property` with a fast path for the kinds feeds carry (a 90,000-node import makes
    several hundred thousand of them; the general conversion is most of the planning time)."""
    ptype = _PLAIN.get(type(value))
    if ptype is not None:
        return new_record(Property, (ptype, False, (value,)))
    if type(value) is list and value and all(type(v) is str for v in value):
        return new_record(Property, (_STRING, True, tuple(value)))
    return make_property(value)


def _properties(properties: Mapping[str, Any]) -> tuple[dict[str, Property | None], bool]:
    """The wanted properties as stored ones (a None value stays None: remove the property), and
    whether there is such a None."""
    out: dict[str, Property | None] = {}
    removes = False
    for name, value in properties.items():
        kind = type(value)
        if kind in _PLAIN:  # a test and a subscript: no method call per property
            out[name] = new_record(Property, (_PLAIN[kind], False, (value,)))
        elif value is None:
            out[name] = None
            removes = True
        elif isinstance(value, Property):
            out[name] = value
        else:
            out[name] = _property(value)
    return out, removes


@dataclass
class Group:
    """The operations of one unit that is saved whole: a product with its variants."""

    ops: list[Operation] = field(default_factory=list)
    added: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)
    removed: list[str] = field(default_factory=list)
    wanted: dict[str, set[str]] = field(default_factory=dict)


class TreePlan:
    """What the import wants, as the operations that turn the current tree into it."""

    def __init__(self, existing: Iterable[Node]) -> None:
        self.nodes: dict[str, Node] = {}
        self.kids: dict[str, list[str]] = {}
        nodes, kids = self.nodes, self.kids
        for node in existing:
            path = node.path
            nodes[path] = node
            if path != P.ROOT:
                cut = path.rfind("/")  # `P.parent`, inlined: a re-import reads every node
                parent = path[:cut] if cut > 0 else P.ROOT
                siblings = kids.get(parent)
                if siblings is None:
                    kids[parent] = [path]
                else:
                    siblings.append(path)
        self.removed: set[str] = set()
        self.added: dict[str, AddNode] = {}
        self.group = Group()

    # --- reads ----------------------------------------------------------------------------------
    def _gone(self, path: str) -> bool:
        if not self.removed:
            return False
        while True:
            if path in self.removed:
                return True
            if path == P.ROOT:
                return False
            path = P.parent(path)

    def current(self, path: str) -> Node | None:
        """The node the repository holds at `path` unless the plan removed it."""
        node = self.nodes.get(path)
        return None if node is None or self._gone(path) else node

    def exists(self, path: str) -> bool:
        return path in self.added or self.current(path) is not None

    def children(self, path: str) -> list[Node]:
        return [n for p in self.kids.get(path, ()) if (n := self.current(p)) is not None]

    # --- writes ---------------------------------------------------------------------------------
    def begin(self) -> None:
        self.group = Group()

    def end(self) -> Group:
        group, self.group = self.group, Group()
        return group

    def put(
        self,
        path: str,
        primary_type: str,
        properties: Mapping[str, Any],
        *,
        exclusive: bool,
        mixins: tuple[str, ...] = (),
    ) -> None:
        # A None value removes the property (merging writers use it to drop a local value).
        props, removes = _properties(properties)
        group = self.group
        group.touched.add(path)
        if path in self.added:
            pending = self.added[path].props
            for name, found in props.items():
                if found is None:
                    pending.pop(name, None)
                else:
                    pending[name] = found
            return
        node = self.nodes.get(path)  # `current(path)`, inlined: this runs once per node
        if node is not None and self.removed and self._gone(path):
            node = None
        if node is not None and (node.primary_type != primary_type or node.mixins != mixins):
            self.remove(path)
            node = None
        if node is None:
            if removes:
                props = {k: v for k, v in props.items() if v is not None}
            # No None left in `props` (not `cast`: a call per node).
            op = AddNode(path, primary_type, list(mixins), props)  # type: ignore[arg-type]
            self.added[path] = op
            group.ops.append(op)
            group.added.add(path)
            return
        wanted = group.wanted.get(path)
        if wanted is None:
            wanted = group.wanted[path] = set()
        else:
            # A second put of the node in this group (a handler extending the default one):
            # what it sets replaces what the first one decided for those properties.
            group.ops = [
                op
                for op in group.ops
                if not (isinstance(op, SetProperty) and op.path == path and op.name in props)
            ]
        wanted.update(props)
        stored = node.properties
        # Both loops only find what changed; a re-import of an unchanged feed changes nothing,
        # which the two subset tests (walked in C) tell at once.
        if not props.items() <= stored.items():
            for name, prop in props.items():
                if stored.get(name) != prop and (prop is not None or name in stored):
                    group.ops.append(SetProperty(path, name, prop))
        if exclusive and not wanted.issuperset(stored):
            for name in stored:
                if name not in wanted and name not in _KEEP:
                    group.ops.append(SetProperty(path, name, None))

    def remove(self, path: str) -> None:
        if self.current(path) is None:
            pending = self.added.pop(path, None)
            if pending is not None:
                self.group.ops.append(Remove(path))
            return
        self.group.ops.append(Remove(path))
        self.group.removed.append(path)
        self.removed.add(path)

    def prune(self, path: str) -> None:
        """Remove what the repository holds under `path` that this group did not write."""
        # `children(path)`, walked lazily: removing a child never hides one of its siblings.
        touched = self.group.touched
        for child in self.kids.get(path, ()):
            if self.current(child) is None:
                continue
            if child not in touched:
                self.remove(child)
            elif child in self.kids:
                self.prune(child)


@dataclass(eq=False)
class ImporterContext:
    """What one import run shares with its handler (commerce-api §13)."""

    root_path: str
    catalog_id: str
    plan: TreePlan
    session: ContentSession
    title: str | None = None
    provider: str | None = None
    catalog_version: str = "Staged"
    base_store: str | None = None
    incremental: bool = False
    express: bool = False
    watermark: str | None = None
    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    messages: list[str] = field(default_factory=list)
    message_cap: int = 1000
    save_batch_size: int = 1000
    throttle_batch_size: int = 50000
    bucket_size: int = 500

    def message(self, text: str) -> None:
        if len(self.messages) < self.message_cap:
            self.messages.append(text)

    def existing(self, path: str) -> Node | None:
        """The node the repository holds at `path` (under the catalog), as the import sees it."""
        return self.plan.current(path)

    def put_node(
        self,
        path: str,
        primary_type: str,
        properties: Mapping[str, Any],
        *,
        exclusive: bool = True,
        mixins: tuple[str, ...] = (),
    ) -> str:
        """Want a node at `path` with these properties; returns `path`.

        `exclusive` nodes belong to the import: properties it no longer sends are removed.
        Otherwise properties are merged and local ones kept (catalog and category folders).
        """
        self.plan.put(path, primary_type, properties, exclusive=exclusive, mixins=mixins)
        return path

    def remove_node(self, path: str) -> None:
        self.plan.remove(path)


@runtime_checkable
class ImportHandler(Protocol):
    """Turns feed items into nodes; each method returns the path it created or updated."""

    async def create_catalog(self, ctx: ImporterContext, name: str) -> str: ...

    async def create_category(
        self, ctx: ImporterContext, values: FeedCategory, parent_path: str
    ) -> str: ...

    async def create_product(
        self, ctx: ImporterContext, values: FeedProduct, parent_category_path: str
    ) -> str: ...

    async def create_variant_product(
        self, ctx: ImporterContext, values: FeedVariant, base_product_path: str
    ) -> str: ...

    async def create_asset(
        self, ctx: ImporterContext, values: Mapping[str, FeedValue], product_path: str
    ) -> str: ...

    async def delete_product(self, ctx: ImporterContext, path: str) -> None: ...


class DefaultImportHandler:
    """Writes the product data model of docs/CONTENT-FORMAT.md §2 under the catalog root:
    folders for the catalog and its categories, a product node per product holding its
    variants (nested as the feed nests them) and an `image` child per asset."""

    async def create_catalog(self, ctx: ImporterContext, name: str) -> str:
        props: dict[str, Any] = {"jcr:title": ctx.title or name}
        if ctx.provider:
            props[C.PN_COMMERCE_PROVIDER] = ctx.provider
        return ctx.put_node(ctx.root_path, SLING_FOLDER, props, exclusive=False)

    async def create_category(
        self, ctx: ImporterContext, values: FeedCategory, parent_path: str
    ) -> str:
        props: dict[str, Any] = dict(values.properties)
        props["jcr:title"] = values.title or P.name(values.path).replace("-", " ").title()
        path = P.join(parent_path, P.name(values.path))
        return ctx.put_node(path, SLING_FOLDER, props, exclusive=False)

    async def create_product(
        self, ctx: ImporterContext, values: FeedProduct, parent_category_path: str
    ) -> str:
        props: dict[str, Any] = {
            "sling:resourceType": _PRODUCT_RESOURCE_TYPE,
            C.PN_COMMERCE_TYPE: _PRODUCT_TYPE,
            **values.properties,
        }
        if values.variant_axes:
            props[C.PN_PRODUCT_VARIANT_AXES] = list(values.variant_axes)
        return ctx.put_node(P.join(parent_category_path, values.name), NT_UNSTRUCTURED, props)

    async def create_variant_product(
        self, ctx: ImporterContext, values: FeedVariant, base_product_path: str
    ) -> str:
        props: dict[str, Any] = {C.PN_COMMERCE_TYPE: _VARIANT_TYPE, **values.properties}
        return ctx.put_node(P.join(base_product_path, values.name), NT_UNSTRUCTURED, props)

    async def create_asset(
        self, ctx: ImporterContext, values: Mapping[str, FeedValue], product_path: str
    ) -> str:
        return ctx.put_node(P.join(product_path, C.NN_IMAGE), NT_UNSTRUCTURED, dict(values))

    async def delete_product(self, ctx: ImporterContext, path: str) -> None:
        ctx.remove_node(path)
