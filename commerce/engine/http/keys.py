"""Every AppKey of the engine application."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from commerce.engine.config import EngineSettings
from commerce.engine.service.engine import Engine

settings_key: Final = web.AppKey("settings", EngineSettings)
engine_key: Final = web.AppKey("engine", Engine)
