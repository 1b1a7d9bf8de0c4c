"""Editing access control lists: Sling's modifyAce / deleteAce on `<node>/rep:policy`.

Like Sling's `AccessControlUtil.replaceAccessControlEntry`, a node keeps at most one allow
and one deny entry per principal: a change merges into them, and entries left empty go.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from repo_server.errors import InvalidValue
from repo_server.model import path as P
from repo_server.model.changes import Change
from repo_server.model.values import Property, PropertyType
from repo_server.security import privileges as PR
from repo_server.security.acl import EVERYONE, POLICY_NAME, AccessControlState, controlled_path
from repo_server.security.errors import UnknownPrincipal
from repo_server.security.manager import (
    REP_ACL,
    REP_DENY_ACE,
    REP_GRANT_ACE,
    REP_PRINCIPAL_NAME,
    REP_PRIVILEGES,
    SecurityManager,
    strings,
)
from repo_server.session.session import ContentSession

ACCESS_CONTROLLABLE: Final = "rep:AccessControllable"
GRANTED: Final = frozenset({"granted", "allow", "allowed"})
DENIED: Final = frozenset({"denied", "deny"})
NONE: Final = frozenset({"none", ""})


def parse_changes(fields: Iterable[tuple[str, str]]) -> dict[int, str]:
    """`privilege@<name>=granted|denied|none` form fields as (privilege bits -> verdict)."""
    out: dict[int, str] = {}
    for key, value in fields:
        if not key.startswith("privilege@"):
            continue
        mask = PR.mask_of([key.removeprefix("privilege@")])
        verdict = value.strip().lower()
        if verdict in GRANTED:
            out[mask] = "granted"
        elif verdict in DENIED:
            out[mask] = "denied"
        elif verdict in NONE:
            out[mask] = "none"
        else:
            raise InvalidValue(
                f"{key}: expected granted, denied or none, not {value!r}", field=key, value=value
            )
    return out


async def _check_principal(manager: SecurityManager, principal: str) -> None:
    state = await manager.state()
    if principal == EVERYONE or principal in state.groups:
        return
    user = await manager.store.get_node(P.join("/home/users", principal)) if principal else None
    if user is None:
        raise UnknownPrincipal(f"no user or group {principal!r}", principal=principal)


async def _entries(session: ContentSession, node_path: str) -> list[tuple[str, str, bool, int]]:
    """(name, principal, allow, bits) of the entries stored at `node_path`."""
    policy = P.join(node_path, POLICY_NAME)
    if not await session.exists(policy):
        return []
    out = []
    for child in await session.children(policy):
        if child.primary_type in (REP_GRANT_ACE, REP_DENY_ACE):
            principal = strings(child, REP_PRINCIPAL_NAME)
            bits = PR.mask_of(strings(child, REP_PRIVILEGES))
            out.append(
                (
                    child.name,
                    principal[0] if principal else "",
                    child.primary_type == REP_GRANT_ACE,
                    bits,
                )
            )
    return out


def _checked_node_path(path: str) -> str:
    path = P.normalize(path)
    if controlled_path(path) is not None:
        raise InvalidValue(f"{path} is access control content itself", path=path)
    return path


async def _rewrite(
    session: ContentSession, node_path: str, principal: str, allow: int, deny: int
) -> None:
    """Replace `principal`'s entries at `node_path` by one allow and one deny entry."""
    existing = await _entries(session, node_path)
    policy = P.join(node_path, POLICY_NAME)
    for name, who, _allow, _bits in existing:
        if who == principal:
            await session.remove(P.join(policy, name))
    if not allow and not deny:
        if existing and all(who == principal for _n, who, _a, _b in existing):
            await session.remove(policy)
        return
    if not await session.exists(policy):
        await session.add_mixin(node_path, ACCESS_CONTROLLABLE)
        await session.add_node(policy, REP_ACL)
    taken = {name for name, *_ in existing}
    for kind, bits, stem in ((REP_GRANT_ACE, allow, "allow"), (REP_DENY_ACE, deny, "deny")):
        if not bits:
            continue
        name, n = stem, 0
        while name in taken:
            name, n = f"{stem}{n}", n + 1
        taken.add(name)
        await session.add_node(
            P.join(policy, name),
            kind,
            properties={
                REP_PRINCIPAL_NAME: principal,
                REP_PRIVILEGES: Property(PropertyType.STRING, True, tuple(PR.names_of(bits))),
            },
        )


async def set_entry(
    manager: SecurityManager,
    session: ContentSession,
    path: str,
    principal: str,
    allow: int,
    deny: int,
) -> None:
    """Make `principal`'s entries at `path` exactly (allow, deny) in the session (no save)."""
    await _check_principal(manager, principal)
    await session.node(path)
    await _rewrite(session, _checked_node_path(path), principal, allow & ~deny, deny)


async def modify_ace(
    manager: SecurityManager,
    session: ContentSession,
    path: str,
    principal: str,
    changes: Mapping[int, str],
) -> list[Change]:
    """Apply privilege verdicts for `principal` at `path` and save; the new change list."""
    path = _checked_node_path(path)
    await session.node(path)
    await _check_principal(manager, principal)
    allow = deny = 0
    for _name, who, is_allow, bits in await _entries(session, path):
        if who == principal:
            if is_allow:
                allow |= bits
            else:
                deny |= bits
    for bits, verdict in changes.items():
        allow &= ~bits
        deny &= ~bits
        if verdict == "granted":
            allow |= bits
        elif verdict == "denied":
            deny |= bits
    await _rewrite(session, path, principal, allow, deny)
    result = await session.save()
    manager.invalidate()
    return result.changes


async def delete_aces(
    manager: SecurityManager, session: ContentSession, path: str, principals: Iterable[str]
) -> list[Change]:
    """Remove every entry of `principals` at `path` and save."""
    path = _checked_node_path(path)
    await session.node(path)
    for principal in dict.fromkeys(principals):
        await _rewrite(session, path, principal, 0, 0)
    result = await session.save()
    manager.invalidate()
    return result.changes


def ace_json(principal: str, allow: int, deny: int, order: int) -> dict[str, object]:
    """One principal's entry as Sling's GetAclServlet renders it (old and new shapes)."""
    privileges: dict[str, dict[str, bool]] = {}
    for name in PR.names_of(allow):
        privileges[name] = {"allow": True}
    for name in PR.names_of(deny):
        privileges[name] = {"deny": True}
    return {
        "principal": principal,
        "granted": PR.names_of(allow),
        "denied": PR.names_of(deny),
        "order": order,
        "privileges": privileges,
    }


def declared_json(state: AccessControlState, path: str) -> dict[str, object]:
    merged: dict[str, tuple[int, int]] = {}
    for ace in state.entries.get(path, ()):
        allow, deny = merged.get(ace.principal, (0, 0))
        merged[ace.principal] = (allow | ace.mask, deny) if ace.allow else (allow, deny | ace.mask)
    return {
        principal: ace_json(principal, allow & ~deny, deny, i)
        for i, (principal, (allow, deny)) in enumerate(merged.items())
    }
