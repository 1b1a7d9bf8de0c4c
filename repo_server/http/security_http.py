"""Authentication middleware and login endpoints (provisional: everyone is admin)."""

from __future__ import annotations

from aiohttp import web

from repo_server.http.keys import repository_key
from repo_server.http.middleware import Handler
from repo_server.session.session import ContentSession


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request["user_id"] = "admin"
    return await handler(request)


def session_for(request: web.Request) -> ContentSession:
    """A new session for the request's user with the user's access policy."""
    return request.app[repository_key].session(request.get("user_id", "anonymous"), request.get("access"))


def setup_routes(app: web.Application) -> None:
    del app
