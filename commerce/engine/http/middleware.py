"""The one place engine errors become HTTP responses (spec §8); never a traceback to clients."""

from __future__ import annotations

import logging
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from commerce.engine.errors import (
    EngineError,
    MethodNotAllowed,
    NotFound,
    ODataError,
    Unauthorized,
)
from commerce.engine.http.render import dumps, error_body, prefers_xml

log = logging.getLogger(__name__)

REALM: Final = 'Basic realm="odata2webservices"'


class OAuthError(EngineError):
    """Errors of the token endpoint, rendered in RFC 6749 shape instead of OData's."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, oauth_code: str, status: int = 400) -> None:
        super().__init__(message)
        self.oauth_code = oauth_code
        self.oauth_status = status


def _response(request: web.Request, exc: EngineError) -> web.Response:
    if isinstance(exc, OAuthError):
        return web.Response(
            status=exc.oauth_status,
            body=dumps({"error": exc.oauth_code, "error_description": exc.message}),
            content_type="application/json",
        )
    xml = request.path.endswith("/$metadata") or prefers_xml(request.headers.get("Accept"))
    body, content_type = error_body(exc, xml=xml)
    response = web.Response(status=exc.status, body=body)
    response.headers["Content-Type"] = content_type
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = REALM
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except EngineError as exc:
        return _response(request, exc)
    except web.HTTPException as exc:
        if exc.status == 404:
            return _response(request, NotFound(f"Resource [{request.path}] does not exist."))
        if exc.status == 405:
            return _response(request, MethodNotAllowed(f"{request.method} is not allowed."))
        if exc.status == 413:
            too_large = ODataError("The request body is too large.")
            response = _response(request, too_large)
            response.set_status(413)
            return response
        raise
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.path)
        return _response(request, EngineError("An internal error occurred; see the engine log."))
