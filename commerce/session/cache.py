"""What every shopper's session reads the same way, kept across requests while it cannot have
changed: products, campaigns (promotions and vouchers), shipping and payment methods.

All of it is read through the service session (no ACL; the session checks the shopper's access
to a product path itself, on every request), so one copy serves every shopper. A copy belongs to
a *content epoch*, and a new epoch starts a new, empty copy with its own `RepoSession`.

`ContentWatch` counts the epochs. It looks at the store's commit `generation` on every use; when
that moved, it reads the journal entries committed since it last looked (one small inline read)
and starts a new epoch unless every change lies under the folders the commerce service writes
for shoppers (carts, orders, fulfilment), none of which holds product, campaign or method data.
The journal records every node change in the commit that makes it, and the generation is bumped
before `save()` returns, so a read that follows a commit never gets data from before it; a cart
write (every add-to-cart) does not throw the copy away.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from commerce import constants as C
from commerce.methods import PaymentMethod, ShippingMethod
from commerce.money import PriceInfo, product_unit_prices
from commerce.product import Product, is_product_or_variant_node
from commerce.promotions import PromotionHandler, PromotionManager
from commerce.providers import ProviderRegistry, adapt_to_product
from commerce.repo import RepoSession
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.values import unpack
from repo_server.session.session import ContentSession
from repo_server.store.base import StoreReader
from repo_server.store.sqlite import SQLiteNodeStore

# More new journal entries than this since the last look: start a new epoch without reading
# them (a bulk import; cheaper to reload than to scan).
SCAN_LIMIT: Final = 200
# Products kept per epoch; past it the product map starts over (a crawler walking the catalog).
PRODUCT_LIMIT: Final = 20_000
# Changed paths remembered for `changed_since`; past it the memory starts over.
TOUCHED_LIMIT: Final = 10_000


class ContentWatch:
    """The content epoch of a store: bumped by every commit that changes anything outside
    `ignored` (see the module doc)."""

    def __init__(self, store: SQLiteNodeStore, ignored: Iterable[str]) -> None:
        self.store = store
        self.ignored = tuple(ignored)
        self.epoch = 0
        self._generation: int | None = None
        self._revision = 0
        # The last revision that changed each path (a node, or the node of a property) seen in
        # the journal; nothing is known of revisions up to `_floor`.
        self._touched: dict[str, int] = {}
        self._floor = 0

    def current(self) -> int:
        """The epoch now; reads the journal (inline) when a commit happened since last time."""
        generation = self.store.generation
        if generation == self._generation:
            return self.epoch
        since = self._revision
        head, rows = self.store.read_point(lambda r: _entries_since(r, since))
        if self._generation is None or rows is None:
            self.epoch += 1
            self._touched.clear()
            self._floor = head
        else:
            bump = False
            for revision, changes in rows:
                for change in changes:
                    bump = bump or not self._ignorable(change)
                    self._note(revision, change)
            if bump:
                self.epoch += 1
        self._revision = max(head, since)
        self._generation = generation
        return self.epoch

    def changed_since(self, path: str, revision: int) -> bool:
        """Whether a commit after `revision` changed the node at `path` or removed or moved an
        ancestor, as far as the journal shows now (True when it cannot tell)."""
        self.current()
        if revision < self._floor:
            return True
        touched = self._touched
        while True:
            if touched.get(path, 0) > revision:
                return True
            if path == P.ROOT:
                return False
            path = P.parent(path)

    def _note(self, revision: int, change: list[object]) -> None:
        kind, path, argument = change[0], change[1], change[2]
        for found in (path, argument) if kind in ("moved", "copied") else (path,):
            if not isinstance(found, str):
                continue
            if kind != "modified":  # a node path (or, for `deleted`, maybe a property's)
                self._touched[found] = revision
            if kind in ("modified", "deleted") and found != P.ROOT:
                # A property path: the node it belongs to changed.
                self._touched[P.parent(found)] = revision
        if len(self._touched) > TOUCHED_LIMIT:
            self._touched.clear()
            self._floor = revision

    def _ignorable(self, change: list[object]) -> bool:
        kind, path, argument = change[0], change[1], change[2]
        paths = [path]
        if kind in ("moved", "copied"):
            paths.append(argument)
        return all(
            isinstance(p, str) and any(P.is_same_or_descendant(p, root) for root in self.ignored)
            for p in paths
        )


Entries = list[tuple[int, list[list[object]]]]


def _entries_since(reader: StoreReader, since: int) -> tuple[int, Entries | None]:
    """The head revision and each revision's changes committed after `since` (None when there
    are more than SCAN_LIMIT entries), read in one transaction."""
    rows = reader.execute(
        "SELECT rev, changes FROM journal WHERE rev > ? ORDER BY rev LIMIT ?",
        (since, SCAN_LIMIT + 1),
    )
    if len(rows) > SCAN_LIMIT:
        return reader.head_revision(), None
    out: Entries = []
    for revision, blob in rows:
        assert isinstance(revision, int)
        assert isinstance(blob, bytes)
        out.append((revision, unpack(blob)))
    return (out[-1][0] if out else since), out


@dataclass(slots=True)
class SharedReads:
    """One content epoch's copy. Everything in it was read at that epoch or later; a lookup
    that finds nothing reads through `repo` (the epoch's own service `RepoSession`)."""

    epoch: int
    repo: RepoSession
    registry: ProviderRegistry
    products: dict[str, Product | None] = field(default_factory=dict)
    promotions: PromotionManager | None = None
    shipping: dict[str, list[ShippingMethod]] = field(default_factory=dict)
    payment: dict[str, list[PaymentMethod]] = field(default_factory=dict)
    unit_prices: dict[tuple[Product, str, str | None, Decimal | None], tuple[PriceInfo, ...]] = (
        field(default_factory=dict)
    )

    def product_unit_prices(
        self,
        product: Product,
        locale: str,
        currency: str | None,
        tax_rate: Decimal | None = None,
    ) -> tuple[PriceInfo, ...]:
        """`commerce.money.product_unit_prices`, remembered for the epoch (a Product and its
        PriceInfos are immutable). Raises as that does; an error is not remembered."""
        key = (product, locale, currency, tax_rate)
        found = self.unit_prices.get(key)
        if found is None:
            found = tuple(product_unit_prices(product, locale, currency, tax_rate=tax_rate))
            if len(self.unit_prices) >= PRODUCT_LIMIT:
                self.unit_prices.clear()
            self.unit_prices[key] = found
        return found

    def promotion_manager(
        self, handlers: dict[str, PromotionHandler], root: str
    ) -> PromotionManager:
        found = self.promotions
        if found is None or found.root != root or found.handlers is not handlers:
            found = self.promotions = PromotionManager(self.repo, handlers, root)
        return found

    async def load_products(self, paths: Sequence[str]) -> dict[str, Product | None]:
        """The product at each (normalized) path, None where there is none. What is not known
        yet is read together: every lineage with its `jcr:content` and `image` children (what
        provider resolution and the product loader look at) in one store query."""
        missing = [p for p in dict.fromkeys(paths) if p not in self.products]
        if missing:
            wanted = [
                k
                for path in missing
                for a in (path, *P.ancestors(path))
                for k in (a, P.join(a, N.JCR_CONTENT), P.join(a, C.NN_IMAGE))
            ]
            await self.repo.nodes(wanted)
            if len(self.products) + len(missing) > PRODUCT_LIMIT:
                self.products.clear()
            for path in missing:
                node = await self.repo.get(path)
                found = None
                if node is not None and is_product_or_variant_node(node):
                    found = await adapt_to_product(node, self.registry)
                self.products[path] = found
        return {p: self.products[p] for p in paths}


class SharedCache:
    """The current `SharedReads` of one repository's store."""

    def __init__(
        self, service: ContentSession, registry: ProviderRegistry, ignored: Iterable[str]
    ) -> None:
        self.store = service.store
        self.service = service
        self.registry = registry
        self.watch = ContentWatch(service.store, ignored)
        self._reads: SharedReads | None = None

    def reads(self) -> SharedReads:
        epoch = self.watch.current()
        found = self._reads
        if found is None or found.epoch != epoch:
            # A fresh RepoSession too: its node cache belongs to the epoch.
            found = self._reads = SharedReads(epoch, RepoSession(self.service), self.registry)
        return found
