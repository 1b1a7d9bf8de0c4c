"""Property values as JSON, with the rules of Sling's JSON rendering (sling-http §2.2)."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from commerce.repo import PropertyValue
from repo_server.model.values import Binary, format_ecma_date


def json_value(value: PropertyValue) -> Any:
    """Decimal as a string ("14.00": money never becomes a float), dates as Sling writes them."""
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return format_ecma_date(value)
    if isinstance(value, Binary):
        return value.length
    return value


def json_properties(props: Mapping[str, PropertyValue]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in props.items():
        binary = isinstance(value, Binary) or (
            isinstance(value, list) and any(isinstance(v, Binary) for v in value)
        )
        out[f":{name}" if binary else name] = json_value(value)
    return out


def json_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(body: Any) -> web.Response:
    raw = body if isinstance(body, bytes) else json_bytes(body)
    return web.Response(body=raw, content_type="application/json", charset="utf-8")


class RenderCache:
    """Rendered bodies by (path, query, user), each valid for the store revision it was
    rendered at: any commit makes every entry stale, so no invalidation is needed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, ...], tuple[int, bytes]] = OrderedDict()

    def get(self, key: tuple[str, ...], revision: int) -> bytes | None:
        hit = self._entries.get(key)
        if hit is None or hit[0] != revision:
            return None
        self._entries.move_to_end(key)
        return hit[1]

    def put(self, key: tuple[str, ...], revision: int, body: bytes) -> None:
        if self.size <= 0:
            return
        self._entries[key] = (revision, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
