"""The catalog importer: parse -> plan -> apply, in batched saves that can be resumed.

- **parse** (`feed.py`): the whole feed is checked before anything is written; a bad feed is
  refused as a whole (`invalid-feed`), or with `skip_invalid` its bad items are left out.
- **plan**: the ranked `ImportHandler` states the nodes it wants; the `TreePlan` keeps only the
  operations that change something, grouped per product (the product, its variants, its image).
- **apply**: groups are queued into the session and saved about every `save_batch_size`
  operations; a group is never split, so no save leaves a half-written product. Each save also
  records the progress on `/var/commerce/imports/<catalog>` (in the same commit), so a run that
  fails half-way is resumed after the last saved product by the next run of the same feed.

An unchanged feed plans no operation and writes nothing: not even the progress node, so the
repository's revision does not move.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from commerce import constants as C
from commerce.errors import ImporterError, ImportInProgressError, InvalidImportRequestError
from commerce.importer.feed import Feed, FeedFormat, FeedProduct, FeedVariant, parse_feed
from commerce.importer.handler import (
    SLING_FOLDER,
    DefaultImportHandler,
    Group,
    ImporterContext,
    ImportHandler,
    TreePlan,
)
from repo_server.errors import AccessDenied, RepoError
from repo_server.loader import gc_paused
from repo_server.model import path as P
from repo_server.model.names import is_valid_name
from repo_server.model.node import Node
from repo_server.model.values import make_property
from repo_server.services import ServiceRegistry
from repo_server.session.operations import AddNode, ImportTree, Operation, Remove, SetProperty
from repo_server.session.session import AllowAll, ContentSession, NodeTree

PRODUCTS_ROOT: Final = "/etc/commerce/products"
PROGRESS_ROOT: Final = "/var/commerce/imports"
# How many products are planned between two yields to the event loop.
_PLAN_SLICE: Final = 200
_LIST_CAP: Final = 1000

Progress = Callable[[int, int], None]  # (products done, products in the feed)
ImportListener = Callable[[ContentSession, "ImportResult"], Awaitable[None]]
_PRODUCT: Final = make_property(C.TYPE_PRODUCT)
_HANDLER: Final[type[ImportHandler]] = ImportHandler  # type: ignore[type-abstract]


@dataclass(frozen=True, slots=True)
class ImportOptions:
    catalog: str
    dry_run: bool = False
    remove_missing: bool = False
    skip_invalid: bool = False
    title: str | None = None
    provider: str | None = None


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do); `as_json()` is the HTTP answer."""

    catalog: str
    path: str
    dry_run: bool
    products: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    operations: int = 0
    saves: int = 0
    resumed_from: int = 0
    revision_before: int = 0
    revision_after: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.operations)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "deleted": len(self.deleted),
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "path": self.path,
            "dryRun": self.dry_run,
            "products": self.products,
            "counts": self.counts(),
            "created": self.created[:_LIST_CAP],
            "updated": self.updated[:_LIST_CAP],
            "deleted": self.deleted[:_LIST_CAP],
            "operations": self.operations,
            "saves": self.saves,
            "resumedFrom": self.resumed_from,
            "revision": {"before": self.revision_before, "after": self.revision_after},
            "skipped": self.skipped,
            "messages": self.messages,
            "elapsed": round(self.elapsed, 3),
        }


@dataclass
class _Planned:
    index: int
    sku: str
    group: Group
    created: bool


