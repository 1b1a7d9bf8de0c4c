"""The publish side: the receiver user and applying received packages."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from typing import Final

from repo_server.config import Settings
from repo_server.errors import InvalidInput
from repo_server.model import path as P
from repo_server.model.values import unpack
from repo_server.replication.errors import InvalidPackage, ReplicationPermissionError
from repo_server.replication.package import ApplyPackage, Package, decode, describe
from repo_server.security import privileges as PR
from repo_server.security import users
from repo_server.security.access import set_entry
from repo_server.security.acl import ANONYMOUS, AclPolicy
from repo_server.security.manager import SecurityManager, user_path
from repo_server.security.passwords import random_password
from repo_server.session.session import Repository
from repo_server.store.sqlite import now_ms

log = logging.getLogger(__name__)

PASSWORD_FILE: Final = "replication-password"


def _read_or_write_password(data_dir: str) -> tuple[str, bool]:
    path = os.path.join(data_dir, PASSWORD_FILE)
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip(), False
    except FileNotFoundError:
        pass
    password = random_password()
    os.makedirs(data_dir, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (password + "\n").encode("utf-8"))
    finally:
        os.close(fd)
    return password, True


async def receiver_password(settings: Settings) -> str:
    """The configured password, else the one in DATA_DIR/replication-password (made once)."""
    if settings.replication_password:
        return settings.replication_password
    password, created = await asyncio.to_thread(_read_or_write_password, settings.data_dir)
    if created:
        where = os.path.join(settings.data_dir, PASSWORD_FILE)
        print(f"replication receiver password written to {where} (mode 0600)", flush=True)
    return password


async def ensure_receiver_user(manager: SecurityManager, settings: Settings) -> bool:
    """Create the receiver user with `crx:replicate` on the whole tree (first start only)."""
    user_id = settings.replication_user
    if await manager.store.get_node(user_path(user_id)) is not None:
        return False
    session = manager.repository.session("system")
    await users.create_user(manager, session, user_id, await receiver_password(settings), {})
    await set_entry(manager, session, P.ROOT, user_id, PR.REPLICATE | PR.READ, 0)
    await session.save()
    manager.invalidate()
    log.info("created the replication receiver user %s", user_id)
    return True


def may_receive(policy: AclPolicy, path: str) -> bool:
    return policy.user_id != ANONYMOUS and policy.has(path, PR.REPLICATE)


async def receive(
    repository: Repository,
    policy: AclPolicy,
    body: bytes,
    origin: str | None,
    entry_id: int | None,
) -> dict[str, object]:
    """Apply one package as one atomic save; an entry already applied is acknowledged only.

    Raises InvalidPackage, ReplicationPermissionError, and what the save raises.
    """
    package = decode(body)
    if not may_receive(policy, package.path):
        raise ReplicationPermissionError(
            f"{policy.user_id} may not replicate to {package.path}", path=package.path
        )
    if (origin is None) != (entry_id is None):
        raise InvalidInput("origin and entry id go together")
    session = repository.session(policy.user_id)
    op = ApplyPackage(package, origin, entry_id, now_ms())
    session.queue(op)
    result = await session.save()
    return {
        **describe(package),
        "status": "applied" if op.applied else "duplicate",
        "revision": result.revision,
    }


def decode_batch(body: bytes) -> list[tuple[int, Package]]:
    """The entries of a batch body (`transport.encode_batch`), ids strictly increasing;
    InvalidPackage for anything else."""
    try:
        raw = unpack(body)
        if not isinstance(raw, dict) or raw.get("v") != 1:
            raise InvalidPackage("not a replication batch of a known version")
        items = raw.get("entries")
        if not isinstance(items, list) or not items:
            raise InvalidPackage("a replication batch holds at least one entry")
        pairs = [(int(i), bytes(p)) for i, p in items]
    except InvalidPackage:
        raise
    except Exception as exc:  # anything malformed in an untrusted body is the client's fault
        raise InvalidPackage(f"malformed replication batch: {exc}") from None
    ids = [i for i, _ in pairs]
    if any(b <= a for a, b in itertools.pairwise(ids)):
        raise InvalidPackage("the entry ids of a replication batch must increase")
    return [(i, decode(p)) for i, p in pairs]


async def receive_batch(
    repository: Repository, policy: AclPolicy, body: bytes, origin: str | None
) -> dict[str, object]:
    """Apply consecutive entries of one queue in one session save (one atomic commit): all of
    them or, when anything fails, none. Each entry is checked and recorded as in `receive`, so
    an entry delivered again is acknowledged as a duplicate and not applied twice.

    Raises InvalidPackage, InvalidInput (no origin), ReplicationPermissionError (any entry's
    path), and what the save raises.
    """
    if not origin:
        raise InvalidInput("a replication batch needs its origin")
    entries = decode_batch(body)
    refused = [p.path for _, p in entries if not may_receive(policy, p.path)]
    if refused:
        raise ReplicationPermissionError(
            f"{policy.user_id} may not replicate to {', '.join(refused)}", paths=refused
        )
    session = repository.session(policy.user_id)
    stamp = now_ms()
    applied = [ApplyPackage(package, origin, entry_id, stamp) for entry_id, package in entries]
    for op in applied:
        session.queue(op)
    result = await session.save()
    return {
        "entries": [
            {
                "id": entry_id,
                **describe(op.package),
                "status": "applied" if op.applied else "duplicate",
            }
            for (entry_id, _), op in zip(entries, applied, strict=True)
        ],
        "revision": result.revision,
    }
