"""Engine users, Basic and OAuth2 client-credentials authentication, group permissions (spec §7)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Final

from commerce.engine.errors import Forbidden, InvalidInput, Unauthorized
from commerce.engine.model.io import IntegrationObject
from commerce.engine.store.sqlite import Connection

ADMIN: Final = "admin"
ADMIN_GROUP: Final = "integrationadmingroup"
CREATE_GROUP: Final = "integrationcreategroup"
VIEW_GROUP: Final = "integrationviewgroup"
DELETE_GROUP: Final = "integrationdeletegroup"
USER_GROUP: Final = "integrationusergroup"
MONITORING_GROUP: Final = "integrationmonitoringgroup"
SERVICE_GROUP: Final = "integrationservicegroup"
GROUPS: Final = frozenset(
    {
        ADMIN_GROUP,
        CREATE_GROUP,
        VIEW_GROUP,
        DELETE_GROUP,
        USER_GROUP,
        MONITORING_GROUP,
        SERVICE_GROUP,
        "outboundsyncgroup",
        "webhookservicegroup",
    }
)
# The engine's own administrator also holds the Meta-API group, so a fresh engine can define IOs.
ADMIN_GROUPS: Final = frozenset({ADMIN_GROUP, SERVICE_GROUP, MONITORING_GROUP})
# Meta APIs need the service group together with the admin group (spec §7 table).
META_SERVICES: Final = {"IntegrationService": SERVICE_GROUP}
# Read-only monitoring services (spec §9); writes are answered 405 after this check.
MONITORING_SERVICES: Final = frozenset({"InboundIntegrationMonitoring"})


@dataclass(frozen=True, slots=True)
class User:
    uid: str
    groups: frozenset[str]


class DuplicateUser(InvalidInput):
    code = "invalid_attribute_value"


def hash_password(password: str, iterations: int) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    actual = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(actual.hex(), digest)


class AuthService:
    """Checks credentials against the store; bearer tokens live in memory for their lifetime."""

    def __init__(self, iterations: int, token_lifetime: int) -> None:
        self.iterations = iterations
        self.token_lifetime = token_lifetime
        self._tokens: dict[str, tuple[str, float]] = {}
        # PBKDF2 costs tens of milliseconds on purpose; a request stream with the same Basic
        # credentials verifies once per stored hash (keyed by a digest, never the password).
        self._verified: dict[tuple[str, str], str] = {}

    async def add_user(
        self, conn: Connection, uid: str, password: str, groups: frozenset[str]
    ) -> User:
        unknown = groups - GROUPS
        if unknown:
            raise InvalidInput(f"Unknown group(s): {', '.join(sorted(unknown))}.")
        if not uid or ":" in uid:
            raise InvalidInput("A user id is non-empty and has no ':'.")
        if await conn.fetchone("SELECT 1 FROM users WHERE uid = ?", [uid]):
            raise DuplicateUser(f"User [{uid}] exists.")
        hashed = await asyncio.to_thread(hash_password, password, self.iterations)
        await conn.execute(
            "INSERT INTO users (uid, password, groups) VALUES (?, ?, ?)",
            [uid, hashed, json.dumps(sorted(groups))],
        )
        return User(uid, groups)

    async def add_client(self, conn: Connection, client_id: str, secret: str, uid: str) -> None:
        """An OAuth client bound to one engine user, never ``admin`` (spec §7)."""
        if uid == ADMIN:
            raise InvalidInput("An integration client cannot act as admin.")
        if not await conn.fetchone("SELECT 1 FROM users WHERE uid = ?", [uid]):
            raise InvalidInput(f"User [{uid}] does not exist.")
        hashed = await asyncio.to_thread(hash_password, secret, self.iterations)
        await conn.execute(
            "INSERT INTO oauth_clients (client_id, secret, uid) VALUES (?, ?, ?)",
            [client_id, hashed, uid],
        )

    async def _user(self, conn: Connection, uid: str) -> tuple[User, str] | None:
        row = await conn.fetchone("SELECT password, groups FROM users WHERE uid = ?", [uid])
        if row is None:
            return None
        return User(uid, frozenset(json.loads(row[1]))), str(row[0])

    async def _check(self, kind: str, name: str, secret: str, stored: str) -> bool:
        cache_key = (kind + ":" + name, hashlib.sha256(secret.encode()).hexdigest())
        if self._verified.get(cache_key) == stored:
            return True
        if await asyncio.to_thread(verify_password, secret, stored):
            self._verified[cache_key] = stored
            return True
        return False

    async def basic(self, conn: Connection, uid: str, password: str) -> User:
        found = await self._user(conn, uid)
        if found is None or not await self._check("user", uid, password, found[1]):
            raise Unauthorized("Bad credentials.")
        return found[0]

    async def issue_token(self, conn: Connection, client_id: str, secret: str) -> str:
        row = await conn.fetchone(
            "SELECT secret, uid FROM oauth_clients WHERE client_id = ?", [client_id]
        )
        if row is None or not await self._check("client", client_id, secret, str(row[0])):
            raise Unauthorized("Bad client credentials.")
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
        self._tokens[token] = (str(row[1]), now + self.token_lifetime)
        return token

    async def bearer(self, conn: Connection, token: str) -> User:
        entry = self._tokens.get(token)
        if entry is None or entry[1] <= time.monotonic():
            raise Unauthorized("Invalid or expired token.")
        found = await self._user(conn, entry[0])
        if found is None:
            raise Unauthorized("Invalid or expired token.")
        return found[0]


def authorize(user: User, io: IntegrationObject, method: str, *, metadata: bool = False) -> None:
    """Raise Forbidden unless the user's groups allow ``method`` on ``io`` (spec §7 table)."""
    groups = user.groups
    admin = ADMIN_GROUP in groups
    needed = META_SERVICES.get(io.code)
    if needed is not None:
        if admin and needed in groups:
            return
        raise Forbidden(f"User [{user.uid}] may not use the {io.code} Meta API.")
    if io.code in MONITORING_SERVICES:
        if admin or MONITORING_GROUP in groups:
            return
        raise Forbidden(f"User [{user.uid}] may not see {io.code}.")
    if admin:
        return
    if method in ("GET", "HEAD"):
        allowed = {VIEW_GROUP, CREATE_GROUP} if metadata else {VIEW_GROUP}
    elif method in ("POST", "PATCH", "MERGE", "PUT"):
        allowed = {CREATE_GROUP}
    elif method == "DELETE":
        allowed = {DELETE_GROUP}
    else:
        allowed = set()
    if not groups & allowed:
        raise Forbidden(f"User [{user.uid}] may not {method} on {io.code}.")
