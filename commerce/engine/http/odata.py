"""One OData request (a whole HTTP request or one ``$batch`` part) -> one response."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlencode

from multidict import CIMultiDict, CIMultiDictProxy

from commerce.engine.errors import (
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    ODataError,
    UnsupportedMediaType,
)
from commerce.engine.http.render import JSON_TYPE, dumps, entity_json, entity_uri, prefers_xml
from commerce.engine.model.edmx import metadata, service_document
from commerce.engine.model.io import IntegrationObject, IOItem
from commerce.engine.model.options import QueryOptions, parse_options
from commerce.engine.model.resource import Resource, ResourceKind
from commerce.engine.model.values import JSONObject, JSONValue
from commerce.engine.service.auth import User, authorize
from commerce.engine.service.engine import Engine, RequestContext, WriteSession
from commerce.engine.service.hooks import hook_name
from commerce.engine.service.reader import Page

Headers = CIMultiDictProxy[str] | CIMultiDict[str]
WRITE_METHODS: Final = frozenset({"POST", "PATCH", "MERGE", "DELETE", "PUT"})


@dataclass(frozen=True, slots=True)
class ODataRequest:
    method: str
    io: IntegrationObject
    resource: Resource
    query: Sequence[tuple[str, str]]
    headers: Headers
    body: bytes
    base: str  # absolute URL of the IO service root, no trailing slash
    user: User


@dataclass(slots=True)
class ODataResponse:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, value: JSONValue, headers: Mapping[str, str] | None = None) -> ODataResponse:
    return ODataResponse(status, dumps(value), f"{JSON_TYPE};charset=utf-8", dict(headers or {}))


def _context(engine: Engine, request: ODataRequest) -> RequestContext:
    headers = request.headers
    return RequestContext(
        user=request.user,
        content_language=engine.language(headers.get("Content-Language")),
        accept_language=engine.language(headers.get("Accept-Language")),
        pre_hook=hook_name(headers.getall("Pre-Persist-Hook", []), "Pre-Persist-Hook"),
        post_hook=hook_name(headers.getall("Post-Persist-Hook", []), "Post-Persist-Hook"),
    )


def _item(io: IntegrationObject, entity_set: str) -> IOItem:
    item = io.item_for_set(entity_set)
    if item is None:
        raise NotFound(f"Could not find an entity set or function import for '{entity_set}'.")
    return item


def _body(request: ODataRequest) -> JSONValue:
    content_type = request.headers.get("Content-Type", JSON_TYPE).split(";")[0].strip().lower()
    if content_type not in (JSON_TYPE, "text/json"):
        raise UnsupportedMediaType(f"Content-Type [{content_type}] is not supported; send JSON.")
    try:
        value: JSONValue = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ODataError(f"The request body is not valid JSON: {exc}") from None
    if isinstance(value, dict) and isinstance(value.get("d"), dict):
        inner = value["d"]  # verbose JSON clients may wrap the entity in {"d": ...}
        assert isinstance(inner, dict)
        return inner
    return value


async def handle(
    engine: Engine, request: ODataRequest, session: WriteSession | None = None
) -> ODataResponse:
    """Dispatch on method and resource; ``session`` is the open changeset transaction, if any."""
    kind = request.resource.kind
    method = "PATCH" if request.method == "MERGE" else request.method
    if kind is ResourceKind.METADATA or kind is ResourceKind.SERVICE:
        if method != "GET":
            raise MethodNotAllowed(f"{method} is not allowed here.")
        authorize(request.user, request.io, "GET", metadata=kind is ResourceKind.METADATA)
        if kind is ResourceKind.METADATA:
            text = metadata(request.io)
            return ODataResponse(200, text.encode(), "application/xml;charset=utf-8")
        accept = request.headers.get("Accept", "")
        if "json" in accept.lower():
            sets: list[JSONValue] = [i.entity_set for i in request.io.items.values()]
            return _json(200, {"d": {"EntitySets": sets}})
        doc = service_document(request.io, request.base)
        return ODataResponse(200, doc.encode(), "application/xml;charset=utf-8")
    if kind is ResourceKind.BATCH:
        raise MethodNotAllowed("$batch cannot be nested.")
    authorize(request.user, request.io, method)
    if prefers_xml(request.headers.get("Accept")):
        raise NotAcceptable("Data endpoints answer JSON only; send Accept: application/json.")
    item = _item(request.io, request.resource.entity_set)
    ctx = _context(engine, request)
    if method == "GET":
        return await _read(engine, request, item, ctx)
    if method not in WRITE_METHODS or method == "PUT":
        raise MethodNotAllowed(f"{request.method} is not allowed.")
    if request.io.builtin and request.io.code != "IntegrationService":
        raise MethodNotAllowed(f"{request.io.code} is read-only.")
    if session is not None:
        return await _write(engine, request, item, ctx, method, session)
    async with engine.write() as own:
        return await _write(engine, request, item, ctx, method, own)


async def _read(
    engine: Engine, request: ODataRequest, item: IOItem, ctx: RequestContext
) -> ODataResponse:
    resource, io, base = request.resource, request.io, request.base
    options = parse_options(request.query)
    if resource.key is None:
        if resource.count:
            return ODataResponse(
                200, str(await engine.count(io, item, options, ctx)).encode(), "text/plain"
            )
        page = await engine.query(io, item, options, ctx)
        return _json(200, {"d": _page(page, base, f"{base}/{item.entity_set}", request, options)})
    if resource.navigation is None:
        entity = await engine.get(io, item, resource.key, options, ctx)
        return _json(200, {"d": entity_json(entity, base, options.select)})
    found = await engine.navigate(
        io, item, resource.key, resource.navigation, options, ctx, count_only=resource.count
    )
    if isinstance(found, int):
        return ODataResponse(200, str(found).encode(), "text/plain")
    if isinstance(found, Page):
        uri = f"{entity_uri(base, item.entity_set, resource.key)}/{resource.navigation}"
        return _json(200, {"d": _page(found, base, uri, request, options)})
    if found is None:
        # An unset reference: OData v2 answers an empty result rather than an error.
        return _json(200, {"d": None})
    return _json(200, {"d": entity_json(found, base, options.select)})


def _page(
    page: Page, base: str, uri: str, request: ODataRequest, options: QueryOptions
) -> JSONObject:
    out: JSONObject = {"results": [entity_json(e, base, options.select) for e in page.entities]}
    if page.count is not None:
        out["__count"] = str(page.count)
    if page.next_offset is not None:
        pairs = [(k, v) for k, v in request.query if k != "$skiptoken"]
        pairs.append(("$skiptoken", str(page.next_offset)))
        out["__next"] = f"{uri}?{urlencode(pairs)}"
    return out


async def _write(
    engine: Engine,
    request: ODataRequest,
    item: IOItem,
    ctx: RequestContext,
    method: str,
    session: WriteSession,
) -> ODataResponse:
    resource, io, base = request.resource, request.io, request.base
    if resource.navigation is not None or resource.count:
        raise MethodNotAllowed(f"{method} on a navigation is not allowed.")
    if any(k.startswith("$") for k, _ in request.query):
        raise MethodNotAllowed(f"{method} takes no query options.")
    sap = engine.settings.sap_status_codes
    if method == "POST":
        if resource.key is not None:
            raise MethodNotAllowed("POST goes to the entity set, not to one item.")
        entity = await engine.create(session, io, item, _body(request), ctx)
        uri = entity_uri(base, item.entity_set, entity.key)
        return _json(201, {"d": entity_json(entity, base)}, {"Location": uri})
    if resource.key is None:
        raise MethodNotAllowed(f"{method} needs the key of one item.")
    if method == "DELETE":
        await engine.delete(session, io, item, resource.key, request.user)
        return ODataResponse(200 if sap else 204)
    entity = await engine.patch(session, io, item, resource.key, _body(request), ctx)
    prefer = request.headers.get("Prefer", "")
    if sap or "return=representation" in prefer:
        return _json(200, {"d": entity_json(entity, base)})
    return ODataResponse(204)
