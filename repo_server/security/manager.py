"""SecurityManager: credentials, login tokens and the compiled ACL state of one repository.

Password hashes live outside the content tree, in the store table `security_credential`
(user id -> scrypt hash string), written through the store's `execute` hatch: they can
never be rendered, exported, replicated or set through a content POST. The user node under
`/home/users/<id>` holds the account's content; an account logs in only while both exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from repo_server.config import Settings
from repo_server.errors import RepoError
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.security import privileges as PR
from repo_server.security.acl import (
    ADMIN,
    ADMINISTRATORS,
    GROUPS_ROOT,
    HOME,
    POLICY_NAME,
    USERS_ROOT,
    AccessControlState,
    Ace,
    AclPolicy,
)
from repo_server.security.errors import InvalidCredentials, InvalidLoginToken
from repo_server.security.passwords import DUMMY_HASH, hash_password, verify_password
from repo_server.security.tokens import LoginTokens
from repo_server.session.session import Repository
from repo_server.store.base import JournalEntry, StoreReader

log = logging.getLogger(__name__)

REP_USER: Final = "rep:User"
REP_GROUP: Final = "rep:Group"
REP_ACL: Final = "rep:ACL"
REP_GRANT_ACE: Final = "rep:GrantACE"
REP_DENY_ACE: Final = "rep:DenyACE"
REP_PRINCIPAL_NAME: Final = "rep:principalName"
REP_PRIVILEGES: Final = "rep:privileges"
REP_MEMBERS: Final = "rep:members"
REP_AUTHORIZABLE_ID: Final = "rep:authorizableId"
REP_DISABLED: Final = "rep:disabled"

CREDENTIAL_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS security_credential ("
    "user_id TEXT PRIMARY KEY, hash TEXT NOT NULL, changed_at INTEGER NOT NULL)"
)
SECRET_META_KEY: Final = "security.token_secret"
# Ids become node names and URL segments: no '/', ':' or spaces, no leading dot.
_ID: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._@+-]{0,63}")
_VERIFIED_LIMIT: Final = 1024
# scrypt needs 16 MiB per call: a burst of bad logins must not take 32 threads' worth.
_KDF_SLOTS: Final = 4
_POLICY_LIMIT: Final = 1024

_managers: weakref.WeakKeyDictionary[Repository, SecurityManager] = weakref.WeakKeyDictionary()


class _SqlReader(StoreReader, Protocol):
    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]: ...


def is_valid_id(authorizable_id: str) -> bool:
    return _ID.fullmatch(authorizable_id) is not None and not authorizable_id.endswith(".")


def user_path(user_id: str) -> str:
    return P.join(USERS_ROOT, user_id)


def group_path(group_id: str) -> str:
    return P.join(GROUPS_ROOT, group_id)


def security_of(repository: Repository) -> SecurityManager:
    """The manager `bootstrap_security` attached to `repository`."""
    manager = _managers.get(repository)
    if manager is None:
        raise RepoError("security has not been bootstrapped for this repository")
    return manager


def strings(node: Node | None, name: str) -> list[str]:
    prop = node.properties.get(name) if node is not None else None
    return [str(v) for v in prop.values] if prop is not None else []


def _load_state(reader: _SqlReader) -> AccessControlState:
    entries: dict[str, list[Ace]] = {}
    for node_id, policy_path in reader.execute(
        "SELECT id, path FROM node WHERE ptype = ?", (REP_ACL,)
    ):
        assert isinstance(node_id, int)
        assert isinstance(policy_path, str)
        if P.name(policy_path) != POLICY_NAME:
            continue
        aces: list[Ace] = []
        for child in reader.children(node_id):
            if child.primary_type not in (REP_GRANT_ACE, REP_DENY_ACE):
                continue
            principal = strings(child, REP_PRINCIPAL_NAME)
            names = tuple(strings(child, REP_PRIVILEGES))
            try:
                mask = PR.mask_of(names)
            except RepoError:
                log.warning("ignoring %s: it names an unknown privilege", child.path)
                continue
            if principal:
                allow = child.primary_type == REP_GRANT_ACE
                aces.append(Ace(child.name, principal[0], allow, names, mask))
        entries[P.parent(policy_path)] = aces
    group_paths = [
        str(path)
        for (path,) in reader.execute("SELECT path FROM node WHERE ptype = ?", (REP_GROUP,))
    ]
    groups = {
        node.name: tuple(strings(node, REP_MEMBERS))
        for node in reader.nodes(group_paths).values()
        if node.parent_path == GROUPS_ROOT
    }
    return AccessControlState(entries, groups)


class SecurityManager:
    """Authentication and authorization services of one repository (see the module docstring)."""

    def __init__(self, repository: Repository, settings: Settings) -> None:
        self.repository = repository
        self.store = repository.store
        self.settings = settings
        self.read_only = settings.role == "publish"
        self.tokens = LoginTokens(b"")
        self._secret = b""
        self._state: AccessControlState | None = None
        self._version = 0
        self._policies: dict[str, AclPolicy] = {}
        self._hashes: dict[str, str | None] = {}
        self._hash_version = 0
        self._verified: OrderedDict[bytes, str] = OrderedDict()
        self._kdf_slots = asyncio.Semaphore(_KDF_SLOTS)
        # Decides who may write on a read-only (publish) instance: the replication receiver
        # of a later issue sets it. (user id, principals) -> bool.
        self.replication_check: Callable[[str, frozenset[str]], bool] = lambda _u, _p: False

    @classmethod
    async def attach(cls, repository: Repository, settings: Settings) -> SecurityManager:
        """Create the manager's table and secret, listen to the journal, register it."""
        manager = cls(repository, settings)

        def prepare(writer: _SqlWriter) -> bytes:
            writer.execute(CREDENTIAL_DDL)
            secret = writer.meta(SECRET_META_KEY)
            if secret is None:
                secret = secrets.token_bytes(32)
                writer.set_meta(SECRET_META_KEY, secret)
            return secret

        manager._secret = await repository.store.write(prepare)
        manager.tokens = LoginTokens(manager._secret)
        repository.store.add_listener(manager._on_commit)
        _managers[repository] = manager
        return manager

    # --- compiled state ---------------------------------------------------------------------
    def invalidate(self) -> None:
        """Forget the compiled ACLs and groups (after any change to them)."""
        self._version += 1
        self._state = None
        self._policies = {}

    async def state(self) -> AccessControlState:
        state = self._state
        if state is not None:
            return state
        version = self._version
        state = await self.store.read(_load_state)
        if version == self._version:
            self._state = state
        return state

    def _is_relevant(self, kind: str, path: str, argument: str | None) -> bool:
        paths = [path, argument] if kind in ("moved", "copied") and argument else [path]
        for p in paths:
            if POLICY_NAME in p or P.is_same_or_descendant(p, HOME):
                return True
        if kind in ("deleted", "moved", "copied") and self._state is not None:
            return any(P.is_same_or_descendant(c, path) for c in self._state.entries)
        return False

    async def _on_commit(self, entry: JournalEntry) -> None:
        if any(self._is_relevant(c.kind, c.path, c.argument) for c in entry.changes):
            self.invalidate()
        gone = [
            P.name(c.path)
            for c in entry.changes
            if c.kind in ("deleted", "moved") and P.parent(c.path) == USERS_ROOT
        ]
        if gone:
            await self._forget_credentials_of_missing(gone)

    async def _forget_credentials_of_missing(self, user_ids: list[str]) -> None:
        """A user node removed through the content API takes its credentials with it."""

        def run(writer: _SqlWriter) -> None:
            for user_id in user_ids:
                if writer.node(user_path(user_id)) is None:
                    writer.execute("DELETE FROM security_credential WHERE user_id = ?", (user_id,))

        await self.store.write(run)
        self._forget_hashes()

    # --- policies ---------------------------------------------------------------------------
    def is_admin(self, user_id: str, state: AccessControlState) -> bool:
        return user_id == ADMIN or ADMINISTRATORS in state.groups_of(user_id)

    async def policy_for(self, user_id: str) -> AclPolicy:
        """The AccessPolicy of `user_id`, shared by its requests until the ACLs change."""
        state = await self.state()
        policy = self._policies.get(user_id)
        if policy is not None and policy.state is state:
            return policy
        principals = state.principals_of(user_id)
        policy = AclPolicy(
            state,
            user_id,
            is_admin=self.is_admin(user_id, state),
            read_only=self.read_only,
            is_replication_user=self.replication_check(user_id, principals),
        )
        if len(self._policies) >= _POLICY_LIMIT:
            self._policies = {}
        if state is self._state:
            self._policies[user_id] = policy
        return policy

    # --- credentials ------------------------------------------------------------------------
    def _forget_hashes(self) -> None:
        self._hash_version += 1
        self._hashes = {}
        self._verified.clear()

    async def password_hash(self, user_id: str) -> str | None:
        if user_id in self._hashes:
            return self._hashes[user_id]
        version = self._hash_version

        def run(reader: _SqlReader) -> str | None:
            rows = reader.execute(
                "SELECT hash FROM security_credential WHERE user_id = ?", (user_id,)
            )
            return str(rows[0][0]) if rows else None

        found = await self.store.read(run)
        if version == self._hash_version:
            if len(self._hashes) >= _VERIFIED_LIMIT:
                self._hashes = {}
            self._hashes[user_id] = found
        return found

    async def hash_password(self, password: str) -> str:
        """A new scrypt hash, computed off the loop in one of a few slots."""
        async with self._kdf_slots:
            return await asyncio.to_thread(hash_password, password)

    async def _verify(self, password: str, stored: str) -> bool:
        async with self._kdf_slots:
            return await asyncio.to_thread(verify_password, password, stored)

    async def set_password(self, user_id: str, password: str) -> None:
        """Store a new hash; ends the user's login tokens."""
        await self.store_hash(user_id, await self.hash_password(password))

    async def store_hash(self, user_id: str, hashed: str) -> None:
        def run(writer: _SqlWriter) -> None:
            writer.execute(
                "INSERT INTO security_credential (user_id, hash, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET hash = excluded.hash, "
                "changed_at = excluded.changed_at",
                (user_id, hashed, int(time.time() * 1000)),
            )

        await self.store.write(run)
        self._forget_hashes()

    async def delete_credentials(self, user_id: str) -> None:
        await self.store.write(
            lambda w: w.execute("DELETE FROM security_credential WHERE user_id = ?", (user_id,))
        )
        self._forget_hashes()

    async def _login_hash(self, user_id: str) -> str | None:
        """The hash of an account that may log in now (user node present, not disabled)."""
        if not is_valid_id(user_id):
            return None
        node = await self.store.get_node(user_path(user_id))
        if node is None or node.primary_type != REP_USER or REP_DISABLED in node.properties:
            return None
        return await self.password_hash(user_id)

    async def authenticate(self, user_id: str, password: str) -> str:
        """The user id if `password` is right; InvalidCredentials otherwise.

        A verified (user, password) pair is remembered by its HMAC for as long as the stored
        hash stays the same, so HTTP Basic costs one scrypt per user, not one per request.
        """
        stored = await self._login_hash(user_id) if password else None
        if stored is None:
            await self._verify(password, DUMMY_HASH)
            raise InvalidCredentials("unknown user or wrong password")
        key = hmac.new(
            self._secret, user_id.encode() + b"\x00" + password.encode(), hashlib.sha256
        ).digest()
        if self._verified.get(key) == stored:
            self._verified.move_to_end(key)
            return user_id
        if not await self._verify(password, stored):
            raise InvalidCredentials("unknown user or wrong password")
        self._verified[key] = stored
        if len(self._verified) > _VERIFIED_LIMIT:
            self._verified.popitem(last=False)
        return user_id

    async def issue_token(self, user_id: str) -> str:
        stored = await self._login_hash(user_id)
        if stored is None:
            raise InvalidCredentials("the account may not log in")
        return self.tokens.issue(user_id, stored)

    async def authenticate_token(self, token: str) -> str:
        """The user id of a valid login token; InvalidLoginToken otherwise."""
        claims = self.tokens.claims(token)
        stored = await self._login_hash(claims.user_id) if claims is not None else None
        if claims is None or stored is None or not self.tokens.verify(token, stored):
            raise InvalidLoginToken("the login token is invalid or expired")
        return claims.user_id


class _SqlWriter(_SqlReader, Protocol):
    def set_meta(self, key: str, value: bytes) -> None: ...
