"""`CommerceSessionManager`: where carts and orders live, who may touch which, and the
shared machinery of every `JcrCommerceSession` (locks, the cart cookie, connectors).

Shoppers have no write access to `/var`, so carts and orders are written through a
*service* session (`commerce-service`, no ACL); the manager authorizes instead: a session
only ever opens the cart of its own user, or the anonymous cart whose id is in a cookie this
server signed (HMAC-SHA256 with a secret kept in the store's meta table).

Writes to one cart are serialised by an asyncio lock per cart path (re-read, change, one
save), so concurrent adds lose nothing; submits are serialised by one lock, which makes the
idempotency check and the date folders race-free. One server process owns a store (SQLite),
so in-process locks are enough.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import uuid
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from commerce import constants as C
from commerce.errors import CartCookieError
from commerce.fulfilment import FULFILMENT_ROOT, FulfilmentConnector, WarehouseFulfilment
from commerce.methods import DEFAULT_PAYMENT, DEFAULT_SHIPPING, PAYMENT_ROOT, SHIPPING_ROOT
from commerce.payment import PaymentConnector, TestPaymentConnector
from commerce.promotions import CAMPAIGNS_ROOT, HandlerRegistry
from commerce.providers import ProviderRegistry
from commerce.session.cache import SharedCache, SharedReads
from commerce.session.cart import CartState
from commerce.session.orders import ORDERS_ROOT, SHOPPER_INDEX
from repo_server.model import path as P
from repo_server.model.values import make_property
from repo_server.services import ServiceRegistry
from repo_server.session.operations import AddNode, SetProperty
from repo_server.session.session import ContentSession, Repository
from repo_server.store.base import StoreWriter

if TYPE_CHECKING:
    from commerce.session.context import SessionContext
    from commerce.session.session import JcrCommerceSession

CARTS_ROOT: Final = "/var/commerce/carts"
ANONYMOUS_CARTS: Final = "/var/commerce/carts/anonymous"
USER_CARTS: Final = "/var/commerce/carts/users"
SERVICE_USER: Final = "commerce-service"
COOKIE_NAME: Final = C.COMMERCE_COOKIE_NAME
SECRET_META_KEY: Final = "commerce.cart_secret"
ANONYMOUS: Final = "anonymous"
_SAFE: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CART_ID: Final = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """How JCR commerce sessions behave; defaults are spec §6's."""

    provider: str | None = None  # whose shipping/payment methods; None: the best ranked
    tax_rate: Decimal = Decimal("0.06")
    shipping_tax_rate: Decimal = Decimal("0")
    merge_anonymous_cart: bool = True
    countries: tuple[str, ...] = ("*",)
    campaigns_root: str = CAMPAIGNS_ROOT
    seed_methods: bool = True
    cookie_max_age: int = 30 * 24 * 3600
    cookie_secure: bool = False
    # Shoppers may buy what they can read, and anything under these roots: product data is
    # not readable by anonymous visitors of a publish instance, only the pages are.
    catalog_roots: tuple[str, ...] = ("/etc/commerce/products", "/var/commerce/products")


def shopper_key(user_id: str | None, cart_id: str | None = None) -> str:
    """A node name for a shopper: `u-<user>` (hashed when the id is not name-safe), or
    `a-<cart id>` for an anonymous shopper."""
    if user_id is None or user_id == ANONYMOUS:
        return f"a-{cart_id}"
    if _SAFE.match(user_id):
        return f"u-{user_id}"
    return "h-" + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:40]


@dataclass(slots=True)
class Shopper:
    user_id: str | None  # None: anonymous
    cart_path: str
    cart_id: str | None = None  # anonymous carts only
    cookie_pending: bool = False  # a new anonymous cart: send the cookie on first save

    @property
    def key(self) -> str:
        return shopper_key(self.user_id, self.cart_id)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


