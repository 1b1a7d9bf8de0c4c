"""Compiled access control: ACEs by controlled node, group membership, and the per-user policy.

Evaluation follows Jackrabbit's path-based ACLs, simplified to a fixed precedence instead of
entry order: for each privilege, walk from the node up to the root; the nearest node with an
entry for one of the user's principals decides. At one node, entries naming the user beat
entries naming one of its groups (or `everyone`), and deny beats allow among equals.
Privileges are bit sets (`privileges.py`), so a node's result is its parent's result with the
bits decided at the node replaced: one dict lookup per ancestor, memoized per user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from repo_server.model import path as P
from repo_server.security import privileges as PR

POLICY_NAME: Final = "rep:policy"
HOME: Final = "/home"
USERS_ROOT: Final = "/home/users"
GROUPS_ROOT: Final = "/home/groups"
EVERYONE: Final = "everyone"
ADMIN: Final = "admin"
ANONYMOUS: Final = "anonymous"
ADMINISTRATORS: Final = "administrators"
AUTHORS: Final = "authors"
_MEMO_LIMIT: Final = 50_000


@dataclass(frozen=True, slots=True)
class Ace:
    """One access control entry as stored under `<node>/rep:policy/<name>`."""

    name: str
    principal: str
    allow: bool
    privileges: tuple[str, ...]
    mask: int


@dataclass
class AccessControlState:
    """A snapshot of every ACL and every group's members, compiled from the store."""

    entries: dict[str, list[Ace]] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _containers: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for group, members in self.groups.items():
            for member in members:
                self._containers.setdefault(member, set()).add(group)

    def declared_groups(self, authorizable_id: str) -> list[str]:
        return sorted(self._containers.get(authorizable_id, ()))

    def groups_of(self, authorizable_id: str) -> list[str]:
        """Every group `authorizable_id` belongs to, directly or through nested groups."""
        seen: set[str] = set()
        todo = [authorizable_id]
        while todo:
            for group in self._containers.get(todo.pop(), ()):
                if group not in seen:
                    seen.add(group)
                    todo.append(group)
        seen.discard(authorizable_id)
        return sorted(seen)

    def members_of(self, group_id: str) -> list[str]:
        """Every member of `group_id`, nested groups expanded (the groups included)."""
        seen: set[str] = set()
        todo = [group_id]
        while todo:
            for member in self.groups.get(todo.pop(), ()):
                if member not in seen:
                    seen.add(member)
                    todo.append(member)
        seen.discard(group_id)
        return sorted(seen)

    def principals_of(self, user_id: str) -> frozenset[str]:
        return frozenset([user_id, EVERYONE, *self.groups_of(user_id)])


def controlled_path(path: str) -> str | None:
    """The node whose ACL `path` belongs to, if `path` is a `rep:policy` node or inside one."""
    marker = "/" + POLICY_NAME
    cut = path.find(marker)
    while cut != -1:
        end = cut + len(marker)
        if end == len(path) or path[end] == "/":
            return path[:cut] or P.ROOT
        cut = path.find(marker, end)
    return None


def combine(aces: Iterable[Ace], user_id: str, principals: frozenset[str], inherited: int) -> int:
    """The privileges at a node: its matching entries decide, the rest is inherited."""
    user_allow = user_deny = group_allow = group_deny = 0
    for ace in aces:
        if ace.principal == user_id:
            if ace.allow:
                user_allow |= ace.mask
            else:
                user_deny |= ace.mask
        elif ace.principal in principals:
            if ace.allow:
                group_allow |= ace.mask
            else:
                group_deny |= ace.mask
    user_decided = user_allow | user_deny
    group_decided = group_allow | group_deny
    return (
        (user_allow & ~user_deny)
        | (group_allow & ~group_deny & ~user_decided)
        | (inherited & ~user_decided & ~group_decided)
    )


