"""Type-level access rights (spec §7, ``integrationservices.authorization.accessrights.enabled``).

Rights are engine data: rows of the ``AccessRight`` item type (``group``, ``itemType``, ``read``,
``create``, ``change``, ``remove``), edited by admins through ``IntegrationService/AccessRights``.
``itemType`` is a type code or ``Item`` (every type). A permission of a type for a user is decided
over the user's effective groups (their own plus ``integrationusergroup`` when they belong to the
create, view or delete group): first the rows naming the type, then the ``Item`` rows; within a
level an explicit ``false`` wins over ``true`` (so a restriction on ``integrationusergroup``
applies to every integration user); a permission no row grants is refused. Members of
``integrationadmingroup`` are not checked.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from commerce.engine.errors import Forbidden, InvalidAttributeValue
from commerce.engine.model.types import Kind, TypeSystem
from commerce.engine.model.values import JSONObject, JSONValue
from commerce.engine.service.auth import (
    ADMIN_GROUP,
    CREATE_GROUP,
    DELETE_GROUP,
    MONITORING_GROUP,
    USER_GROUP,
    VIEW_GROUP,
)
from commerce.engine.store.schema import q, table
from commerce.engine.store.sqlite import Connection

ANY_TYPE: Final = "Item"
# integrationusergroup is the parent of these three (spec §7).
USER_GROUP_MEMBERS: Final = frozenset({CREATE_GROUP, VIEW_GROUP, DELETE_GROUP})


class Permission(enum.Enum):
    READ = "read"
    CREATE = "create"
    CHANGE = "change"
    REMOVE = "remove"


# What a fresh engine grants, so the out-of-the-box groups keep their spec §7 meaning.
DEFAULT_RIGHTS: Final[tuple[JSONObject, ...]] = (
    {
        "group": ADMIN_GROUP,
        "itemType": ANY_TYPE,
        "read": True,
        "create": True,
        "change": True,
        "remove": True,
    },
    {"group": CREATE_GROUP, "itemType": ANY_TYPE, "create": True, "change": True},
    {"group": VIEW_GROUP, "itemType": ANY_TYPE, "read": True},
    {"group": DELETE_GROUP, "itemType": ANY_TYPE, "remove": True},
    {"group": MONITORING_GROUP, "itemType": "InboundRequest", "read": True},
    {"group": MONITORING_GROUP, "itemType": "InboundRequestError", "read": True},
    {"group": MONITORING_GROUP, "itemType": "IntegrationRequestStatus", "read": True},
    {"group": MONITORING_GROUP, "itemType": "User", "read": True},
)


def effective_groups(groups: Iterable[str]) -> frozenset[str]:
    own = frozenset(groups)
    return own | {USER_GROUP} if own & USER_GROUP_MEMBERS else own


@dataclass(frozen=True, slots=True)
class Right:
    group: str
    item_type: str
    values: dict[Permission, bool | None]


@dataclass(slots=True)
class AccessRights:
    """The rights in force; ``enabled`` false means group-only checks (spec §7)."""

    types: TypeSystem
    known_groups: frozenset[str]
    enabled: bool = True
    # (group, itemType) -> permission -> granted (None: not said)
    rows: dict[tuple[str, str], dict[Permission, bool | None]] = field(default_factory=dict)

    async def load(self, conn: Connection) -> None:
        self.rows = await read_rights(conn, self.types, self.known_groups)

    def allowed(self, groups: frozenset[str], type_code: str, permission: Permission) -> bool:
        if not self.enabled or ADMIN_GROUP in groups:
            return True
        effective = effective_groups(groups)
        for level in (type_code, ANY_TYPE):
            said = [
                row.get(permission)
                for g in effective
                if (row := self.rows.get((g, level))) is not None
            ]
            if False in said:
                return False
            if True in said:
                return True
        return False

    def check(self, uid: str, groups: frozenset[str], type_code: str, permission: str) -> None:
        """Raise Forbidden (403) unless the user may ``permission`` items of ``type_code``."""
        if not self.allowed(groups, type_code, Permission(permission)):
            raise Forbidden(
                f"User [{uid}] has no {permission} access right on type [{type_code}].",
                inner=type_code,
            )

    def removal_types(self, type_code: str) -> list[str]:
        """``type_code`` and every type a delete of it cascades to (partOf collections)."""
        seen: list[str] = []
        pending = [type_code]
        while pending:
            code = pending.pop()
            if code in seen:
                continue
            seen.append(code)
            for a in self.types.types[code].attributes.values():
                if a.kind is Kind.COLLECTION and a.part_of and a.target is not None:
                    pending.append(a.target)
        return seen


async def read_rights(
    conn: Connection, types: TypeSystem, known_groups: frozenset[str]
) -> dict[tuple[str, str], dict[Permission, bool | None]]:
    """Every AccessRight row; raises InvalidAttributeValue for an unknown group or type."""
    names = ", ".join(q(n) for n in ("group", "itemType", *(p.value for p in Permission)))
    rows: dict[tuple[str, str], dict[Permission, bool | None]] = {}
    for group, item_type, *values in await conn.fetchall(
        f"SELECT {names} FROM {table('AccessRight')} ORDER BY pk"
    ):
        if group not in known_groups:
            raise InvalidAttributeValue(
                f"AccessRight group [{group}] is not a user group.", inner=str(group)
            )
        if item_type != ANY_TYPE and item_type not in types.types:
            raise InvalidAttributeValue(
                f"AccessRight itemType [{item_type}] is not an item type.", inner=str(item_type)
            )
        rows[(str(group), str(item_type))] = {
            p: None if v is None else bool(v) for p, v in zip(Permission, values, strict=True)
        }
    return rows


def default_payloads() -> list[JSONValue]:
    return [dict(r) for r in DEFAULT_RIGHTS]
