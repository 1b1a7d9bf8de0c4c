"""Every AppKey of the application."""

from __future__ import annotations

from aiohttp import web

from repo_server.config import Settings
from repo_server.extensions import Extensions
from repo_server.session.session import Repository

settings_key = web.AppKey("settings_key", Settings)
repository_key = web.AppKey("repository_key", Repository)
extensions_key = web.AppKey("extensions_key", Extensions)
