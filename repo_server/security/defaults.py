"""First start: the built-in accounts, the `/home` folders and the default access control."""

from __future__ import annotations

import asyncio
import os
from typing import Final

from repo_server.model import path as P
from repo_server.model.values import Property, PropertyType
from repo_server.security import privileges as PR
from repo_server.security.access import set_entry
from repo_server.security.acl import (
    ADMIN,
    ADMINISTRATORS,
    ANONYMOUS,
    AUTHORS,
    EVERYONE,
    GROUPS_ROOT,
    HOME,
    USERS_ROOT,
)
from repo_server.security.manager import (
    REP_AUTHORIZABLE_ID,
    REP_GROUP,
    REP_MEMBERS,
    REP_PRINCIPAL_NAME,
    REP_USER,
    SecurityManager,
    group_path,
    user_path,
)
from repo_server.security.passwords import random_password
from repo_server.session.session import ContentSession

AUTHORIZABLE_FOLDER: Final = "rep:AuthorizableFolder"
PASSWORD_FILE: Final = "admin-password"

# Folders the default entries sit on, with the types the fixtures give them (fixtures/roots).
FOLDERS: Final = (
    ("/content", "sling:OrderedFolder"),
    ("/etc", "sling:Folder"),
    ("/etc/commerce", "sling:Folder"),
)

# (node, principal, allowed): authors read everything and write the content and the catalog;
# everyone (anonymous included) reads /content. On an author instance anonymous requests
# never get this far (401), on a publish instance this is what anonymous visitors see.
DEFAULT_ENTRIES: Final = (
    (P.ROOT, AUTHORS, PR.READ),
    ("/content", AUTHORS, PR.READ | PR.WRITE),
    ("/content", EVERYONE, PR.READ),
    ("/etc/commerce", AUTHORS, PR.READ | PR.WRITE),
)


async def _ensure(session: ContentSession, path: str, primary_type: str, **props: object) -> None:
    if not await session.exists(path):
        await session.add_node(path, primary_type, properties=props)


async def _ensure_authorizable(
    session: ContentSession, kind: str, authorizable_id: str, members: tuple[str, ...] = ()
) -> None:
    props: dict[str, object] = {
        REP_AUTHORIZABLE_ID: authorizable_id,
        REP_PRINCIPAL_NAME: authorizable_id,
    }
    if kind == "group":
        props[REP_MEMBERS] = Property(PropertyType.STRING, True, members)
        await _ensure(session, group_path(authorizable_id), REP_GROUP, **props)
    else:
        await _ensure(session, user_path(authorizable_id), REP_USER, **props)


async def install_defaults(manager: SecurityManager) -> None:
    """Create what a first start needs (idempotent: only what is missing)."""
    session = manager.repository.session("system")
    for folder in (HOME, USERS_ROOT, GROUPS_ROOT):
        await _ensure(session, folder, AUTHORIZABLE_FOLDER)
    await _ensure_authorizable(session, "user", ADMIN)
    await _ensure_authorizable(session, "user", ANONYMOUS)
    await _ensure_authorizable(session, "group", AUTHORS)
    await _ensure_authorizable(session, "group", ADMINISTRATORS, (ADMIN,))
    for folder, primary_type in FOLDERS:
        await _ensure(session, folder, primary_type)
    await session.save()
    manager.invalidate()
    for node_path, principal, allow in DEFAULT_ENTRIES:
        await set_entry(manager, session, node_path, principal, allow, 0)
    await session.save()
    manager.invalidate()


def _write_password_file(data_dir: str, password: str) -> str:
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, PASSWORD_FILE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (password + "\n").encode("utf-8"))
    finally:
        os.close(fd)
    # The one place a password is shown: stdout on first start, never the log.
    print(f"admin password (first start): {password}  (also in {path}, mode 0600)", flush=True)
    return path


async def set_first_admin_password(manager: SecurityManager, configured: str | None) -> None:
    """The configured admin password, or a random one written to DATA_DIR/admin-password."""
    password = configured
    if not password:
        password = random_password()
        await asyncio.to_thread(_write_password_file, manager.settings.data_dir, password)
    await manager.set_password(ADMIN, password)
