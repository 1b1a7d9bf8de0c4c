"""create_app(settings): the engine's aiohttp application."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, unquote

from aiohttp import web

from commerce.engine.config import EngineSettings
from commerce.engine.errors import EngineError, NotFound, Unauthorized
from commerce.engine.http.batch import handle_batch
from commerce.engine.http.keys import engine_key, settings_key
from commerce.engine.http.middleware import OAuthError, error_middleware
from commerce.engine.http.odata import ODataRequest, ODataResponse, handle
from commerce.engine.model.io import IntegrationObject
from commerce.engine.model.resource import Resource, ResourceKind, parse_resource, split_io
from commerce.engine.service.auth import User
from commerce.engine.service.engine import Engine

PREFIX = "/odata2webservices/"


def _origin(request: web.Request, trust_forwarded: bool) -> str:
    # pyodata refuses a __next whose scheme+host differ from the service root (spec §1).
    scheme, host = request.scheme, request.host
    if trust_forwarded:
        scheme = request.headers.get("X-Forwarded-Proto", scheme).split(",")[0].strip()
        host = request.headers.get("X-Forwarded-Host", host).split(",")[0].strip()
    return f"{scheme}://{host}"


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        uid, colon, password = (
            base64.b64decode(value.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (uid, password) if colon else None


async def _authenticate(engine: Engine, request: web.Request, io: IntegrationObject) -> User:
    header = request.headers.get("Authorization", "")
    scheme = header.partition(" ")[0].lower()
    conn = engine.store.reader
    allow_basic = io.builtin or io.authentication == "BASIC"
    allow_bearer = io.builtin or io.authentication == "OAUTH"
    if scheme == "bearer" and allow_bearer:
        return await engine.auth.bearer(conn, header.partition(" ")[2].strip())
    credentials = _basic(header)
    if credentials is not None and allow_basic:
        return await engine.auth.basic(conn, *credentials)
    raise Unauthorized("Authentication required.")


async def odata(request: web.Request) -> web.StreamResponse:
    engine = request.app[engine_key]
    raw_path = request.raw_path.partition("?")[0]
    # Decode the path exactly once (spec §1): keys keep an escaped pipe as %7C.
    io_code, rest = split_io(unquote(raw_path[len(PREFIX) :]))
    io = engine.integration_object(io_code)
    if not io.builtin and io.authentication is None:
        raise NotFound(f"Integration object [{io_code}] is not exposed (no inbound channel).")
    user = await _authenticate(engine, request, io)
    resource = parse_resource(rest)
    base = f"{_origin(request, engine.settings.trust_forwarded)}{PREFIX}{io.code}"
    body = await request.read() if request.body_exists else b""
    if io.builtin or request.method in ("GET", "HEAD"):
        return _to_web(await _dispatch(engine, request, io, user, resource, body, base))
    # Every non-GET request to an integration object is monitored (spec §9).
    key = resource.key or ""
    try:
        result = await _dispatch(engine, request, io, user, resource, body, base)
    except EngineError as exc:
        await _record(engine, request, io, user, key, [(exc.code, exc.message)], body)
        raise
    errors: list[tuple[str, str]] = []
    if resource.kind is ResourceKind.BATCH:
        # A batch is one record, ERROR when any part or changeset failed.
        if b"\nHTTP/1.1 4" in result.body or b"\nHTTP/1.1 5" in result.body:
            errors.append(("batch_error", "A part or changeset of the batch failed."))
    elif request.method == "POST" and result.status == 201:
        try:
            key = str(json.loads(result.body)["d"]["integrationKey"])
        except (ValueError, KeyError, TypeError):
            key = ""
    await _record(engine, request, io, user, key, errors, body)
    return _to_web(result)


async def _record(
    engine: Engine,
    request: web.Request,
    io: IntegrationObject,
    user: User,
    key: str,
    errors: list[tuple[str, str]],
    body: bytes,
) -> None:
    await engine.record_inbound(
        io_code=io.code,
        method=request.method,
        user=user,
        integration_key=key,
        errors=errors,
        message_id=request.headers.get("Integration-Message-Id", ""),
        sap_passport=request.headers.get("SAP-PASSPORT"),
        payload=body,
    )


async def _dispatch(
    engine: Engine,
    request: web.Request,
    io: IntegrationObject,
    user: User,
    resource: Resource,
    body: bytes,
    base: str,
) -> ODataResponse:
    if resource.kind is ResourceKind.BATCH:
        if request.method != "POST":
            raise web.HTTPMethodNotAllowed(request.method, ["POST"])
        result = await handle_batch(engine, io, user, request.headers, body, base)
    else:
        odata_request = ODataRequest(
            method=request.method,
            io=io,
            resource=resource,
            query=parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True),
            headers=request.headers,
            body=body,
            base=base,
            user=user,
        )
        result = await handle(engine, odata_request)
    return result


def _to_web(result: ODataResponse) -> web.Response:
    response = web.Response(status=result.status, body=result.body or None)
    if result.content_type:
        response.headers["Content-Type"] = result.content_type
    response.headers.update(result.headers)
    return response


async def token(request: web.Request) -> web.Response:
    """``POST /authorizationserver/oauth/token`` with grant_type=client_credentials."""
    engine = request.app[engine_key]
    form = await request.post()
    if form.get("grant_type") != "client_credentials":
        raise OAuthError(
            "Only client_credentials is supported.", oauth_code="unsupported_grant_type"
        )
    credentials = _basic(request.headers.get("Authorization", ""))
    if credentials is None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(secret, str):
            raise OAuthError("Client credentials missing.", oauth_code="invalid_client", status=401)
        credentials = (client_id, secret)
    try:
        access = await engine.auth.issue_token(engine.store.reader, *credentials)
    except Unauthorized:
        raise OAuthError(
            "Bad client credentials.", oauth_code="invalid_client", status=401
        ) from None
    return web.json_response(
        {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": engine.settings.token_lifetime,
            "scope": "basic openid",
        }
    )


async def health(request: web.Request) -> web.Response:
    del request
    return web.json_response({"status": "ok"})


def create_app(settings: EngineSettings) -> web.Application:
    """The engine application; the store opens in cleanup_ctx so tests and serve share it."""
    app = web.Application(middlewares=[error_middleware], client_max_size=settings.max_body_bytes)
    app[settings_key] = settings
    engine = Engine(settings)
    app[engine_key] = engine

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        await engine.start()
        yield
        await engine.stop()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_route("*", "/odata2webservices/{tail:.*}", odata)
    app.router.add_post("/authorizationserver/oauth/token", token)
    app.router.add_get("/health", health)
    return app