class CatalogImporter:
    """Imports catalog feeds into the repository with the best-ranked `ImportHandler`."""

    def __init__(
        self,
        services: ServiceRegistry | None = None,
        *,
        products_root: str = PRODUCTS_ROOT,
        progress_root: str = PROGRESS_ROOT,
        save_batch_size: int = 1000,
    ) -> None:
        self.services = services or ServiceRegistry()
        self.products_root = products_root
        self.progress_root = progress_root
        self.save_batch_size = save_batch_size
        self.listeners: list[ImportListener] = []
        self._locks: dict[str, asyncio.Lock] = {}

    def handler(self) -> ImportHandler:
        """The handler with the highest ranking (the default one is registered at 0)."""
        return self.services.get(_HANDLER) or DefaultImportHandler()

    def catalog_path(self, catalog: str) -> str:
        if not catalog or not is_valid_name(catalog) or ":" in catalog:
            raise InvalidImportRequestError(
                f"{catalog!r} is not a catalog name (a node name such as 'outdoors')",
                field="catalog",
            )
        return P.join(self.products_root, catalog)

    def is_running(self, catalog: str) -> bool:
        lock = self._locks.get(catalog)
        return lock is not None and lock.locked()

    async def import_data(
        self,
        session: ContentSession,
        data: bytes,
        fmt: FeedFormat,
        options: ImportOptions,
        *,
        progress: Progress | None = None,
        wait: bool = True,
    ) -> ImportResult:
        """Parse and import feed bytes. Raises InvalidFeedError (422) for a refused feed,
        InvalidImportRequestError, ImportInProgressError (when not `wait`ing), AccessDenied,
        and ImporterError when a save fails (the run can then be resumed)."""
        self.catalog_path(options.catalog)
        # One pause from parse to the end of the import, and the feed freed before it ends:
        # the collector, once re-enabled, walks every object made meanwhile that is still alive.
        with gc_paused():
            feed = parse_feed(data, fmt)
            feed.check(skip_invalid=options.skip_invalid)
            digest = hashlib.sha256(data).hexdigest()
            try:
                return await self.import_feed(
                    session, feed, digest, options, progress=progress, wait=wait
                )
            finally:
                del feed

    async def import_feed(
        self,
        session: ContentSession,
        feed: Feed,
        digest: str,
        options: ImportOptions,
        *,
        progress: Progress | None = None,
        wait: bool = True,
    ) -> ImportResult:
        lock = self._locks.setdefault(options.catalog, asyncio.Lock())
        if lock.locked() and not wait:
            raise ImportInProgressError(
                f"catalog {options.catalog} is being imported", catalog=options.catalog
            )
        async with lock:
            with gc_paused():
                return await self._run(session, feed, digest, options, progress)

    # --- plan -------------------------------------------------------------------------------------
    async def _run(
        self,
        session: ContentSession,
        feed: Feed,
        digest: str,
        options: ImportOptions,
        progress: Progress | None,
    ) -> ImportResult:
        started = time.perf_counter()
        root = self.catalog_path(options.catalog)
        result = ImportResult(options.catalog, root, options.dry_run, products=len(feed.products))
        result.skipped = [p.as_json() for p in feed.problems]
        result.revision_before = result.revision_after = session.store.head
        existing: list[Node] = []
        if await session.exists(root):
            existing = _flatten(await session.subtree(root, None))
        plan = TreePlan(existing)
        ctx = ImporterContext(
            root,
            options.catalog,
            plan,
            session,
            title=options.title or feed.title,
            provider=options.provider or feed.provider,
            save_batch_size=self.save_batch_size,
        )
        record = await session.get_node(P.join(self.progress_root, options.catalog))
        resume = _resume_point(record, digest, options)
        result.resumed_from = resume
        handler = self.handler()

        head = await self._plan_head(session, ctx, handler, feed, root)
        by_sku = {
            sku: node.path
            for node in existing
            if node.properties.get(C.PN_COMMERCE_TYPE) == _PRODUCT
            and (sku := _sku(node)) is not None
        }
        groups: list[_Planned] = []
        for index, product in enumerate(feed.products):
            if index < resume:
                continue
            plan.begin()
            parent = P.join(root, product.category) if product.category else root
            path = await handler.create_product(ctx, product, parent)
            if product.image:
                await handler.create_asset(ctx, {C.PN_FILE_REFERENCE: product.image}, path)
            await self._plan_variants(ctx, handler, product.variants, path)
            old = by_sku.get(product.sku)
            if old is not None and old != path and plan.current(old) is not None:
                await handler.delete_product(ctx, old)  # the product moved to another category
            plan.prune(path)
            group = plan.end()
            created = old is None and path in group.added
            groups.append(_Planned(index, product.sku, group, created))
            if index % _PLAN_SLICE == _PLAN_SLICE - 1:
                await asyncio.sleep(0)  # planning is CPU work: let requests through
        removals: list[_Planned] = []
        if options.remove_missing:
            removals = await self._plan_removals(ctx, handler, feed, existing, root)

        for planned in groups:
            if not planned.group.ops:
                result.unchanged += 1
            elif planned.created:
                result.created.append(planned.sku)
            else:
                result.updated.append(planned.sku)
        result.unchanged += resume
        result.deleted = [p.sku for p in removals]
        ops = list(head.ops)
        for planned in groups:
            ops += planned.group.ops
        for planned in removals:
            ops += planned.group.ops
        result.operations = len(ops)
        result.messages = list(ctx.messages)
        _check_access(session, ops)
        unfinished = record is not None and _string(record, "status") in ("running", "failed")
        if options.dry_run or (not ops and not unfinished):
            if progress:
                progress(len(feed.products), len(feed.products))
            result.elapsed = time.perf_counter() - started
            return result

        await self._apply(
            session, record, digest, options, feed, head, groups, removals, result, progress
        )
        result.revision_after = session.store.head
        for listener in self.listeners:
            try:
                await listener(session, result)
            except RepoError as exc:
                result.messages.append(f"after import: {exc.message}")
        result.elapsed = time.perf_counter() - started
        return result

    async def _plan_head(
        self,
        session: ContentSession,
        ctx: ImporterContext,
        handler: ImportHandler,
        feed: Feed,
        root: str,
    ) -> Group:
        """The catalog folder, its missing ancestors and the categories: the first save's."""
        plan = ctx.plan
        plan.begin()
        for ancestor in reversed(P.ancestors(root)):
            if ancestor != P.ROOT and not await session.exists(ancestor):
                plan.put(ancestor, SLING_FOLDER, {}, exclusive=False)
        await handler.create_catalog(ctx, ctx.catalog_id)
        for category in feed.categories:
            parent = category.path.rpartition("/")[0]
            await handler.create_category(ctx, category, P.join(root, parent) if parent else root)
        return plan.end()

    async def _plan_variants(
        self,
        ctx: ImporterContext,
        handler: ImportHandler,
        variants: Sequence[FeedVariant],
        parent: str,
    ) -> None:
        for variant in variants:
            path = await handler.create_variant_product(ctx, variant, parent)
            if variant.image:
                await handler.create_asset(ctx, {C.PN_FILE_REFERENCE: variant.image}, path)
            if variant.variants:
                await self._plan_variants(ctx, handler, variant.variants, path)

    async def _plan_removals(
        self,
        ctx: ImporterContext,
        handler: ImportHandler,
        feed: Feed,
        existing: list[Node],
        root: str,
    ) -> list[_Planned]:
        wanted = {P.join(root, p.relative_path) for p in feed.products}
        skus = {p.sku for p in feed.products} | set(feed.refused_skus)
        out: list[_Planned] = []
        for node in existing:
            if node.properties.get(C.PN_COMMERCE_TYPE) != _PRODUCT:
                continue
            sku = _sku(node)
            if node.path in wanted or (sku is not None and sku in skus):
                continue
            if ctx.plan.current(node.path) is None:
                continue  # inside a removed subtree already
            ctx.plan.begin()
            await handler.delete_product(ctx, node.path)
            group = ctx.plan.end()
            if group.ops:
                out.append(_Planned(-1, sku or node.path, group, False))
        return out

    # --- apply ------------------------------------------------------------------------------------
    async def _apply(
        self,
        session: ContentSession,
        record: Node | None,
        digest: str,
        options: ImportOptions,
        feed: Feed,
        head: Group,
        groups: list[_Planned],
        removals: list[_Planned],
        result: ImportResult,
        progress: Progress | None,
    ) -> None:
        tracker = _ProgressRecord(self.progress_root, options, digest, len(feed.products))
        tracker.done = result.resumed_from
        await tracker.prepare(session, record)
        batch: list[Operation] = list(head.ops)
        done = result.resumed_from
        total = len(feed.products)
        try:
            for planned in groups:
                batch.extend(planned.group.ops)
                done = planned.index + 1
                if len(batch) >= self.save_batch_size:
                    await self._save(session, tracker, batch, done, "running", result)
                    batch = []
                    if progress:
                        progress(done, total)
            for planned in removals:
                batch.extend(planned.group.ops)
            await self._save(session, tracker, batch, total, "done", result)
            if progress:
                progress(total, total)
        except RepoError as exc:
            await session.refresh()
            await tracker.fail(session, exc)
            raise ImporterError(
                f"import of {options.catalog} stopped after {tracker.done} of "
                f"{total} products: {exc.message}; run the same feed again to resume",
                cause=exc,
                catalog=options.catalog,
                done=tracker.done,
            ) from exc

    async def _save(
        self,
        session: ContentSession,
        tracker: _ProgressRecord,
        batch: list[Operation],
        done: int,
        status: str,
        result: ImportResult,
    ) -> None:
        for op in _bulk(batch):
            session.queue(op)
        tracker.queue(session, done, status, result)
        await session.save()
        tracker.done = done
        result.saves += 1


