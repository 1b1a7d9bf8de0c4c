"""Catalog versions Staged and Online, and the activation rules of issue 6 (examples.md, last
section): the replication preprocessor that enforces them, the sync/unsync that move products
in and out of Online, and the listener that follows product data taken off publish directly.
Replication itself (agents, queues, the receiver) is `repo_server.replication`'s.

The model:

- **Staged** is the product data as it is, under `products_root` (`/etc/commerce/products`):
  authors and importers edit it in place.
- **Online** is, on author, a copy kept at `online_root` + the data's own path
  (`/var/commerce/catalog-versions/Online/etc/commerce/products/shirt`), written by
  `CatalogVersions.sync` one base product (with its variants) at a time and removed by
  `unsync`. A sync activates the data right after copying it, so publish holds the same Online
  data at the data's own paths, where its pages' `productData` point; a later edit reaches
  publish only with the next sync. Publish has no Staged version at all.
- **Rules** (`activation_refusals`): the content an activation ships (the node and its subtree
  without child pages) references a product when a property value is the path of a product
  data node; a *product page* holds a product reference (`productData`). Every product
  referenced must be Online, or the activation is refused with one reason per page and
  product. Product data itself is refused too: it reaches publish through a sync only, since an
  activation would ship Staged data. Deactivation is always allowed.
- **Following**: a product entering Online activates its product pages (a sync reports which
  were activated and which refused, with reasons); a product leaving Online deactivates them,
  pages first so publish never serves a page without its data.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from commerce import constants as C
from commerce.errors import CatalogSyncDisabledError, NotProductDataError
from commerce.repo import Node, RepoSession
from repo_server.errors import InvalidInput
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.node import Node as RepoNode
from repo_server.model.values import Property
from repo_server.query import engine
from repo_server.query.model import Group, PathPredicate, PropertyPredicate, Query
from repo_server.replication import (
    ActivationRejected,
    RejectionReason,
    ReplicationAction,
    ReplicationActionType,
    ReplicationEvent,
    ReplicationOptions,
    replication_of,
)
from repo_server.replication.replicator import QueuedEntry, Replicator
from repo_server.session.session import AccessPolicy, AllowAll, ContentSession, Repository
from repo_server.store.base import StoreReader

log = logging.getLogger(__name__)

STAGED: Final = "Staged"
ONLINE: Final = "Online"
CATALOG_VERSIONS: Final = (STAGED, ONLINE)
ONLINE_ROOT: Final = "/var/commerce/catalog-versions/Online"
BACKUP_ROOT: Final = "/var/commerce/catalog-versions/sync-backup"
FOLDER: Final = "sling:Folder"
ACTIVATE: Final = ReplicationActionType.ACTIVATE
DEACTIVATE: Final = ReplicationActionType.DEACTIVATE
_PROTECTED: Final = frozenset(
    {N.JCR_PRIMARY_TYPE, N.JCR_MIXIN_TYPES, N.JCR_UUID, N.JCR_CREATED, N.JCR_CREATED_BY}
)
_PRODUCT_TYPES: Final = frozenset({C.TYPE_PRODUCT, C.TYPE_VARIANT})
# Product pages are found by query; a catalog of 10,000 pages reads well under this.
_READ_LIMIT: Final = 10_000_000

# Set by `sync` around its own activation of the data it just copied to Online: the only
# activation of product data the rules let through. `_unsyncing` marks the deactivations an
# unsync queues itself, so the listener does not follow them a second time.
_syncing: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "commerce_syncing", default=frozenset()
)
_unsyncing: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "commerce_unsyncing", default=False
)


def parse_catalog_version(raw: str | None) -> str | None:
    """`Staged` or `Online` (any case), None when absent; ValueError for anything else."""
    if raw is None or not raw.strip():
        return None
    for version in CATALOG_VERSIONS:
        if raw.strip().lower() == version.lower():
            return version
    raise ValueError(raw)


@dataclass(frozen=True, slots=True)
class CatalogLayout:
    """Where the Staged data, its Online copy and the pages live."""

    products_root: str = "/etc/commerce/products"
    content_root: str = "/content"
    online_root: str = ONLINE_ROOT

    def is_data(self, path: str) -> bool:
        """`path` is the products root or below it (Staged product data)."""
        return P.is_same_or_descendant(path, self.products_root)

    def ships_data(self, path: str) -> bool:
        """Activating `path` would ship product data (it is data, or holds the root)."""
        return self.is_data(path) or P.is_same_or_descendant(self.products_root, path)

    def online_path(self, path: str) -> str:
        return self.online_root + path

    def staged_path(self, online_path: str) -> str | None:
        """The data path an Online copy stands for; None outside the Online copy."""
        if not P.is_same_or_descendant(online_path, self.online_root):
            return None
        rest = online_path[len(self.online_root) :]
        return rest if rest and self.is_data(rest) else None


def _type_of(node: RepoNode | Node | None) -> str | None:
    if node is None:
        return None
    raw = node.raw if isinstance(node, Node) else node
    prop = raw.properties.get(C.PN_COMMERCE_TYPE)
    return str(prop.values[0]) if prop is not None and prop.values else None


def is_product_node(node: RepoNode | Node | None) -> bool:
    return _type_of(node) in _PRODUCT_TYPES


# --- the Online view -------------------------------------------------------------------------
class OnlineRepoSession(RepoSession):
    """A read-only `RepoSession` in which the product data is the Online version.

    Reads of paths under the products root go to the Online copy, and the nodes come back
    under their data paths, so the product loader, provider resolution and `.product.json`
    work unchanged and report the paths publish serves.
    """

    def __init__(self, session: ContentSession, layout: CatalogLayout) -> None:
        super().__init__(session)
        self.layout = layout

    def _store_path(self, path: str) -> str:
        return self.layout.online_path(path) if self.layout.is_data(path) else path

    def _view(self, raw: RepoNode) -> RepoNode:
        staged = self.layout.staged_path(raw.path)
        return raw if staged is None else replace(raw, path=staged)

    async def get(self, path: str) -> Node | None:
        path = P.normalize(path)
        if not self.is_known(path):
            raw = await self.content.get_node(self._store_path(path))
            self._known[path] = None if raw is None else Node(self, self._view(raw))
        return self._known[path]

    async def _read_many(self, paths: Sequence[str]) -> dict[str, RepoNode]:
        wanted = {self._store_path(p): p for p in paths}
        found = await super()._read_many(list(wanted))
        return {wanted[s]: self._view(raw) for s, raw in found.items()}

    async def subtree(self, path: str) -> Node | None:
        path = P.normalize(path)
        if path in self._kids:
            return self._known.get(path)
        top = await self.get(path)
        if top is None:
            return None
        tree = await self.content.subtree(self._store_path(path), None)
        stack = [tree]
        while stack:
            holder = stack.pop()
            node = self._view(holder.node)
            if self._known.get(node.path) is None:
                self._known[node.path] = Node(self, node)
            self._kids[node.path] = tuple(self._view(c.node).path for c in holder.children)
            stack.extend(holder.children)
        return self._known[path]

    async def children(self, path: str) -> list[Node]:
        path = P.normalize(path)
        cached = self.cached_children(path)
        if cached is not None:
            return cached
        found = [
            Node(self, self._view(raw))
            for raw in await self.content.children(self._store_path(path))
        ]
        for node in found:
            self._known[node.path] = node
        self._kids[path] = tuple(n.path for n in found)
        return found

    async def create(
        self, path: str, primary_type: str | None = None, props: Any = None
    ) -> Node:  # pragma: no cover - guarded API
        raise TypeError("the Online catalog version is read-only")

    async def update(self, path: str, props: Any) -> None:  # pragma: no cover - guarded API
        raise TypeError("the Online catalog version is read-only")

    async def delete(self, path: str) -> None:  # pragma: no cover - guarded API
        raise TypeError("the Online catalog version is read-only")


# --- references and the rules ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Reference:
    """Content shipped with `path` names `product` (from `holder`; `productData` or not)."""

    path: str
    holder: str
    product: str
    is_product_reference: bool


def _candidates(prop: Property, layout: CatalogLayout) -> Iterable[str]:
    for value in prop.values:
        if not isinstance(value, str) or not value.startswith(layout.products_root + "/"):
            continue
        try:
            yield P.normalize(value)
        except InvalidInput:  # a value that only looks like a path
            continue


def references_of(path: str, nodes: Iterable[RepoNode], layout: CatalogLayout) -> list[Reference]:
    """The product data paths named by `nodes` (the content shipped with `path`)."""
    out: list[Reference] = []
    for node in nodes:
        for name, prop in node.properties.items():
            for target in _candidates(prop, layout):
                out.append(Reference(path, node.path, target, name == C.PN_PRODUCT_DATA))
    return out


def shipped(path: str, tree: dict[str, list[RepoNode]], top: RepoNode) -> list[RepoNode]:
    """`top` and its subtree without child pages: what an activation of `path` ships."""
    out = [top]
    stack = list(tree.get(path, ()))
    while stack:
        node = stack.pop()
        if node.primary_type == N.CQ_PAGE:
            continue
        out.append(node)
        stack.extend(tree.get(node.path, ()))
    return out


async def read_shipped(session: ContentSession, paths: Sequence[str]) -> dict[str, list[RepoNode]]:
    """What activating each of `paths` ships, in one store read for all of them (each topmost
    path's subtree once: a deep activation's child pages come with their ancestor's read)."""
    wanted = set(paths)
    tops = list(dict.fromkeys(p for p in paths if not any(a in wanted for a in P.ancestors(p))))
    kids: dict[str, list[RepoNode]] = {}
    nodes: dict[str, RepoNode] = {}
    if session.has_pending_changes:  # transient changes: read through the session
        for top in tops:
            tree = await session.subtree(top, None)
            stack = [tree]
            while stack:
                holder = stack.pop()
                nodes[holder.node.path] = holder.node
                kids[holder.node.path] = [c.node for c in holder.children]
                stack.extend(holder.children)
        return {p: shipped(p, kids, nodes[p]) for p in paths if p in nodes}

    def run(reader: StoreReader) -> list[tuple[RepoNode, list[RepoNode]]]:
        roots = reader.nodes(tops)
        return [(roots[t], reader.descendants(t)) for t in tops if t in roots]

    readable = session.access.can_read
    for root, below in await session.store.read(run):
        if not readable(root.path):
            continue
        nodes[root.path] = root
        for node in below:  # grouped by parent, in child order
            if readable(node.path):
                nodes[node.path] = node
                kids.setdefault(node.parent_path, []).append(node)
    return {p: shipped(p, kids, nodes[p]) for p in paths if p in nodes}


async def online_among(
    session: ContentSession, products: Iterable[str], layout: CatalogLayout
) -> set[str]:
    """Which of the product data paths `products` are in the Online version (one query)."""
    wanted = list(dict.fromkeys(products))
    if not wanted:
        return set()
    found = await RepoSession(session).nodes([layout.online_path(p) for p in wanted])
    return {p for p in wanted if layout.online_path(p) in found}


def _reason(ref: Reference, product_page: bool) -> RejectionReason:
    if product_page and ref.is_product_reference:
        text = f"product page: its product {ref.product} is not in the Online catalog version"
    else:
        text = f"references the product {ref.product}, which is not in the Online catalog version"
    return {"path": ref.path, "product": ref.product, "reason": text}


async def activation_refusals(
    session: ContentSession,
    paths: Sequence[str],
    layout: CatalogLayout,
    allowed: frozenset[str] = frozenset(),
) -> list[RejectionReason]:
    """Why activating `paths` breaks the rules (empty: it does not); `allowed` are data paths
    a sync is activating. `session` reads as the system."""
    reasons: list[RejectionReason] = []
    content: list[str] = []
    for path in paths:
        if layout.ships_data(path) and path not in allowed:
            reasons.append(
                {
                    "path": path,
                    "product": path if layout.is_data(path) else None,
                    "reason": "product data reaches publish only through its catalog version: "
                    "POST :operation=commerce:sync to put it into the Online version",
                }
            )
        elif not layout.ships_data(path):
            content.append(path)
    if not content:
        return reasons
    refs = [
        ref
        for path, nodes in (await read_shipped(session, content)).items()
        for ref in references_of(path, nodes, layout)
    ]
    if not refs:
        return reasons
    targets = list(dict.fromkeys(r.product for r in refs))
    staged = await RepoSession(session).nodes(targets)
    online = await online_among(session, targets, layout)
    # A value names a product when it is the path of product-typed data (Staged), or of data
    # still Online (deleted from Staged since).
    products = {t for t in targets if t in online or is_product_node(staged.get(t))}
    product_pages = {r.path for r in refs if r.is_product_reference and r.product in products}
    seen: set[tuple[str, str]] = set()
    for ref in refs:
        if ref.product not in products or ref.product in online:
            continue
        if (ref.path, ref.product) in seen:
            continue
        seen.add((ref.path, ref.product))
        reasons.append(_reason(ref, ref.path in product_pages))
    return reasons


class ActivationRules:
    """The `ReplicationPreprocessor` of the commerce rules: refuses an activation whose content
    references a product not in the Online catalog version, and direct activation of product
    data (see the module docstring). Deactivations always pass."""

    def __init__(self, layout: CatalogLayout) -> None:
        self.layout = layout

    async def preprocess(self, action: ReplicationAction, options: ReplicationOptions) -> None:
        del options
        if action.type is not ACTIVATE:
            return
        reasons = await activation_refusals(
            action.session, action.paths, self.layout, _syncing.get()
        )
        if reasons:
            pages = ", ".join(dict.fromkeys(r["path"] for r in reasons))
            raise ActivationRejected(
                f"activation refused by the catalog version rules: {pages}", reasons=reasons
            )


# --- sync and unsync -------------------------------------------------------------------------
@dataclass(slots=True)
class VersionReport:
    """What a sync or unsync did (the JSON answer of `commerce:sync` / `commerce:unsync`)."""

    operation: str
    path: str
    products: list[str] = field(default_factory=list)
    entered: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    activated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    refused: list[RejectionReason] = field(default_factory=list)
    queued: list[QueuedEntry] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": 200,
            "operation": self.operation,
            "path": self.path,
            "catalogVersion": ONLINE,
            "products": self.products,
            "entered": self.entered,
            "left": self.left,
            "activated": self.activated,
            "deactivated": self.deactivated,
            "refused": list(self.refused),
            "queued": [
                {"agent": q.agent, "id": q.id, "action": q.action, "path": q.path}
                for q in self.queued
            ],
        }


