"""create_app(settings): the aiohttp application of one repository instance."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from repo_server import __version__
from repo_server.config import Settings
from repo_server.extensions import Extensions, apply_to_repository, load_plugins
from repo_server.http.keys import extensions_key, repository_key, settings_key
from repo_server.http.middleware import error_middleware
from repo_server.session.session import Repository
from repo_server.store.sqlite import SQLiteNodeStore

log = logging.getLogger(__name__)


async def health(request: web.Request) -> web.Response:
    repository = request.app[repository_key]
    ok = repository.store.is_open
    return web.json_response(
        {"status": "ok" if ok else "unavailable", "revision": repository.store.head},
        status=200 if ok else 503,
    )


async def version(request: web.Request) -> web.Response:
    settings = request.app[settings_key]
    return web.json_response({"version": __version__, "role": settings.role})


def create_app(
    settings: Settings,
    *,
    extensions: Extensions | None = None,
) -> web.Application:
    """Build the application; the repository opens in the app's cleanup context."""
    from repo_server.http import content, query_http, replication_http, security_http, system

    app = web.Application(
        middlewares=[error_middleware, security_http.auth_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[settings_key] = settings
    ext = extensions or Extensions()
    if extensions is None and settings.load_plugins:
        load_plugins(ext, settings)
    app[extensions_key] = ext

    async def repository_ctx(app: web.Application) -> AsyncIterator[None]:
        store = SQLiteNodeStore(settings.store_path, readers=settings.readers)
        repository = Repository(store)
        apply_to_repository(ext, repository)
        await repository.open()
        app[repository_key] = repository
        try:
            from repo_server.security import bootstrap_security

            await bootstrap_security(repository, settings)
            for startup in ext.startups:
                await startup(app)
            yield
        finally:
            for cleanup in ext.cleanups:
                try:
                    await cleanup(app)
                except Exception:
                    log.exception("plugin cleanup failed")
            await repository.close()

    app.cleanup_ctx.append(repository_ctx)
    app.router.add_get("/system/health", health)
    app.router.add_get("/system/version", version)
    system.setup_routes(app)
    security_http.setup_routes(app)
    query_http.setup_routes(app)
    replication_http.setup_routes(app)
    for setup in ext.routes:
        setup(app)
    content.setup_routes(app)  # last: its catch-all serves every other path
    return app