@dataclass
class CommerceSessionManager:
    registry: ProviderRegistry
    services: ServiceRegistry
    options: SessionOptions = field(default_factory=SessionOptions)
    handlers: HandlerRegistry = field(default_factory=HandlerRegistry.stock)
    _secret: bytes = b""
    _locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )
    _submit: asyncio.Lock | None = None
    _shared: SharedCache | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def provider(self) -> str:
        if self.options.provider:
            return self.options.provider
        names = self.registry.names()
        return names[0] if names else "jcr"

    async def start(self, repository: Repository) -> None:
        """Create the folders under /var/commerce, seed methods for a provider that has none,
        and load (or make) the cookie secret."""

        def prepare(writer: StoreWriter) -> bytes:
            found = writer.meta(SECRET_META_KEY)
            if found is None:
                found = secrets.token_bytes(32)
                writer.set_meta(SECRET_META_KEY, found)
            return found

        self._secret = await repository.store.write(prepare)
        session = self.service_session(repository)
        folders = [
            "/var",
            "/var/commerce",
            CARTS_ROOT,
            ANONYMOUS_CARTS,
            USER_CARTS,
            ORDERS_ROOT,
            SHOPPER_INDEX,
            FULFILMENT_ROOT,
            SHIPPING_ROOT,
            PAYMENT_ROOT,
        ]
        for folder in folders:
            if not await session.exists(folder):
                await session.add_node(folder, "sling:Folder")
        if self.options.seed_methods:
            for root, seeds in ((SHIPPING_ROOT, DEFAULT_SHIPPING), (PAYMENT_ROOT, DEFAULT_PAYMENT)):
                folder = P.join(root, self.provider())
                if await session.exists(folder):
                    continue
                await session.add_node(folder, "sling:OrderedFolder")
                for name, props in seeds:
                    await session.add_node(
                        P.join(folder, name), "nt:unstructured", properties=props
                    )
        await session.save()

    @staticmethod
    def service_session(repository: Repository) -> ContentSession:
        """A session that bypasses ACLs: callers have authorized the shopper themselves."""
        return repository.session(SERVICE_USER)

    def shared_cache(self, repository: Repository) -> SharedCache:
        cache = self._shared
        if cache is None or cache.store is not repository.store:
            cache = self._shared = SharedCache(
                self.service_session(repository),
                self.registry,
                (CARTS_ROOT, ORDERS_ROOT, FULFILMENT_ROOT),
            )
        return cache

    def shared(self, repository: Repository) -> SharedReads:
        """The products, campaigns and methods every session reads alike, as of now (see
        `commerce.session.cache`): commits to carts and orders keep them, any other drops them."""
        return self.shared_cache(repository).reads()

    # --- locks -------------------------------------------------------------------------------
    def lock(self, path: str) -> asyncio.Lock:
        found = self._locks.get(path)
        if found is None:
            found = asyncio.Lock()
            self._locks[path] = found
        return found

    @asynccontextmanager
    async def locked(self, paths: Sequence[str]) -> AsyncIterator[None]:
        """Hold the locks of several carts, always taken in path order (no deadlock)."""
        locks = [self.lock(p) for p in sorted(set(paths))]
        for taken, lock in enumerate(locks):
            try:
                await lock.acquire()
            except BaseException:
                for held in locks[:taken]:
                    held.release()
                raise
        try:
            yield
        finally:
            for lock in reversed(locks):
                lock.release()

    def submit_lock(self) -> asyncio.Lock:
        if self._submit is None:
            self._submit = asyncio.Lock()
        return self._submit

    # --- the anonymous cart cookie ----------------------------------------------------------
    def _mac(self, cart_id: str) -> str:
        digest = hmac.new(self._secret, cart_id.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def sign(self, cart_id: str) -> str:
        return f"{cart_id}.{self._mac(cart_id)}"

    def verify(self, cookie: str) -> str:
        """The cart id of a cookie this server signed; CartCookieError otherwise."""
        cart_id, _, mac = cookie.partition(".")
        if not self._secret or not _CART_ID.match(cart_id):
            raise CartCookieError("the cart cookie is not valid")
        if not hmac.compare_digest(mac, self._mac(cart_id)):
            raise CartCookieError("the cart cookie is not valid")
        return cart_id

    # --- connectors ------------------------------------------------------------------------------
    def payment(self) -> PaymentConnector:
        return self.services.require(PaymentConnector)

    def fulfilment(self) -> FulfilmentConnector:
        return self.services.require(FulfilmentConnector)

    def register_defaults(self, *, ranking: int = -100) -> None:
        """The built-in connectors, ranked low so that any deployment's own wins."""
        if self.services.get(PaymentConnector) is None:
            self.services.register(
                PaymentConnector, TestPaymentConnector(), {"service.ranking": ranking}
            )
        if self.services.get(FulfilmentConnector) is None:
            self.services.register(
                FulfilmentConnector, WarehouseFulfilment(), {"service.ranking": ranking}
            )

    # --- sessions --------------------------------------------------------------------------------
    async def login(
        self, repository: Repository, content: ContentSession, ctx: SessionContext
    ) -> JcrCommerceSession:
        """The commerce session of `ctx`'s shopper, with the cart loaded.

        An anonymous shopper's cart comes from the signed cookie (CartCookieError for one this
        server did not sign); a logged-in shopper's from the user, and an anonymous cart still
        in a cookie is merged into it (once: the anonymous cart is deleted, the cookie
        cleared). `content` is the shopper's own session: products are read with it.
        """
        from commerce.session.session import JcrCommerceSession

        cached = ctx.attributes.get("commerce.session")
        if isinstance(cached, JcrCommerceSession):
            return cached
        cookie = ctx.cookies.get(COOKIE_NAME)
        user = ctx.user_id if ctx.user_id not in (None, ANONYMOUS) else None
        service = self.service_session(repository)
        if user is None:
            if cookie:
                cart_id = self.verify(cookie)
                shopper = Shopper(None, P.join(ANONYMOUS_CARTS, cart_id), cart_id)
            else:
                cart_id = uuid.uuid4().hex
                shopper = Shopper(None, P.join(ANONYMOUS_CARTS, cart_id), cart_id, True)
        else:
            shopper = Shopper(user, P.join(USER_CARTS, shopper_key(user)))
            if cookie:
                await self._merge_anonymous(service, shopper, cookie)
                ctx.set_cookie(COOKIE_NAME, "", 0, True)
        # Every commit up to `seen` is in what the read returns (the store's head moves after a
        # commit's cache invalidation): a cart write may reuse the node unless a later one
        # changed it.
        seen = repository.store.head
        node = await service.get_node(shopper.cart_path)
        state = CartState.from_node(shopper.cart_path, node)
        session = JcrCommerceSession(
            self, repository, content, ctx, shopper, state, cart_read=(node, seen)
        )
        ctx.attributes["commerce.session"] = session
        return session

    async def _merge_anonymous(
        self, service: ContentSession, shopper: Shopper, cookie: str
    ) -> None:
        try:
            cart_id = self.verify(cookie)
        except CartCookieError:
            return  # not ours to merge: the cookie is simply dropped
        if not self.options.merge_anonymous_cart:
            return
        anonymous_path = P.join(ANONYMOUS_CARTS, cart_id)
        async with self.locked([anonymous_path, shopper.cart_path]):
            found = await service.get_node(anonymous_path)
            if found is None:
                return
            anonymous = CartState.from_node(anonymous_path, found)
            mine = CartState.from_node(shopper.cart_path, await service.get_node(shopper.cart_path))
            for line in anonymous.lines:
                same = next(
                    (x for x in mine.lines if x.same_line(line.path, line.properties)), None
                )
                if same is not None:
                    same.quantity += line.quantity
                else:
                    mine.lines.append(line)
            mine.vouchers.extend(v for v in anonymous.vouchers if v not in mine.vouchers)
            mine.promotions.extend(p for p in anonymous.promotions if p not in mine.promotions)
            if not mine.details:
                mine.details.update(anonymous.details)
            mine.owner = shopper.user_id
            await service.remove(anonymous_path)
            write_cart(service, mine)
            await service.save()


def write_cart(session: ContentSession, state: CartState) -> None:
    """Queue the cart node's properties (the node is created on first write); the caller saves.

    The operations are queued, not applied: the save applies them, so the whole write costs
    that one store round trip. Nothing may read through `session` before the save. Each property
    is expected to be as `state` read it, so a change by a writer outside the cart lock makes
    the save fail with ConcurrentModification instead of being overwritten.
    """
    props = state.properties()
    if state.exists:
        stored = state.stored
        for name, value in props.items():
            prop = None if value is None else make_property(value)
            if stored is None:
                session.queue(SetProperty(state.path, name, prop))
            else:
                session.queue(SetProperty(state.path, name, prop, stored.get(name)))
    else:
        session.queue(
            AddNode(
                state.path,
                "nt:unstructured",
                [],
                {k: make_property(v) for k, v in props.items() if v is not None},
            )
        )
        state.exists = True
    state.stored = None
