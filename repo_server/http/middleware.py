"""The one place where errors become HTTP responses: `{"status", "code", "message", "details"}`."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from repo_server.errors import RepoError, StaleRevision, Unauthorized, Unavailable

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_AIOHTTP_CODES = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def error_body(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> bytes:
    body = {"status": status, "code": code, "message": message, "details": details or {}}
    return json.dumps(body, default=str).encode("utf-8")


def error_response(exc: RepoError) -> web.Response:
    resp = web.Response(
        status=exc.status,
        body=error_body(exc.status, exc.code, exc.message, exc.details),
        content_type="application/json",
        charset="utf-8",
    )
    if isinstance(exc, StaleRevision) and "revision" in exc.details:
        resp.headers["ETag"] = f'"{exc.details["revision"]}"'
    if isinstance(exc, Unavailable):
        resp.headers["Retry-After"] = str(exc.details.get("retry_after", 5))
    if isinstance(exc, Unauthorized):
        resp.headers["WWW-Authenticate"] = 'Basic realm="repository"'
    return resp


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RepoError as exc:
        if exc.status >= 500 and not isinstance(exc, Unavailable):
            log.error("%s %s failed: %s", request.method, request.path, exc, exc_info=exc)
        return error_response(exc)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        code = _AIOHTTP_CODES.get(exc.status, "http-error")
        resp = web.Response(
            status=exc.status,
            body=error_body(exc.status, code, exc.reason),
            content_type="application/json",
            charset="utf-8",
        )
        for name in ("Allow", "WWW-Authenticate", "Retry-After"):
            if name in exc.headers:
                resp.headers[name] = exc.headers[name]
        return resp
    except (ValueError, UnicodeDecodeError, HttpProcessingError) as exc:
        # Malformed input that aiohttp surfaced while parsing (bad multipart, bad charset;
        # HttpProcessingError: a multipart part's headers that do not parse).
        return web.Response(
            status=400,
            body=error_body(400, "bad-request", f"malformed request: {exc}"),
            content_type="application/json",
            charset="utf-8",
        )
    except Exception:
        log.exception("%s %s failed unexpectedly", request.method, request.path)
        return web.Response(
            status=500,
            body=error_body(500, "internal", "internal server error"),
            content_type="application/json",
            charset="utf-8",
        )
