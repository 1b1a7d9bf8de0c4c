"""Property values as JSON, with the rules of Sling's JSON rendering (sling-http §2.2)."""

from __future__ import annotations

import json
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


def json_response(body: Any) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        content_type="application/json",
        charset="utf-8",
    )
