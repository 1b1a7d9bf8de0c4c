"""`SessionContext` (commerce-api §4): who is shopping, in which locale, with which cookies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# (name, value, max_age seconds (0 deletes), http_only)
SetCookie = Callable[[str, str, int, bool], None]


def _no_cookie(name: str, value: str, max_age: int, http_only: bool) -> None:
    return None


@dataclass(slots=True)
class SessionContext:
    user_id: str | None = None  # None: anonymous
    locale: str = "en_US"
    cookies: Mapping[str, str] = field(default_factory=dict)
    set_cookie: SetCookie = _no_cookie
    segments: frozenset[str] = frozenset()
    attributes: dict[str, Any] = field(default_factory=dict)
