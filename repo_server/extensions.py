"""Extension points for plugins: GET renderers by selector and extension, POST operations,
node types, services and commit hooks. Plugins are found through the `repo_server.plugins`
entry point group and get a `PluginContext` to register with; `repo_server` imports no plugin.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from repo_server.services import ServiceRegistry

if TYPE_CHECKING:
    from aiohttp import web

    from repo_server.config import Settings
    from repo_server.session.commit import CommitHook
    from repo_server.session.session import ContentSession, Repository

log = logging.getLogger(__name__)

# (request, session, resource path, selectors) -> response
Renderer = Callable[
    ["web.Request", "ContentSession", str, tuple[str, ...]], Awaitable["web.StreamResponse"]
]
# (request, session, resource path, form fields) -> response
PostOperation = Callable[
    ["web.Request", "ContentSession", str, Any], Awaitable["web.StreamResponse"]
]
Startup = Callable[["web.Application"], Awaitable[None]]


@dataclass
class Extensions:
    """Everything plugins registered, consulted by the HTTP layer and the repository."""

    services: ServiceRegistry = field(default_factory=ServiceRegistry)
    renderers: dict[tuple[str, str], Renderer] = field(default_factory=dict)
    operations: dict[str, PostOperation] = field(default_factory=dict)
    node_types: list[str] = field(default_factory=list)
    commit_hooks: list[CommitHook] = field(default_factory=list)
    routes: list[Callable[[web.Application], None]] = field(default_factory=list)
    startups: list[Startup] = field(default_factory=list)
    cleanups: list[Startup] = field(default_factory=list)


class PluginContext:
    """What a plugin's `register(context)` function receives."""

    def __init__(self, extensions: Extensions, settings: Settings) -> None:
        self.extensions = extensions
        self.settings = settings

    @property
    def services(self) -> ServiceRegistry:
        return self.extensions.services

    def add_renderer(self, selector: str, extension: str, renderer: Renderer) -> None:
        """Serve GET `<path>.<selector>.<extension>` for any existing resource."""
        self.extensions.renderers[(selector, extension)] = renderer

    def add_operation(self, name: str, operation: PostOperation) -> None:
        """Serve POST with `:operation=<name>`."""
        self.extensions.operations[name] = operation

    def add_node_types(self, cnd: str) -> None:
        self.extensions.node_types.append(cnd)

    def add_commit_hook(self, hook: CommitHook) -> None:
        self.extensions.commit_hooks.append(hook)

    def add_routes(self, setup: Callable[[web.Application], None]) -> None:
        self.extensions.routes.append(setup)

    def add_replication_preprocessor(self, preprocessor: Any, ranking: int = 0) -> None:
        """Register a `repo_server.replication.ReplicationPreprocessor`: it may veto a
        replication request (raise `ActivationRejected`) before anything is queued."""
        from repo_server.replication.api import ReplicationPreprocessor

        self.services.register(
            ReplicationPreprocessor,
            preprocessor,
            {"service.ranking": ranking},
        )

    def add_replication_listener(self, listener: Any, ranking: int = 0) -> None:
        """Register a `repo_server.replication.ReplicationListener` (queued, delivered, ...)."""
        from repo_server.replication.api import ReplicationListener

        self.services.register(
            ReplicationListener,
            listener,
            {"service.ranking": ranking},
        )

    def on_startup(self, fn: Startup) -> None:
        self.extensions.startups.append(fn)

    def on_cleanup(self, fn: Startup) -> None:
        self.extensions.cleanups.append(fn)


def load_plugins(extensions: Extensions, settings: Settings) -> list[str]:
    """Call `register(context)` of every `repo_server.plugins` entry point."""
    loaded = []
    for ep in entry_points(group="repo_server.plugins"):
        try:
            register = ep.load()
        except Exception:
            log.exception("plugin %s could not be loaded", ep.name)
            continue
        register(PluginContext(extensions, settings))
        loaded.append(ep.name)
    return loaded


def apply_to_repository(extensions: Extensions, repository: Repository) -> None:
    for cnd in extensions.node_types:
        repository.registry.register_cnd(cnd, allow_update=True)
    repository.commit_hooks.extend(extensions.commit_hooks)
