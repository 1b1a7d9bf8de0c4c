"""`POST /bin/commerce/import` and the wiring of catalog import into the server.

`register_import(context)` registers the default `ImportHandler` (ranking 0), the shared
`CatalogImporter` (whose runs roll catalog changes out to the sites generated from the catalog),
the route, the `file` polling scheme and the polling scheduler, which starts and stops with the
application (author role only: a publish instance refuses authoring writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aiohttp import BodyPartReader, web

from commerce.catalog import RolloutHooks, rollout_catalog
from commerce.errors import InvalidImportRequestError
from commerce.importer.feed import infer_format
from commerce.importer.handler import DefaultImportHandler, ImportHandler
from commerce.importer.importer import CatalogImporter, ImportOptions, ImportResult
from commerce.importer.polling import FileImporter, Importer, PollingImporter, PollScheduler
from repo_server.errors import AccessDenied
from repo_server.extensions import PluginContext
from repo_server.http.keys import extensions_key, repository_key, settings_key
from repo_server.http.security_http import session_for
from repo_server.services import ServiceReference, ServiceRegistry
from repo_server.session.session import ContentSession

_HANDLER: Final[type[ImportHandler]] = ImportHandler  # type: ignore[type-abstract]
_IMPORTER: Final[type[Importer]] = Importer  # type: ignore[type-abstract]
_HOOKS: Final[type[RolloutHooks]] = RolloutHooks  # type: ignore[type-abstract]
_TRUE: Final = frozenset({"true", "1", "on", "yes"})
_FALSE: Final = frozenset({"false", "0", "off", "no", ""})


@dataclass
class ImportRuntime:
    """The import pieces of one application, as a service (tests shorten the intervals)."""

    importer: CatalogImporter
    minimum_interval: int = 60
    tick: float = 5.0
    polling: PollingImporter | None = None
    scheduler: PollScheduler | None = None
    file_ref: ServiceReference[Importer] | None = None


def register_import(context: PluginContext) -> None:
    services = context.services
    services.register(_HANDLER, DefaultImportHandler(), {"service.ranking": 0})
    importer = CatalogImporter(services)
    runtime = ImportRuntime(importer)
    services.register(CatalogImporter, importer)
    services.register(ImportRuntime, runtime)

    async def roll_out(session: ContentSession, result: ImportResult) -> None:
        await rollout_catalog(session, result.path, services.all(_HOOKS))

    importer.listeners.append(roll_out)

    def routes(app: web.Application) -> None:
        app.router.add_post("/bin/commerce/import", import_catalog)

    context.add_routes(routes)

    async def start(app: web.Application) -> None:
        repository = app[repository_key]
        settings = app[settings_key]
        runtime.file_ref = services.register(
            _IMPORTER, FileImporter(repository, importer, settings.data_dir)
        )
        if settings.role != "author":
            return
        runtime.polling = PollingImporter(
            repository, services, minimum_interval=runtime.minimum_interval
        )
        runtime.scheduler = PollScheduler(runtime.polling, tick=runtime.tick)
        runtime.scheduler.start()

    async def stop(app: web.Application) -> None:
        del app
        if runtime.scheduler is not None:
            await runtime.scheduler.stop()
            runtime.scheduler = None
        if runtime.file_ref is not None:
            services.unregister(runtime.file_ref)
            runtime.file_ref = None

    context.on_startup(start)
    context.on_cleanup(stop)


def _flag(value: str | None, name: str) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidImportRequestError(f"{name} must be true or false, not {value!r}", field=name)


async def _form(request: web.Request) -> tuple[dict[str, str], bytes | None, str | None]:
    """The multipart (or urlencoded) fields; the `file` part is read as bytes."""
    fields: dict[str, str] = {k: v for k, v in request.query.items()}
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        data: bytes | None = None
        filename: str | None = None
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "file":
                data = bytes(await part.read())
                filename = part.filename
            elif part.name:
                fields[part.name] = await part.text()
        return fields, data, filename
    post = await request.post()
    fields.update({k: v for k, v in post.items() if isinstance(v, str)})
    return fields, None, None


async def import_catalog(request: web.Request) -> web.Response:
    """Import the uploaded feed into a catalog; answers the import report (dry run: what would
    change). Admin, or a user who may write the catalog under /etc/commerce/products."""
    fields, data, filename = await _form(request)
    catalog = fields.get("catalog", "").strip()
    if not catalog:
        raise InvalidImportRequestError("the 'catalog' field is missing", field="catalog")
    if data is None:
        raise InvalidImportRequestError("the 'file' part is missing", field="file")
    fmt = infer_format(filename, fields.get("format") or None)
    importer = _importer(request)
    session = session_for(request)
    path = importer.catalog_path(catalog)
    if not session.access.can_write(path):
        raise AccessDenied(f"{session.user_id} may not import into {path}", path=path)
    options = ImportOptions(
        catalog=catalog,
        dry_run=_flag(fields.get("dryRun"), "dryRun"),
        remove_missing=_flag(fields.get("removeMissing"), "removeMissing"),
        skip_invalid=_flag(fields.get("skipInvalid"), "skipInvalid"),
    )
    result = await importer.import_data(session, data, fmt, options, wait=False)
    return web.json_response(result.as_json())


def _importer(request: web.Request) -> CatalogImporter:
    services: ServiceRegistry = request.app[extensions_key].services
    return services.require(CatalogImporter)
