"""The publish side: the receiver user and applying received packages."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Final

from repo_server.config import Settings
from repo_server.errors import InvalidInput
from repo_server.model import path as P
from repo_server.replication.errors import ReplicationPermissionError
from repo_server.replication.package import ApplyPackage, decode, describe
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
