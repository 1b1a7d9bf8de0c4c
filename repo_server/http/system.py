"""System endpoints: the node type registry as JSON, and registering CND over HTTP (admin only)."""

from __future__ import annotations

from aiohttp import web

from repo_server.errors import InvalidInput, PayloadTooLarge
from repo_server.http.keys import repository_key, settings_key
from repo_server.http.post import read_params
from repo_server.http.render import dumps
from repo_server.http.security_http import require_admin


async def node_types(request: web.Request) -> web.Response:
    """`GET /system/nodetypes.json`: every registered node type, by name."""
    registry = request.app[repository_key].registry
    tidy = request.path.endswith(".tidy.json")
    body = {t.name: registry.to_json(t.name) for t in sorted(registry.all(), key=lambda t: t.name)}
    return web.Response(body=dumps(body, tidy), content_type="application/json", charset="utf-8")


def _require_admin(request: web.Request) -> None:
    require_admin(request)  # the admin user or a member of `administrators`


async def register_node_types(request: web.Request) -> web.Response:
    """`POST /system/nodetypes`: CND text as the body (text/plain) or in a `cnd` form field."""
    _require_admin(request)
    limit = request.app[settings_key].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes", limit=limit)
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params = await read_params(request)
        cnd = params.first("cnd")
        if cnd is None:
            files = [v for v in params.all("cnd") if not isinstance(v, str)]
            cnd = files[0].data.decode("utf-8") if files else None
    else:
        cnd = (await request.read()).decode("utf-8")
    if not cnd or not cnd.strip():
        raise InvalidInput("no CND given: send it as the body or in a 'cnd' field")
    names = await request.app[repository_key].register_node_types(cnd)
    return web.json_response({"registered": names}, status=201)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/system/nodetypes.json", node_types, allow_head=True)
    app.router.add_get("/system/nodetypes.tidy.json", node_types, allow_head=True)
    app.router.add_post("/system/nodetypes", register_node_types)
