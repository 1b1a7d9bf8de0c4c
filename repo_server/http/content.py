"""Content handlers (provisional)."""

from __future__ import annotations

from aiohttp import web


def setup_routes(app: web.Application) -> None:
    del app