class AclPolicy:
    """The AccessPolicy of one user over one AccessControlState (see the module docstring).

    Rules above the ACLs: administrators may do everything; a `rep:policy` subtree needs
    `jcr:readAccessControl` / `jcr:modifyAccessControl` on the node it controls; `/home` shows
    a user only their own node and is written only through the user manager; a read-only
    instance (publish) refuses every content write except a replication user's, also an
    administrator's.
    """

    def __init__(
        self,
        state: AccessControlState,
        user_id: str,
        *,
        is_admin: bool = False,
        read_only: bool = False,
        is_replication_user: bool = False,
    ) -> None:
        self.state = state
        self.user_id = user_id
        self.principals = state.principals_of(user_id)
        self.is_admin = is_admin
        self.read_only = read_only
        self.is_replication_user = is_replication_user
        self._home = P.join(USERS_ROOT, user_id)
        self._memo: dict[str, int] = {}

    def privileges(self, path: str) -> int:
        """The bit set of privileges granted on `path` by the ACLs alone."""
        if self.is_admin:
            return PR.ALL
        memo = self._memo
        found = memo.get(path)
        if found is not None:
            return found
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        chain = [path]
        inherited = 0
        current = path
        while current != P.ROOT:
            current = P.parent(current)
            known = memo.get(current)
            if known is not None:
                inherited = known
                break
            chain.append(current)
        entries = self.state.entries
        for node_path in reversed(chain):
            aces = entries.get(node_path)
            if aces:
                inherited = combine(aces, self.user_id, self.principals, inherited)
            memo[node_path] = inherited
        return inherited

    def has(self, path: str, mask: int) -> bool:
        return self.privileges(path) & mask == mask

    def can_read(self, path: str) -> bool:
        if self.is_admin:
            return True
        owner = controlled_path(path)
        if owner is not None:
            return self.can_read_access_control(owner)
        if P.is_same_or_descendant(path, HOME):
            return self.user_id != ANONYMOUS and P.is_same_or_descendant(path, self._home)
        return self.has(path, PR.READ)

    def can_write(self, path: str) -> bool:
        # A publish instance takes content only through replication (issue 3), from anyone:
        # administrators manage users there through the user manager, not the content API.
        if self.read_only and not self.is_replication_user:
            return False
        if self.is_admin:
            return True
        owner = controlled_path(path)
        if owner is not None:
            return self.has(owner, PR.MODIFY_ACL)
        if P.is_same_or_descendant(path, HOME):
            return False
        return self.has(path, PR.WRITE)

    def can_modify_access_control(self, path: str) -> bool:
        return self.has(path, PR.MODIFY_ACL)

    def can_read_access_control(self, path: str) -> bool:
        # Who may change an ACL may see it: jcr:modifyAccessControl implies reading it.
        return self.privileges(path) & (PR.READ_ACL | PR.MODIFY_ACL) != 0


def effective_entries(
    state: AccessControlState, path: str
) -> dict[str, tuple[int, int, list[str]]]:
    """Per principal: (allowed bits, denied bits, declaring paths) in force at `path`.

    Nearest declaration wins per privilege and deny beats allow at one node, as in evaluation
    (without the user-over-group precedence, which depends on who asks).
    """
    out: dict[str, tuple[int, int, list[str]]] = {}
    for node_path in [path, *P.ancestors(path)]:
        here: dict[str, tuple[int, int]] = {}
        for ace in state.entries.get(node_path, ()):
            allow, deny = here.get(ace.principal, (0, 0))
            here[ace.principal] = (
                (allow | ace.mask, deny) if ace.allow else (allow, deny | ace.mask)
            )
        for principal, (node_allow, node_deny) in here.items():
            allow, deny, where = out.get(principal, (0, 0, []))
            decided = allow | deny
            new_deny = node_deny & ~decided
            new_allow = node_allow & ~node_deny & ~decided
            if new_allow | new_deny:
                out[principal] = (allow | new_allow, deny | new_deny, [*where, node_path])
    return out