class _ProgressRecord:
    """The progress node of one catalog: written in the same commit as each batch."""

    def __init__(self, root: str, options: ImportOptions, digest: str, total: int) -> None:
        self.path = P.join(root, options.catalog)
        self.options = options
        self.digest = digest
        self.total = total
        self.exists = False
        self.done = 0
        self.started = datetime.now(UTC)

    async def prepare(self, session: ContentSession, record: Node | None) -> None:
        self.exists = record is not None
        if record is None:
            for ancestor in reversed(P.ancestors(self.path)):
                if ancestor != P.ROOT and not await session.exists(ancestor):
                    session.queue(AddNode(ancestor, SLING_FOLDER))

    def _props(self, done: int, status: str, result: ImportResult) -> dict[str, Any]:
        counts = result.counts()
        return {
            "status": status,
            "feedDigest": self.digest,
            "removeMissing": self.options.remove_missing,
            "productsDone": done,
            "productsTotal": self.total,
            "created": counts["created"],
            "updated": counts["updated"],
            "deleted": counts["deleted"],
            "startedAt": self.started,
            "lastSavedAt": datetime.now(UTC),
        }

    def queue(self, session: ContentSession, done: int, status: str, result: ImportResult) -> None:
        props = {k: make_property(v) for k, v in self._props(done, status, result).items()}
        if not self.exists:
            session.queue(AddNode(self.path, "nt:unstructured", [], props))
            self.exists = True
            return
        for name, prop in props.items():
            session.queue(SetProperty(self.path, name, prop))
        session.queue(SetProperty(self.path, "lastError", None))

    async def fail(self, session: ContentSession, exc: RepoError) -> None:
        """Best effort: mark the record failed (its `productsDone` stays what was saved)."""
        try:
            if not await session.exists(self.path):
                return
            await session.set_property(self.path, "status", "failed")
            await session.set_property(self.path, "lastError", exc.message)
            await session.save()
        except RepoError:
            await session.refresh()


