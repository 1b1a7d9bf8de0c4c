"""integrationKey: segment aliases and values, escaped and joined exactly as spec §3."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from commerce.engine.errors import InvalidKey

_UNESCAPE_RE: Final = re.compile(r"%(25|7[Cc])")


def escape_part(text: str) -> str:
    # '%' first so the escape of '|' stays reversible (spec §3: our addition to SAP's pipe escape).
    return text.replace("%", "%25").replace("|", "%7C")


def unescape_part(text: str) -> str:
    return _UNESCAPE_RE.sub(lambda m: "%" if m.group(1) == "25" else "|", text)


def join_key(parts: Sequence[str]) -> str:
    """The integrationKey for already-ordered canonical parts."""
    return "|".join(escape_part(p) for p in parts)


def split_key(key: str, count: int) -> list[str]:
    """Inverse of join_key; raises InvalidKey when the key does not have ``count`` segments."""
    parts = key.split("|")
    if len(parts) != count:
        raise InvalidKey(
            f"The integration key [{key}] has {len(parts)} segment(s); {count} expected.",
            inner=key,
        )
    return [unescape_part(p) for p in parts]


def sort_segments(names: Sequence[str]) -> list[str]:
    # Plain code-point order, case-sensitive: "CatalogVersion_version" < "Catalog_id" ('V' < '_').
    return sorted(names)
