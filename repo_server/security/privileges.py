"""Privileges: the JCR/Jackrabbit names, their aggregates and a bit set to evaluate them fast."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from repo_server.security.errors import InvalidPrivilege

JCR_READ: Final = "jcr:read"
JCR_WRITE: Final = "jcr:write"
REP_WRITE: Final = "rep:write"
JCR_READ_ACCESS_CONTROL: Final = "jcr:readAccessControl"
JCR_MODIFY_ACCESS_CONTROL: Final = "jcr:modifyAccessControl"
CRX_REPLICATE: Final = "crx:replicate"
JCR_ALL: Final = "jcr:all"

# Non-aggregate privileges, one bit each.
_BASE: Final = (
    JCR_READ,
    "jcr:modifyProperties",
    "jcr:addChildNodes",
    "jcr:removeNode",
    "jcr:removeChildNodes",
    "jcr:nodeTypeManagement",
    JCR_READ_ACCESS_CONTROL,
    JCR_MODIFY_ACCESS_CONTROL,
    CRX_REPLICATE,
    "jcr:lockManagement",
    "jcr:versionManagement",
)
BITS: Final[dict[str, int]] = {name: 1 << i for i, name in enumerate(_BASE)}

READ: Final = BITS[JCR_READ]
WRITE_JCR: Final = (
    BITS["jcr:modifyProperties"]
    | BITS["jcr:addChildNodes"]
    | BITS["jcr:removeNode"]
    | BITS["jcr:removeChildNodes"]
)
WRITE: Final = WRITE_JCR | BITS["jcr:nodeTypeManagement"]
READ_ACL: Final = BITS[JCR_READ_ACCESS_CONTROL]
MODIFY_ACL: Final = BITS[JCR_MODIFY_ACCESS_CONTROL]
REPLICATE: Final = BITS[CRX_REPLICATE]
ALL: Final = (1 << len(_BASE)) - 1

# Aggregates, largest first: `names_of` prefers them when a mask covers them entirely.
AGGREGATES: Final[dict[str, int]] = {JCR_ALL: ALL, REP_WRITE: WRITE, JCR_WRITE: WRITE_JCR}
MASKS: Final[dict[str, int]] = {**AGGREGATES, **BITS}


def mask_of(names: Iterable[str]) -> int:
    """The bit set of privilege names; InvalidPrivilege for an unknown one."""
    mask = 0
    for name in names:
        bits = MASKS.get(name)
        if bits is None:
            raise InvalidPrivilege(f"unknown privilege {name!r}", privilege=name)
        mask |= bits
    return mask


def names_of(mask: int) -> list[str]:
    """The fewest privilege names covering exactly `mask` (aggregates where whole)."""
    out: list[str] = []
    for name, bits in AGGREGATES.items():
        if mask & bits == bits:
            out.append(name)
            mask &= ~bits
    out.extend(name for name, bit in BITS.items() if mask & bit)
    return out