class CatalogVersions:
    """Sync and unsync of one author repository (see the module docstring).

    Syncs and unsyncs run one at a time (a lock), since each replaces Online copies.
    """

    def __init__(self, repository: Repository, layout: CatalogLayout, role: str) -> None:
        self.repository = repository
        self.layout = layout
        self.role = role
        self._lock = asyncio.Lock()

    @property
    def replicator(self) -> Replicator:
        return replication_of(self.repository).replicator

    def _require_author(self) -> None:
        if self.role != "author":
            raise CatalogSyncDisabledError(
                "catalog versions change on author; a publish instance receives the Online "
                "version by replication",
                role=self.role,
            )

    def _require_data(self, path: str) -> None:
        if not self.layout.is_data(path):
            raise NotProductDataError(
                f"{path} is not product data (below {self.layout.products_root})",
                path=path,
                productsRoot=self.layout.products_root,
            )

    # --- reading ---------------------------------------------------------------------------
    async def families(self, session: ContentSession, path: str) -> list[str]:
        """The base products a sync of `path` puts Online: the family of a product or variant,
        or every base product below a catalog, section or folder."""
        node = await session.node(path)
        if is_product_node(node):
            base = node
            while _type_of(base) == C.TYPE_VARIANT and base.path != self.layout.products_root:
                parent = await session.get_node(base.parent_path)
                if not is_product_node(parent) or parent is None:
                    break
                base = parent
            return [base.path]
        return await self._bases_below(session, path)

    async def _bases_below(self, session: ContentSession, path: str) -> list[str]:
        query = Query(
            Group(
                (
                    PathPredicate(path),
                    PropertyPredicate(C.PN_COMMERCE_TYPE, "equals", (C.TYPE_PRODUCT,)),
                )
            ),
            limit=None,
        )
        hits = (
            await engine.execute(session, query, engine.QueryOptions(read_limit=_READ_LIMIT))
        ).nodes
        found = sorted(h.path for h in hits)
        out: list[str] = []
        for hit in found:
            if not out or not P.is_same_or_descendant(hit, out[-1]):
                out.append(hit)
        return out

    async def online_families(self, session: ContentSession, path: str) -> list[str]:
        """The base products at or below `path` that are Online."""
        online = self.layout.online_path(path)
        node = await session.get_node(online)
        if node is None:
            # A variant's path: the family is Online when its base is.
            for ancestor in P.ancestors(path):
                if not self.layout.is_data(ancestor):
                    break
                found = await session.get_node(self.layout.online_path(ancestor))
                if _type_of(found) == C.TYPE_PRODUCT:
                    return [ancestor]
            return []
        if is_product_node(node):
            families = await self.families(session, online)
        else:
            families = await self._bases_below(session, online)
        return [s for f in families if (s := self.layout.staged_path(f)) is not None]

    async def product_pages(
        self, session: ContentSession, products: Iterable[str]
    ) -> dict[str, set[str]]:
        """Pages under the content root holding a product reference to one of `products` or
        anything below them (variants), with the products each page refers to."""
        wanted = set(products)
        if not wanted:
            return {}
        root = self.layout.products_root
        query = Query(
            Group(
                (
                    PathPredicate(self.layout.content_root),
                    PropertyPredicate(C.PN_PRODUCT_DATA, "like", (root + "/%",)),
                )
            ),
            limit=None,
        )
        hits = (
            await engine.execute(session, query, engine.QueryOptions(read_limit=_READ_LIMIT))
        ).nodes
        pages: dict[str, set[str]] = {}
        for hit in hits:
            page = _page_of(hit.path)
            prop = hit.properties.get(C.PN_PRODUCT_DATA)
            if page is None or prop is None:
                continue
            for value in prop.values:
                if not isinstance(value, str):
                    continue
                for candidate in (value, *P.ancestors(value)) if value.startswith("/") else ():
                    if candidate in wanted:
                        pages.setdefault(page, set()).add(candidate)
                        break
        return dict(sorted(pages.items()))

    # --- writing the Online copy -----------------------------------------------------------
    async def _ensure_online_parents(self, session: ContentSession, path: str) -> None:
        """The Online copy's ancestors of `path`: folders above the copy of the products root,
        copies of the Staged ancestors (type, mixins, properties) from there down."""
        target = self.layout.online_path(path)
        for ancestor in reversed(P.ancestors(target)):
            if await session.exists(ancestor):
                continue
            staged = self.layout.staged_path(ancestor)
            source = await session.get_node(staged) if staged is not None else None
            if source is None:
                await session.add_node(ancestor, FOLDER)
                continue
            await session.add_node(
                ancestor,
                source.primary_type,
                mixins=source.mixins,
                properties={k: v for k, v in source.properties.items() if k not in _PROTECTED},
            )

    async def _replace_online(
        self, session: ContentSession, families: Sequence[str]
    ) -> tuple[str, list[tuple[str, str]]]:
        """Copy the Staged families to Online, moving the copies they replace to a backup
        folder (restored if the activation fails). Returns the backup folder and moves."""
        backup = P.join(BACKUP_ROOT, secrets.token_hex(8))
        moved: list[tuple[str, str]] = []
        for index, family in enumerate(families):
            online = self.layout.online_path(family)
            if await session.exists(online):
                if not moved:
                    await self._ensure_folders(session, backup)
                kept = P.join(backup, str(index))
                await session.move(online, kept)
                moved.append((online, kept))
            await self._ensure_online_parents(session, family)
            await session.copy(family, online)
        await session.save()
        return backup, moved

    async def _ensure_folders(self, session: ContentSession, path: str) -> None:
        for folder in [*reversed(P.ancestors(path)), path]:
            if not await session.exists(folder):
                await session.add_node(folder, FOLDER)

    async def _restore_online(
        self,
        session: ContentSession,
        families: Sequence[str],
        backup: str,
        moved: list[tuple[str, str]],
    ) -> None:
        await session.refresh()
        for family in families:
            online = self.layout.online_path(family)
            if await session.exists(online):
                await session.remove(online)
        for online, kept in moved:
            await session.move(kept, online)
        if moved:
            await session.remove(backup)
        await session.save()

    # --- sync ------------------------------------------------------------------------------
    async def sync(
        self, user_id: str, path: str, access: AccessPolicy | None = None
    ) -> VersionReport:
        """Put the product(s) at `path` into Online with their current Staged data, ship that
        data to publish and activate the product pages of the products that entered Online.

        All checks run before anything is written: NodeNotFound, NotProductDataError,
        CatalogSyncDisabledError (publish), ReplicationPermissionError (on the data or the
        pages), NoReplicationAgent. A page the rules refuse for another reason is reported in
        `refused` and stays unactivated.
        """
        self._require_author()
        access = access or AllowAll()
        path = P.normalize(path)
        user = self.repository.session(user_id, access)
        await user.node(path)
        self._require_data(path)
        async with self._lock:
            system = self.repository.session(user_id)
            report = VersionReport("commerce:sync", path)
            families = await self.families(system, path)
            report.products = families
            if not families:
                return report
            online_before = await online_among(system, families, self.layout)
            report.entered = [f for f in families if f not in online_before]
            pages = list(await self.product_pages(system, report.entered))
            replicator = self.replicator
            await replicator.check_permissions(user, access, [*families, *pages])
            await replicator.select_agents()
            backup, moved = await self._replace_online(system, families)
            token = _syncing.set(frozenset(families))
            try:
                report.queued = await replicator.replicate(
                    user_id, ACTIVATE, families, access=access
                )
            except BaseException:
                await self._restore_online(system, families, backup, moved)
                raise
            finally:
                _syncing.reset(token)
            if moved:
                await system.remove(backup)
                await system.save()
            await self._activate_pages(user_id, access, pages, report)
            return report

    async def _activate_pages(
        self, user_id: str, access: AccessPolicy, pages: list[str], report: VersionReport
    ) -> None:
        if not pages:
            return
        system = self.repository.session(user_id)
        refusals = await activation_refusals(system, pages, self.layout)
        refused = {r["path"] for r in refusals}
        report.refused.extend(refusals)
        ready = [p for p in pages if p not in refused]
        while ready:
            try:
                report.queued += await self.replicator.replicate(
                    user_id, ACTIVATE, ready, access=access
                )
            except ActivationRejected as exc:
                # Another plugin's preprocessor: keep its reasons, retry without those pages.
                reasons: list[RejectionReason] = list(exc.details.get("reasons", []))
                named = {r["path"] for r in reasons}
                report.refused.extend(reasons)
                if not named & set(ready):
                    report.refused.extend(
                        {"path": p, "product": None, "reason": exc.message} for p in ready
                    )
                    return
                ready = [p for p in ready if p not in named]
                continue
            report.activated = ready
            return

    # --- unsync ----------------------------------------------------------------------------
    async def unsync(
        self, user_id: str, path: str, access: AccessPolicy | None = None
    ) -> VersionReport:
        """Take the product(s) at `path` out of Online: deactivate their activated product
        pages, drop the Online copy, and remove the data from publish.

        Raises as `sync`; a path with nothing Online is a no-op (empty report).
        """
        self._require_author()
        access = access or AllowAll()
        path = P.normalize(path)
        user = self.repository.session(user_id, access)
        await user.node(path)
        self._require_data(path)
        async with self._lock:
            system = self.repository.session(user_id)
            report = VersionReport("commerce:unsync", path)
            families = [
                f for f in await self.online_families(system, path) if await system.exists(f)
            ]
            report.products = report.left = families
            if not families:
                return report
            pages = await self._activated(list(await self.product_pages(system, families)))
            replicator = self.replicator
            await replicator.check_permissions(user, access, [*families, *pages])
            await replicator.select_agents()
            token = _unsyncing.set(True)
            try:
                if pages:
                    report.queued += await replicator.replicate(
                        user_id, DEACTIVATE, pages, access=access
                    )
                    report.deactivated = pages
                await self._drop_online(system, families)
                report.queued += await replicator.replicate(
                    user_id, DEACTIVATE, families, access=access
                )
            finally:
                _unsyncing.reset(token)
            return report

    async def _activated(self, pages: Sequence[str]) -> list[str]:
        out = []
        for page in pages:
            status = await self.replicator.replication_status(page)
            if status is not None and status.is_activated:
                out.append(page)
        return out

    async def _drop_online(self, session: ContentSession, paths: Iterable[str]) -> None:
        for path in paths:
            online = self.layout.online_path(path)
            if await session.exists(online):
                await session.remove(online)
        await session.save()

    # --- following data taken off publish directly -----------------------------------------
    async def follow_removal(self, user_id: str, paths: Sequence[str]) -> list[str]:
        """Product data was deactivated with /bin/replicate.json: it leaves Online (its copy is
        dropped) and the activated product pages referring into it are deactivated. Returns
        the pages deactivated."""
        async with self._lock:
            system = self.repository.session(user_id)
            data = [p if self.layout.is_data(p) else self.layout.products_root for p in paths]
            pages = await self._activated(list(await self.product_pages(system, data)))
            await self._drop_online(system, data)
            if pages:
                token = _unsyncing.set(True)
                try:
                    await self.replicator.replicate(user_id, DEACTIVATE, pages)
                finally:
                    _unsyncing.reset(token)
            return pages


def _page_of(path: str) -> str | None:
    marker = "/" + N.JCR_CONTENT
    index = path.find(marker + "/")
    if index < 0:
        return path[: -len(marker)] if path.endswith(marker) else None
    return path[:index] or None


class OnlineFollower:
    """The `ReplicationListener` that follows product data deactivated directly (not through
    `commerce:unsync`): the data leaves Online and its product pages are deactivated.

    Bound to its instance's `CatalogVersions` when the app starts; events before that, and on
    publish, are ignored.
    """

    def __init__(self, layout: CatalogLayout) -> None:
        self.layout = layout
        self.versions: CatalogVersions | None = None

    async def on_event(self, event: ReplicationEvent) -> None:
        versions = self.versions
        if versions is None or versions.role != "author" or event.kind != "queued":
            return
        if not event.type.removes or _unsyncing.get():
            return
        data = [p for p in event.paths if self.layout.ships_data(p)]
        if data:
            pages = await versions.follow_removal(event.user_id, data)
            if pages:
                log.info("product data %s left Online: deactivated %s", data, pages)
