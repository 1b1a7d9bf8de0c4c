"""Entities and errors in OData v2 verbose JSON (spec §4, §8); errors also as XML."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final
from urllib.parse import quote
from xml.sax.saxutils import escape

from commerce.engine.errors import EngineError
from commerce.engine.model.edmx import METADATA_NS, NAMESPACE, localized_type
from commerce.engine.model.values import JSONObject, JSONValue
from commerce.engine.service.reader import Entity

JSON_TYPE: Final = "application/json"
XML_TYPE: Final = "application/xml"


def entity_uri(base: str, entity_set: str, key: str) -> str:
    # The key is quoted once more inside the URL: a '|' travels as %7C, an escaped one as %257C.
    return f"{base}/{entity_set}('{quote(key.replace(chr(39), chr(39) * 2), safe='')}')"


def entity_json(entity: Entity, base: str, select: Sequence[str] | None = None) -> JSONObject:
    uri = entity_uri(base, entity.item.entity_set, entity.key)
    out: JSONObject = {
        "__metadata": {"id": uri, "uri": uri, "type": f"{NAMESPACE}.{entity.item.code}"}
    }
    wanted = None if select is None else set(select)
    for name, value in entity.values.items():
        if wanted is None or name in wanted:
            out[name] = value
    out["integrationKey"] = entity.key
    if entity.pk < 0:
        return out  # skipped by a pre hook: only the computed key is known
    for attr in entity.item.navigations:
        if attr.name in entity.expanded:
            out[attr.name] = _expanded(entity.expanded[attr.name], base)
        elif wanted is None or attr.name in wanted:
            out[attr.name] = {"__deferred": {"uri": f"{uri}/{attr.name}"}}
    if entity.item.localized:
        if entity.localized is not None:
            meta: JSONValue = {"type": f"{NAMESPACE}.{localized_type(entity.item)}"}
            out["localizedAttributes"] = {
                "results": [{"__metadata": meta, **row} for row in entity.localized]
            }
        elif wanted is None or "localizedAttributes" in wanted:
            out["localizedAttributes"] = {"__deferred": {"uri": f"{uri}/localizedAttributes"}}
    return out


def _expanded(value: Entity | list[Entity] | None, base: str) -> JSONValue:
    if value is None:
        return None
    if isinstance(value, list):
        return {"results": [entity_json(e, base) for e in value]}
    return entity_json(value, base)


def dumps(value: JSONValue) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def error_body(exc: EngineError, *, xml: bool) -> tuple[bytes, str]:
    """The SAP-shaped error document and its content type."""
    if xml:
        text = (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<error xmlns="{METADATA_NS}"><code>{escape(exc.code)}</code>'
            f'<message xml:lang="en">{escape(exc.message)}</message></error>'
        )
        return text.encode(), f"{XML_TYPE};charset=utf-8"
    error: JSONObject = {"code": exc.code, "message": {"lang": "en", "value": exc.message}}
    if exc.inner is not None:
        error["innererror"] = exc.inner
    return dumps({"error": error}), f"{JSON_TYPE};charset=utf-8"


def prefers_xml(accept: str | None) -> bool:
    """True when the client asks for XML and not JSON (spec §8: XML errors then)."""
    if not accept:
        return False
    accept = accept.lower()
    if "json" in accept:
        return False
    return "xml" in accept
