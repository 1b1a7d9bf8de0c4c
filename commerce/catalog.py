"""Catalog blueprints and rollout (commerce-api §12): the page tree of a site from a catalog.

`CatalogGenerator.create_catalog` makes `<dest>/<name>` a catalog site for the product data
under a catalog path, and `rollout_changes` brings the site in line with the catalog again:

- a `cq:Page` per category (`cq:commerceType = section`) or, with section blueprints, per
  section (products chosen by `tags` and/or `keywords`);
- a `cq:Page` per product, named after the product with hyphens, whose
  `jcr:content/par/product` is a product reference (`productData`) mirroring the product's
  variants, as the demo pages of docs/CONTENT-FORMAT.md §3.2 do (or, for a proxy section, a
  `jcr:content` with `sling:resourceType = commerce/components/productpageproxy`);
- pages of products gone from the catalog are removed; references whose PIM variant is gone
  are removed and missing ones added, while local properties set by authors are kept
  (`reset=True` drops them).

Writes go through the importer's `TreePlan`, so a rollout of an unchanged catalog writes
nothing. After each catalog, section or product page is created or updated the matching hooks
run; when one of them says it changed something the page's `cq:lastModified` is bumped once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Protocol, runtime_checkable

from commerce import constants as C
from commerce.importer.handler import NT_UNSTRUCTURED, TreePlan
from repo_server.errors import NodeNotFound
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.model.values import make_property
from repo_server.session.session import ContentSession, NodeTree

CQ_PAGE: Final = "cq:Page"
CQ_PAGE_CONTENT: Final = "cq:PageContent"
PN_CATALOG_PATH: Final = "cq:catalogPath"  # on the site's jcr:content: the catalog it mirrors
PN_CATALOG_ITEM: Final = "cq:catalogItem"  # on a generated page's jcr:content: its data node
PN_LAST_ROLLEDOUT: Final = "cq:lastRolledout"
RT_PARSYS: Final = "foundation/components/parsys"
RT_PRODUCT_PAGE: Final = "commerce/components/productpage"
RT_SECTION_PAGE: Final = "commerce/components/sectionpage"
RT_PROXY_PAGE: Final = "commerce/components/productpageproxy"
_REFERENCE_KEYS: Final = (C.PN_PRODUCT_DATA, C.PN_COMMERCE_TYPE, "sling:resourceType")


@dataclass(frozen=True, slots=True)
class SectionBlueprint:
    """A section page holding the products that carry any of `tags` or whose title or
    description contains any of `keywords` (both empty: every product)."""

    name: str
    title: str
    tags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    proxy: bool = False

    def selects(self, product: Node) -> bool:
        if not self.tags and not self.keywords:
            return True
        tags = _strings(product, "cq:tags")
        if any(t in tags for t in self.tags):
            return True
        text = " ".join(_strings(product, "jcr:title") + _strings(product, "jcr:description"))
        return any(k.lower() in text.lower() for k in self.keywords)


@dataclass(frozen=True, slots=True)
class CatalogBlueprint:
    """What a catalog site is made from: the product data and, optionally, section blueprints
    (without any, the site mirrors the catalog's categories)."""

    catalog_path: str
    sections: tuple[SectionBlueprint, ...] = ()
    proxy_pages: bool = False


@dataclass
class RolloutResult:
    site: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


@runtime_checkable
class RolloutHooks(Protocol):
    """Service hooks run after a page is created or updated; True means "I changed it"."""

    async def catalog_rollout_hook(self, session: ContentSession, page_path: str) -> bool: ...

    async def section_rollout_hook(self, session: ContentSession, page_path: str) -> bool: ...

    async def product_rollout_hook(
        self, session: ContentSession, page_path: str, product_path: str
    ) -> bool: ...


def _strings(node: Node, name: str) -> list[str]:
    prop = node.properties.get(name)
    return [v for v in prop.values if isinstance(v, str)] if prop is not None else []


def _string(node: Node | None, name: str) -> str | None:
    if node is None:
        return None
    found = _strings(node, name)
    return found[0] if found else None


def page_name(name: str) -> str:
    return name.replace("_", "-")


def _flatten(tree: NodeTree) -> list[Node]:
    out: list[Node] = []
    stack = [tree]
    while stack:
        holder = stack.pop()
        out.append(holder.node)
        stack.extend(reversed(holder.children))
    return out


class _Data:
    """The catalog's product data, read in one subtree query."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes: dict[str, Node] = {}
        self.kids: dict[str, list[Node]] = {}
        for node in nodes:
            self.nodes[node.path] = node
            self.kids.setdefault(node.parent_path, []).append(node)

    def children(self, path: str) -> list[Node]:
        return self.kids.get(path, [])

    @staticmethod
    def kind(node: Node) -> str | None:
        return _string(node, C.PN_COMMERCE_TYPE)


class CatalogGenerator:
    """Generates and rolls out catalog sites (commerce-api §12)."""

    def __init__(self, session: ContentSession, hooks: Sequence[RolloutHooks] = ()) -> None:
        self.session = session
        self.hooks = list(hooks)

    async def create_catalog(
        self,
        blueprint: CatalogBlueprint,
        dest_path: str,
        name: str,
        title: str,
        rollout_configs: Sequence[str] = (),
    ) -> str:
        """Create (or update) the catalog site `<dest_path>/<name>` and roll the catalog out to
        it; returns the site's page path. Raises NodeNotFound for a missing catalog."""
        if not await self.session.exists(blueprint.catalog_path):
            raise NodeNotFound(
                f"no catalog at {blueprint.catalog_path}", path=blueprint.catalog_path
            )
        site = P.join(dest_path, name)
        props: dict[str, Any] = {
            "jcr:title": title,
            C.PN_COMMERCE_TYPE: C.TYPE_CATALOG,
            PN_CATALOG_PATH: blueprint.catalog_path,
            "cq:proxyPages": blueprint.proxy_pages,
        }
        if rollout_configs:
            props["cq:rolloutConfigs"] = list(rollout_configs)
        await self._write_site(site, props, blueprint.sections)
        await self.rollout_changes(site)
        return site

    async def _write_site(
        self, site: str, props: dict[str, Any], sections: Sequence[SectionBlueprint]
    ) -> None:
        existing: list[Node] = []
        if await self.session.exists(site):
            existing = _flatten(await self.session.subtree(site, 2))
        plan = TreePlan(existing)
        plan.put(site, CQ_PAGE, {}, exclusive=False)
        content = P.join(site, "jcr:content")
        plan.put(content, CQ_PAGE_CONTENT, props, exclusive=False)
        if sections:
            holder = P.join(content, "sections")
            plan.put(holder, NT_UNSTRUCTURED, {}, exclusive=True)
            for section in sections:
                plan.put(
                    P.join(holder, section.name),
                    NT_UNSTRUCTURED,
                    {
                        "jcr:title": section.title,
                        "tags": list(section.tags) or None,
                        "keywords": list(section.keywords) or None,
                        "proxy": section.proxy,
                    },
                    exclusive=True,
                )
            plan.prune(holder)
        for op in plan.end().ops:
            self.session.queue(op)
        await self.session.save()

    async def blueprint_of(self, site: str) -> CatalogBlueprint:
        """The blueprint stored on a site's `jcr:content`; NodeNotFound if it is not a site."""
        content = await self.session.get_node(P.join(site, "jcr:content"))
        catalog = _string(content, PN_CATALOG_PATH)
        if content is None or catalog is None:
            raise NodeNotFound(f"{site} is not a catalog site", path=site)
        sections = []
        holder = P.join(content.path, "sections")
        if await self.session.exists(holder):
            for node in await self.session.children(holder):
                proxy = node.properties.get("proxy")
                sections.append(
                    SectionBlueprint(
                        node.name,
                        _string(node, "jcr:title") or node.name,
                        tuple(_strings(node, "tags")),
                        tuple(_strings(node, "keywords")),
                        bool(proxy.values[0]) if proxy is not None else False,
                    )
                )
        proxy_pages = content.properties.get("cq:proxyPages")
        return CatalogBlueprint(
            catalog,
            tuple(sections),
            bool(proxy_pages.values[0]) if proxy_pages is not None else False,
        )

    async def target_paths(self, catalog_path: str) -> list[str]:
        """The sites (pages under /content, one level deep) generated from `catalog_path`."""
        out: list[str] = []
        if not await self.session.exists("/content"):
            return out
        for node in await self.session.children("/content"):
            content = await self.session.get_node(P.join(node.path, "jcr:content"))
            if _string(content, PN_CATALOG_PATH) == catalog_path:
                out.append(node.path)
        return out

    async def rollout_changes(
        self, master: str, target: str | None = None, *, reset: bool = False
    ) -> RolloutResult:
        """Bring the site `target` (default: `master`, the site holding the blueprint) in line
        with its catalog. Saves once; writes nothing when nothing changed."""
        site = target or master
        blueprint = await self.blueprint_of(master)
        data = _Data(_flatten(await self.session.subtree(blueprint.catalog_path, None)))
        existing = _flatten(await self.session.subtree(site, None))
        plan = TreePlan(existing)
        result = RolloutResult(site)
        root = data.nodes[blueprint.catalog_path]
        content = P.join(site, "jcr:content")
        site_props: dict[str, Any] = {"jcr:title": _string(root, "jcr:title") or root.name}
        provider = _string(root, C.PN_COMMERCE_PROVIDER)
        if provider:
            site_props[C.PN_COMMERCE_PROVIDER] = provider
        wanted: set[str] = {site}
        touched_pages: list[tuple[str, str, str | None]] = []  # (page, kind, product)
        plan.begin()
        plan.put(content, CQ_PAGE_CONTENT, site_props, exclusive=False)
        if plan.group.ops:
            touched_pages.append((site, "catalog", None))
        if blueprint.sections:
            for section in blueprint.sections:
                page = P.join(site, section.name)
                self._section_page(plan, page, section.title, None, wanted, touched_pages)
                for product in self._products(data, blueprint.catalog_path):
                    if section.selects(product):
                        self._product_page(
                            plan, data, page, product, section.proxy, reset, wanted, touched_pages
                        )
        else:
            self._mirror(
                plan, data, blueprint, blueprint.catalog_path, site, reset, wanted, touched_pages
            )
        for node in existing:
            if node.primary_type == CQ_PAGE and node.path not in wanted:
                generated = plan.current(P.join(node.path, "jcr:content"))
                if _string(generated, PN_CATALOG_ITEM) and plan.current(node.path) is not None:
                    plan.remove(node.path)
                    result.removed.append(node.path)
        group = plan.end()
        for page, _kind, _ in touched_pages:
            (result.created if page in group.added else result.updated).append(page)
        for op in group.ops:
            self.session.queue(op)
        if group.ops:
            await self.session.save()
        await self._run_hooks(touched_pages)
        return result

    def _products(self, data: _Data, path: str) -> list[Node]:
        out = []
        for child in data.children(path):
            kind = data.kind(child)
            if kind == C.TYPE_PRODUCT:
                out.append(child)
            elif kind is None:
                out.extend(self._products(data, child.path))
        return out

    def _mirror(
        self,
        plan: TreePlan,
        data: _Data,
        blueprint: CatalogBlueprint,
        folder: str,
        page: str,
        reset: bool,
        wanted: set[str],
        touched: list[tuple[str, str, str | None]],
    ) -> None:
        for child in data.children(folder):
            kind = data.kind(child)
            if kind == C.TYPE_PRODUCT:
                self._product_page(
                    plan, data, page, child, blueprint.proxy_pages, reset, wanted, touched
                )
            elif kind is None and child.primary_type in ("sling:Folder", "sling:OrderedFolder"):
                sub = P.join(page, page_name(child.name))
                title = _string(child, "jcr:title") or child.name
                self._section_page(plan, sub, title, child.path, wanted, touched)
                self._mirror(plan, data, blueprint, child.path, sub, reset, wanted, touched)

    def _section_page(
        self,
        plan: TreePlan,
        page: str,
        title: str,
        item: str | None,
        wanted: set[str],
        touched: list[tuple[str, str, str | None]],
    ) -> None:
        wanted.add(page)
        before = len(plan.group.ops)
        plan.put(page, CQ_PAGE, {}, exclusive=False)
        plan.put(
            P.join(page, "jcr:content"),
            CQ_PAGE_CONTENT,
            {
                "jcr:title": title,
                C.PN_COMMERCE_TYPE: C.TYPE_SECTION,
                "sling:resourceType": RT_SECTION_PAGE,
                PN_CATALOG_ITEM: item or page,
            },
            exclusive=False,
        )
        if len(plan.group.ops) > before:
            touched.append((page, "section", None))

    def _product_page(
        self,
        plan: TreePlan,
        data: _Data,
        parent: str,
        product: Node,
        proxy: bool,
        reset: bool,
        wanted: set[str],
        touched: list[tuple[str, str, str | None]],
    ) -> None:
        page = P.join(parent, page_name(product.name))
        wanted.add(page)
        before = len(plan.group.ops)
        plan.put(page, CQ_PAGE, {}, exclusive=False)
        content = P.join(page, "jcr:content")
        props: dict[str, Any] = {
            "jcr:title": _string(product, "jcr:title") or product.name,
            PN_CATALOG_ITEM: product.path,
            "sling:resourceType": RT_PROXY_PAGE if proxy else RT_PRODUCT_PAGE,
        }
        tags = _strings(product, "cq:tags")
        if tags:
            props["cq:tags"] = tags
        if proxy:
            props[C.PN_PRODUCT_DATA] = product.path
        plan.put(content, CQ_PAGE_CONTENT, props, exclusive=False)
        if not proxy:
            image = data.nodes.get(P.join(product.path, C.NN_IMAGE))
            reference = _string(image, C.PN_FILE_REFERENCE)
            if reference:
                plan.put(
                    P.join(content, C.NN_IMAGE),
                    NT_UNSTRUCTURED,
                    {C.PN_FILE_REFERENCE: reference},
                    exclusive=False,
                )
            par = P.join(content, "par")
            plan.put(par, NT_UNSTRUCTURED, {"sling:resourceType": RT_PARSYS}, exclusive=False)
            self._reference(plan, data, P.join(par, "product"), product, reset)
        if len(plan.group.ops) > before:
            touched.append((page, "product", product.path))

    def _reference(self, plan: TreePlan, data: _Data, path: str, item: Node, reset: bool) -> None:
        """`update_product` for one reference: mirror the data's variants, keep local values."""
        props: dict[str, Any] = {
            C.PN_PRODUCT_DATA: item.path,
            C.PN_COMMERCE_TYPE: data.kind(item) or C.TYPE_PRODUCT,
            "sling:resourceType": C.RT_PRODUCT,
        }
        existing = plan.current(path)
        if reset and existing is not None:
            for name in existing.properties:
                if name not in props and not name.startswith("jcr:"):
                    props[name] = None
        plan.put(path, NT_UNSTRUCTURED, _without_none(props, existing), exclusive=False)
        names = set()
        for child in data.children(item.path):
            if data.kind(child) == C.TYPE_VARIANT:
                names.add(child.name)
                self._reference(plan, data, P.join(path, child.name), child, reset)
        for ref in plan.children(path):
            if ref.name not in names and C.PN_PRODUCT_DATA in ref.properties:
                plan.remove(ref.path)  # its PIM variant is gone

    async def update_product(self, product_component: str) -> bool:
        """Sync one product reference (and its variant references) with its PIM data; returns
        whether anything changed."""
        node = await self.session.node(product_component)
        data_path = _string(node, C.PN_PRODUCT_DATA)
        if data_path is None:
            raise NodeNotFound(f"{product_component} holds no productData", path=product_component)
        data = _Data(_flatten(await self.session.subtree(data_path, None)))
        plan = TreePlan(_flatten(await self.session.subtree(product_component, None)))
        plan.begin()
        self._reference(plan, data, product_component, data.nodes[data_path], False)
        group = plan.end()
        for op in group.ops:
            self.session.queue(op)
        if group.ops:
            await self.session.save()
        return bool(group.ops)

    async def _run_hooks(self, touched: Sequence[tuple[str, str, str | None]]) -> None:
        if not self.hooks or not touched:
            return
        bumped = False
        for page, kind, product in touched:
            changed = False
            for hook in self.hooks:
                if kind == "catalog":
                    changed |= await hook.catalog_rollout_hook(self.session, page)
                elif kind == "section":
                    changed |= await hook.section_rollout_hook(self.session, page)
                elif product is not None:
                    changed |= await hook.product_rollout_hook(self.session, page, product)
            if changed:
                await self.session.set_property(
                    P.join(page, "jcr:content"), "cq:lastModified", datetime.now(UTC)
                )
                bumped = True
        if bumped:
            await self.session.save()


def _without_none(props: Mapping[str, Any], existing: Node | None) -> dict[str, Any]:
    """Props to put; a None value removes a local override (reset) only where one exists."""
    out: dict[str, Any] = {}
    for name, value in props.items():
        if value is None:
            if existing is not None and name in existing.properties:
                out[name] = None
        else:
            out[name] = value
    return out


async def rollout_catalog(
    session: ContentSession, catalog_path: str, hooks: Sequence[RolloutHooks] = ()
) -> list[RolloutResult]:
    """Roll `catalog_path` out to every site generated from it (after an import)."""
    generator = CatalogGenerator(session, hooks)
    return [await generator.rollout_changes(s) for s in await generator.target_paths(catalog_path)]


__all__ = [
    "CatalogBlueprint",
    "CatalogGenerator",
    "RolloutHooks",
    "RolloutResult",
    "SectionBlueprint",
    "make_property",
    "rollout_catalog",
]