def _flatten(tree: NodeTree) -> list[Node]:
    out: list[Node] = []
    stack = [tree]
    while stack:
        holder = stack.pop()
        out.append(holder.node)
        stack.extend(reversed(holder.children))
    return out


def _sku(node: Node) -> str | None:
    prop = node.properties.get(C.PN_IDENTIFIER)
    value = prop.values[0] if prop is not None and prop.values else None
    return value if isinstance(value, str) else None


def _string(node: Node, name: str) -> str | None:
    prop = node.properties.get(name)
    value = prop.values[0] if prop is not None and prop.values else None
    return value if isinstance(value, str) else None


def _resume_point(record: Node | None, digest: str, options: ImportOptions) -> int:
    """Products already saved by an unfinished run of the same feed with the same options."""
    if record is None or options.dry_run:
        return 0
    if _string(record, "status") not in ("running", "failed"):
        return 0
    if _string(record, "feedDigest") != digest:
        return 0
    same = record.properties.get("removeMissing")
    if same is None or same.values[0] != options.remove_missing:
        return 0
    done = record.properties.get("productsDone")
    value = done.values[0] if done is not None and done.values else 0
    return value if isinstance(value, int) and value > 0 else 0


def _bulk(batch: Sequence[Operation]) -> list[Operation]:
    """The batch with its runs of node additions as `ImportTree` operations: the repository's
    bulk path, which resolves and validates a run in one pass with per-type work done once.

    `ImportTree` wants that nothing else in the save touches its nodes: when another operation
    of the batch names an added node or removes an ancestor of one, the batch stays as planned.
    The additions themselves are the items (`ImportTree` fills in their property maps): the
    planned operations are not used again once the batch is queued.
    """
    others = [op for op in batch if type(op) is not AddNode]
    if len(others) == len(batch):
        return list(batch)
    if others:  # a first import has none: only updates and moves can conflict
        added = {op.path for op in batch if type(op) is AddNode}
        removed: set[str] = set()
        for op in others:
            path = getattr(op, "path", None)
            if not isinstance(path, str) or path in added:
                return list(batch)
            if isinstance(op, Remove):
                removed.add(path)
        if removed:
            for path in added:
                if any(ancestor in removed for ancestor in P.ancestors(path)):
                    return list(batch)
    out: list[Operation] = []
    run: list[AddNode] = []
    for op in batch:
        if type(op) is AddNode and not op.children and not op.resolved:
            run.append(op)  # an AddNode is an ImportTree item as it stands
            continue
        if run:
            out.append(ImportTree(run))
            run = []
        out.append(op)
    if run:
        out.append(ImportTree(run))
    return out


def _check_access(session: ContentSession, ops: Sequence[Operation]) -> None:
    """Queued operations skip the session's per-call checks: check every path up front."""
    access = session.access
    if type(access) is AllowAll:
        return  # every path allowed: no need to ask once per node
    for op in ops:
        path = getattr(op, "path", None)
        if isinstance(path, str) and not access.can_write(path):
            raise AccessDenied(f"{session.user_id} may not write {path}", path=path)


__all__ = [
    "CatalogImporter",
    "FeedProduct",
    "ImportOptions",
    "ImportResult",
]
