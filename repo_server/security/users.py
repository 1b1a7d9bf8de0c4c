"""User and group management under `/home`: what Sling's user manager servlets do.

Users are `rep:User` nodes at `/home/users/<id>`, groups `rep:Group` nodes at
`/home/groups/<id>` with the member ids in the multi-valued `rep:members`; ids are unique
across both. Passwords never enter the tree (see `manager.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal

from repo_server.model.changes import Change
from repo_server.model.node import Node
from repo_server.model.values import Property, PropertyType
from repo_server.security.acl import ADMIN, ADMINISTRATORS, ANONYMOUS, EVERYONE
from repo_server.security.errors import (
    AuthorizableExists,
    AuthorizableNotFound,
    CyclicMembership,
    InvalidAuthorizableId,
    ProtectedAuthorizable,
    UnknownPrincipal,
)
from repo_server.security.manager import (
    REP_AUTHORIZABLE_ID,
    REP_GROUP,
    REP_MEMBERS,
    REP_PRINCIPAL_NAME,
    REP_USER,
    SecurityManager,
    group_path,
    is_valid_id,
    strings,
    user_path,
)
from repo_server.session.session import ContentSession

Kind = Literal["user", "group"]
PROTECTED: Final = frozenset({ADMIN, ANONYMOUS, ADMINISTRATORS, EVERYONE})
USER_MANAGER: Final = "/system/userManager"


def check_id(authorizable_id: str) -> str:
    if not is_valid_id(authorizable_id) or authorizable_id == EVERYONE:
        raise InvalidAuthorizableId(
            f"{authorizable_id!r} is not a valid user or group id", id=authorizable_id
        )
    return authorizable_id


def path_of(kind: Kind, authorizable_id: str) -> str:
    return user_path(authorizable_id) if kind == "user" else group_path(authorizable_id)


def location_of(kind: Kind, authorizable_id: str) -> str:
    return f"{USER_MANAGER}/{kind}/{authorizable_id}"


def member_id(reference: str) -> str:
    """`:member` values are ids or (relative) user manager paths: `../user/alice`."""
    return reference.rstrip("/").rsplit("/", 1)[-1]


async def find(session: ContentSession, authorizable_id: str) -> tuple[Kind, Node] | None:
    if not is_valid_id(authorizable_id):
        return None
    for kind in ("user", "group"):
        node = await session.get_node(path_of(kind, authorizable_id))
        if node is not None and node.primary_type == (REP_USER if kind == "user" else REP_GROUP):
            return kind, node
    return None


async def get(session: ContentSession, kind: Kind, authorizable_id: str) -> Node:
    found = await find(session, authorizable_id)
    if found is None or found[0] != kind:
        raise AuthorizableNotFound(f"no {kind} {authorizable_id!r}", id=authorizable_id)
    return found[1]


async def create_user(
    manager: SecurityManager,
    session: ContentSession,
    user_id: str,
    password: str,
    properties: Mapping[str, Property],
) -> list[Change]:
    """Add the user node and its credentials; AuthorizableExists if the id is taken."""
    check_id(user_id)
    if await find(session, user_id) is not None:
        raise AuthorizableExists(f"{user_id!r} already exists", id=user_id)
    hashed = await manager.hash_password(password)
    await session.add_node(
        user_path(user_id),
        REP_USER,
        properties={**properties, REP_AUTHORIZABLE_ID: user_id, REP_PRINCIPAL_NAME: user_id},
    )
    # Credentials first: a user node never exists without them, and a stray row left by a
    # failed save is harmless (no node, no login) and overwritten by the next create.
    await manager.store_hash(user_id, hashed)
    try:
        result = await session.save()
    except BaseException:
        await manager.delete_credentials(user_id)
        raise
    return result.changes


async def _checked_members(
    manager: SecurityManager, session: ContentSession, group_id: str, ids: Iterable[str]
) -> list[str]:
    state = await manager.state()
    out = []
    for raw in ids:
        member = member_id(raw)
        if await find(session, member) is None:
            raise UnknownPrincipal(f"no user or group {member!r}", principal=member)
        if member == group_id or group_id in state.members_of(member):
            raise CyclicMembership(f"{member} cannot be a member of {group_id}", member=member)
        out.append(member)
    return out


async def create_group(
    manager: SecurityManager,
    session: ContentSession,
    group_id: str,
    members: Iterable[str],
    properties: Mapping[str, Property],
) -> list[Change]:
    check_id(group_id)
    if await find(session, group_id) is not None:
        raise AuthorizableExists(f"{group_id!r} already exists", id=group_id)
    checked = await _checked_members(manager, session, group_id, members)
    await session.add_node(
        group_path(group_id),
        REP_GROUP,
        properties={
            **properties,
            REP_AUTHORIZABLE_ID: group_id,
            REP_PRINCIPAL_NAME: group_id,
            REP_MEMBERS: Property(PropertyType.STRING, True, tuple(dict.fromkeys(checked))),
        },
    )
    result = await session.save()
    manager.invalidate()
    return result.changes


async def update(
    manager: SecurityManager,
    session: ContentSession,
    kind: Kind,
    authorizable_id: str,
    properties: Mapping[str, Property | None],
    add_members: Iterable[str] = (),
    remove_members: Iterable[str] = (),
) -> list[Change]:
    """Set (None: remove) properties and, for a group, change its members; then save."""
    node = await get(session, kind, authorizable_id)
    for name, prop in properties.items():
        if prop is not None or name in node.properties:
            await session.set_property(node.path, name, prop)
    adding = list(add_members)
    removing = {member_id(m) for m in remove_members}
    if kind == "group" and (adding or removing):
        current = strings(node, REP_MEMBERS)
        added = await _checked_members(manager, session, authorizable_id, adding)
        members = [m for m in dict.fromkeys([*current, *added]) if m not in removing]
        await session.set_property(
            node.path, REP_MEMBERS, Property(PropertyType.STRING, True, tuple(members))
        )
    result = await session.save()
    manager.invalidate()
    return result.changes


async def delete(
    manager: SecurityManager, session: ContentSession, kind: Kind, authorizable_id: str
) -> list[Change]:
    """Remove the account, its memberships and (for a user) its credentials."""
    node = await get(session, kind, authorizable_id)
    if authorizable_id in PROTECTED:
        raise ProtectedAuthorizable(f"{authorizable_id} cannot be deleted", id=authorizable_id)
    state = await manager.state()
    for group in state.declared_groups(authorizable_id):
        holder = await session.get_node(group_path(group))
        if holder is not None:
            members = tuple(m for m in strings(holder, REP_MEMBERS) if m != authorizable_id)
            await session.set_property(
                holder.path, REP_MEMBERS, Property(PropertyType.STRING, True, members)
            )
    await session.remove(node.path)
    result = await session.save()
    if kind == "user":
        await manager.delete_credentials(authorizable_id)
    manager.invalidate()
    return result.changes


async def describe(manager: SecurityManager, kind: Kind, node: Node) -> dict[str, object]:
    """The JSON of `GET /system/userManager/<kind>/<id>.json` (never any credential)."""
    state = await manager.state()
    out: dict[str, object] = {}
    for name, prop in node.properties.items():
        if name.startswith(("rep:", "jcr:")):
            continue
        values = [str(v) for v in prop.values]
        out[name] = values if prop.multiple else values[0]
    authorizable_id = node.name

    def refs(ids: Iterable[str]) -> list[str]:
        found = []
        for i in ids:
            target: Kind = "group" if i in state.groups else "user"
            found.append(location_of(target, i))
        return found

    out["declaredMemberOf"] = refs(state.declared_groups(authorizable_id))
    out["memberOf"] = refs(state.groups_of(authorizable_id))
    if kind == "group":
        out["declaredMembers"] = refs(strings(node, REP_MEMBERS))
        out["members"] = refs(state.members_of(authorizable_id))
    out["path"] = node.path
    out["principalName"] = authorizable_id
    return out
