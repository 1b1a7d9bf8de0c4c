"""The engine's service facade: reads, writes with hooks, start-up seeding; HTTP calls only this."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from commerce.engine.config import EngineSettings
from commerce.engine.errors import (
    DeletionFailure,
    EngineError,
    InvalidLanguage,
    MethodNotAllowed,
    MisconfiguredAttribute,
    NotFound,
    ODataError,
    PostPersistError,
    PrePersistError,
    UnknownKeyOnDelete,
)
from commerce.engine.model.io import IntegrationObject, IOItem, definitions_from_json
from commerce.engine.model.keys import join_key
from commerce.engine.model.ootb import OOTB_DEFINITIONS
from commerce.engine.model.options import ExpandTree, QueryOptions
from commerce.engine.model.types import ITEM_TYPES, Primitive, TypeSystem
from commerce.engine.model.values import JSONObject, JSONValue, Stored, key_text
from commerce.engine.service import reader
from commerce.engine.service.auth import ADMIN, ADMIN_GROUP, ADMIN_GROUPS, GROUPS, AuthService, User
from commerce.engine.service.hooks import HookContext, HookRegistry, PersistItem, call_maybe_async
from commerce.engine.service.query import find_by_key
from commerce.engine.service.reader import Entity, Languages, Page
from commerce.engine.service.registry import Registry, definition_payload, icc_payload
from commerce.engine.service.rights import AccessRights, Permission, default_payloads, read_rights
from commerce.engine.service.rows import delete_item, find_pk, insert_row
from commerce.engine.service.writer import AccessCheck, Writer
from commerce.engine.store.schema import q, table
from commerce.engine.store.sqlite import Connection, EngineStore

log = logging.getLogger(__name__)

INTEGRATION_SERVICE = "IntegrationService"
DEFAULT_LANGUAGES = ("en", "de")
RIGHTS_SEEDED = "access_rights_seeded"
# Bumped when DEFAULT_RIGHTS gains rows; an older data directory gets the missing ones.
RIGHTS_VERSION = "2"


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who asks, in which languages, with which hooks: one per request or batch part."""

    user: User
    content_language: str
    accept_language: str
    pre_hook: str | None = None
    post_hook: str | None = None


@dataclass(slots=True)
class WriteSession:
    conn: Connection
    now: int
    meta_changed: bool = False


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def now_millis() -> int:
    return int(time.time() * 1000)


def key_from_payload(io: IntegrationObject, item: IOItem, payload: JSONObject) -> str:
    """Best-effort integrationKey from a payload before it is saved (for pre hooks, messages)."""
    parts = []
    for segment in item.key:
        value: JSONValue = payload
        step = item
        for name in segment.path:
            value = value.get(name) if isinstance(value, dict) else None
            attr = step.attributes.get(name)
            if attr is not None and attr.target_item is not None:
                step = io.items[attr.target_item]
        if isinstance(value, bool):
            parts.append(key_text(Primitive.BOOLEAN, value))
        elif isinstance(value, str | int | float):
            parts.append(str(value))
        else:
            parts.append("")
    return join_key(parts)


class Engine:
    """Owns the store, the IO registry, hooks and authentication of one engine instance."""

    def __init__(self, settings: EngineSettings, types: TypeSystem = ITEM_TYPES) -> None:
        self.settings = settings
        self.types = types
        self.store = EngineStore(settings.database, types)
        self.registry = Registry(types)
        self.hooks = HookRegistry()
        self.auth = AuthService(settings.password_iterations, settings.token_lifetime)
        self.rights = AccessRights(types, GROUPS, settings.access_rights)

    # -- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the store; on an empty data directory create admin, languages and the OOTB IOs."""
        # File work runs off the event loop (the test suite may watch for blocking calls).
        await asyncio.to_thread(self.settings.data_dir.mkdir, parents=True, exist_ok=True)
        created = await self.store.open()
        try:
            if created:
                await self._seed()
            definitions = self.settings.definitions_file
            if definitions is not None:
                text = await asyncio.to_thread(definitions.read_text)
                try:
                    data = json.loads(text)
                except ValueError as exc:
                    raise MisconfiguredAttribute(f"{definitions} is not JSON: {exc}") from None
                await self.apply_definitions(data)
            await self._seed_rights()
            await self.registry.reload(self.store.reader)
            await self.rights.load(self.store.reader)
            self.hooks.beans.load_entry_points()
        except BaseException:
            await self.store.close()
            raise

    async def stop(self) -> None:
        await self.store.close()

    async def _seed(self) -> None:
        password = self.settings.admin_password
        if password is None:
            password = secrets.token_urlsafe(18)
            path = self.settings.data_dir / "admin-password"
            await asyncio.to_thread(_write_private, path, password + "\n")
            # Printed once, on the first start only; afterwards the file is the record.
            log.warning("engine admin password (also in %s): %s", path, password)
        async with self.write() as session:
            await self.auth.add_user(session.conn, ADMIN, password, ADMIN_GROUPS)
            for lang in DEFAULT_LANGUAGES:
                await insert_row(
                    session.conn,
                    self.types.types["Language"],
                    {"isocode": lang, "active": True},
                    session.now,
                )
            self.registry.languages = frozenset(DEFAULT_LANGUAGES)
            await self._store_definitions(session, OOTB_DEFINITIONS)

    async def _seed_rights(self) -> None:
        """The default access rights, once per data directory (older ones get them too)."""
        seeded = await self.store.reader.fetchone(
            "SELECT value FROM engine_meta WHERE key = ?", [RIGHTS_SEEDED]
        )
        if seeded is not None and seeded[0] == RIGHTS_VERSION:
            return
        rights = self.types.types["AccessRight"]
        async with self.write() as session:
            service = self.registry.builtins[INTEGRATION_SERVICE]
            writer = Writer(session.conn, service, "en", self.registry.languages, session.now)
            for payload in default_payloads():
                assert isinstance(payload, dict)
                where: dict[str, Stored] = {
                    "group": str(payload["group"]),
                    "itemType": str(payload["itemType"]),
                }
                # Rows an admin already has (changed or not) stay as they are.
                if await find_pk(session.conn, rights, where) is None:
                    await writer.upsert(service.items["AccessRight"], payload)
            await session.conn.execute(
                "INSERT OR REPLACE INTO engine_meta VALUES (?, ?)", [RIGHTS_SEEDED, RIGHTS_VERSION]
            )
            session.meta_changed = True

    async def record_inbound(
        self,
        *,
        io_code: str,
        method: str,
        user: User,
        integration_key: str,
        errors: list[tuple[str, str]],
        message_id: str,
        sap_passport: str | None,
        payload: bytes,
    ) -> None:
        """One InboundRequest (spec §9) when inbound monitoring is on; never fails the request."""
        settings = self.settings
        if not settings.inbound_monitoring:
            return
        ok = not errors
        keep = settings.inbound_success_payload if ok else settings.inbound_error_payload
        text = payload.decode("utf-8", "replace")[: settings.monitoring_payload_max]
        types = self.types.types

        async def save(conn: Connection) -> None:
            now = now_millis()
            status = {"code": "SUCCESS" if ok else "ERROR"}
            status_pk = await find_pk(conn, types["IntegrationRequestStatus"], status)
            if status_pk is None:
                status_pk = await insert_row(conn, types["IntegrationRequestStatus"], status, now)
            who = {"uid": user.uid}
            user_pk = await find_pk(conn, types["User"], who)
            if user_pk is None:
                user_pk = await insert_row(conn, types["User"], who, now)
            values: dict[str, Stored] = {
                "creationtime": now,
                "messageId": message_id,
                "requestIntegrationKey": integration_key,
                "type": io_code,
                "httpMethod": method,
                "status": status_pk,
                "user": user_pk,
                "sapPassport": sap_passport,
                "payload": text if keep else None,
            }
            pk = await insert_row(conn, types["InboundRequest"], values, now)
            for code, message in errors:
                row: dict[str, Stored] = {"inboundRequest": pk, "code": code, "message": message}
                await insert_row(conn, types["InboundRequestError"], row, now)

        try:
            async with self.write() as session:
                await session.conn.run(save)
        except EngineError:
            log.warning("could not record an inbound request of %s", io_code, exc_info=True)

    async def apply_definitions(self, data: JSONValue) -> list[str]:
        """Store the IOs of a definition file, replacing same-named ones; returns their codes."""
        async with self.write() as session:
            return await self._store_definitions(session, data)

    async def _store_definitions(self, session: WriteSession, data: JSONValue) -> list[str]:
        definitions = definitions_from_json(data)
        service = self.registry.builtins[INTEGRATION_SERVICE]
        root = service.items["IntegrationObject"]
        icc = service.items["InboundChannelConfiguration"]
        writer = Writer(session.conn, service, "en", self.registry.languages, session.now)
        for definition in definitions:
            pk = await find_by_key(session.conn, service, root, join_key([definition.code]))
            if pk is not None:
                await self._delete_channels(session.conn, pk)
                await delete_item(session.conn, self.types, root.type, pk)
            await writer.upsert(root, definition_payload(definition))
            if definition.authentication is not None:
                await writer.upsert(icc, icc_payload(definition.code, definition.authentication))
        session.meta_changed = True
        return [d.code for d in definitions]

    async def _delete_channels(self, conn: Connection, io_pk: int) -> None:
        icc_type = self.types.types["InboundChannelConfiguration"]
        for (pk,) in await conn.fetchall(
            f"SELECT pk FROM {table(icc_type)} WHERE {q('integrationObject')} = ?", [io_pk]
        ):
            await delete_item(conn, self.types, icc_type, int(pk))

    @asynccontextmanager
    async def write(self) -> AsyncIterator[WriteSession]:
        """One atomic write; IO definitions changed inside are validated before commit."""
        async with self.store.transaction() as conn:
            session = WriteSession(conn, now_millis())
            yield session
            if session.meta_changed:
                try:
                    loaded = await self.registry.load(conn, strict=True)
                except EngineError as exc:
                    raise MisconfiguredAttribute(exc.message) from exc
                # Unknown groups or types: 400 invalid_attribute_value, nothing kept.
                rights = await read_rights(conn, self.types, self.rights.known_groups)
        if session.meta_changed:
            self.registry.install(*loaded)
            self.rights.rows = rights

    # -- requests --------------------------------------------------------------------------

    def integration_object(self, code: str) -> IntegrationObject:
        return self.registry.get(code)

    def language(self, header: str | None) -> str:
        """The language a Content-/Accept-Language header names; raises InvalidLanguage."""
        if header is None or not header.strip() or header.strip() == "*":
            return self.registry.default_language
        tag = header.split(",")[0].split(";")[0].strip()
        for candidate in (tag, tag.split("-")[0]):
            if candidate in self.registry.languages:
                return candidate
            if candidate.lower() in self.registry.languages:
                return candidate.lower()
        raise InvalidLanguage(f"The language provided [{tag}] is not available.")

    def access(self, io: IntegrationObject, user: User) -> AccessCheck | None:
        """The type-level check for ``user`` on ``io``, or None when nothing is checked."""
        rights = self.rights
        if not rights.enabled or ADMIN_GROUP in user.groups or io.code == INTEGRATION_SERVICE:
            return None

        def check(type_code: str, permission: str) -> None:
            rights.check(user.uid, user.groups, type_code, permission)

        return check

    def check_read(
        self, io: IntegrationObject, item: IOItem, expand: ExpandTree, ctx: RequestContext
    ) -> None:
        """403 unless the user may read ``item`` and every type ``expand`` reaches (spec §7)."""
        check = self.access(io, ctx.user)
        if check is None:
            return

        def walk(step: IOItem, tree: ExpandTree) -> None:
            check(step.type.code, Permission.READ.value)
            for name, sub in tree.items():
                attr = step.attributes.get(name)
                if attr is not None and attr.target_item is not None:
                    walk(io.items[attr.target_item], sub)

        walk(item, expand)

    def _languages(self, ctx: RequestContext) -> Languages:
        return Languages(ctx.accept_language, self.registry.default_language)

    async def query(
        self, io: IntegrationObject, item: IOItem, options: QueryOptions, ctx: RequestContext
    ) -> Page:
        self.check_read(io, item, options.expand, ctx)
        return await reader.query(
            self.store.reader,
            io,
            item,
            options,
            self._languages(ctx),
            self.settings.page_size_default,
            self.settings.page_size_max,
        )

    async def count(
        self, io: IntegrationObject, item: IOItem, options: QueryOptions, ctx: RequestContext
    ) -> int:
        self.check_read(io, item, {}, ctx)
        return await reader.count(self.store.reader, io, item, options, self._languages(ctx))

    async def get(
        self,
        io: IntegrationObject,
        item: IOItem,
        key: str,
        options: QueryOptions,
        ctx: RequestContext,
        conn: Connection | None = None,
    ) -> Entity:
        self.check_read(io, item, options.expand, ctx)
        return await reader.get_one(
            conn or self.store.reader, io, item, key, options.expand, self._languages(ctx)
        )

    async def navigate(
        self,
        io: IntegrationObject,
        item: IOItem,
        key: str,
        nav: str,
        options: QueryOptions,
        ctx: RequestContext,
        *,
        count_only: bool = False,
    ) -> Entity | Page | int | None:
        """GET Set('key')/nav: the target entity (or None), a page of members, or their count."""
        attr = item.attributes.get(nav)
        if attr is None or not attr.is_navigation:
            raise NotFound(f"[{nav}] is not a navigation property of [{item.code}].")
        assert attr.target_item is not None  # navigations always name their target
        target = io.items[attr.target_item]
        self.check_read(io, item, {nav: options.expand}, ctx)
        conn = self.store.reader
        pk = await find_by_key(conn, io, item, key)
        if pk is None:
            raise NotFound(f"{item.code} with integration key [{key}] was not found.", inner=key)
        if not attr.is_collection:
            parent = await reader.load_entities(
                conn, io, item, [pk], {nav: options.expand}, self._languages(ctx)
            )
            found = parent[0].expanded.get(nav) if parent else None
            return found if isinstance(found, Entity) else None
        restrict, params = reader.navigation_restriction(item, attr, pk)
        if count_only:
            return await reader.count(
                conn,
                io,
                target,
                options,
                self._languages(ctx),
                restrict=restrict,
                restrict_params=params,
            )
        return await reader.query(
            conn,
            io,
            target,
            options,
            self._languages(ctx),
            self.settings.page_size_default,
            self.settings.page_size_max,
            restrict=restrict,
            restrict_params=params,
        )

    async def create(
        self,
        session: WriteSession,
        io: IntegrationObject,
        item: IOItem,
        payload: JSONValue,
        ctx: RequestContext,
    ) -> Entity:
        """POST upsert with nested items: pre hook -> save -> post hook (spec §5.1, §6)."""
        if not isinstance(payload, dict):
            raise ODataError("The request body must be one JSON object.")
        return await self._persist(session, io, item, payload, ctx, key=None)

    async def patch(
        self,
        session: WriteSession,
        io: IntegrationObject,
        item: IOItem,
        key: str,
        payload: JSONValue,
        ctx: RequestContext,
    ) -> Entity:
        """PATCH one item addressed by key; present attributes replace old values (spec §5.2)."""
        if not isinstance(payload, dict):
            raise ODataError("The request body must be one JSON object.")
        return await self._persist(session, io, item, payload, ctx, key=key)

    async def _persist(
        self,
        session: WriteSession,
        io: IntegrationObject,
        item: IOItem,
        payload: JSONObject,
        ctx: RequestContext,
        *,
        key: str | None,
    ) -> Entity:
        if io.code == INTEGRATION_SERVICE:
            session.meta_changed = True
        conn = session.conn
        existing = None
        if key is not None:
            existing = await find_by_key(conn, io, item, key)
            if existing is None:
                raise NotFound(
                    f"{item.code} with integration key [{key}] was not found.", inner=key
                )
        pre = self.hooks.resolve_pre(ctx.pre_hook) if ctx.pre_hook else None
        post = self.hooks.resolve_post(ctx.post_hook) if ctx.post_hook else None
        hook_context = HookContext(
            ctx.content_language,
            ctx.accept_language,
            io,
            # The raw payload as sent, for hooks only (the copy costs more than a save).
            copy.deepcopy(payload) if pre is not None or post is not None else {},
            ctx.user.uid,
            conn,
        )
        persist = PersistItem(item.code, key or key_from_payload(io, item, payload), payload)
        if pre is not None:
            try:
                result = await call_maybe_async(pre(persist, hook_context))
            except EngineError:
                raise
            except Exception as exc:
                log.warning("pre-persist hook %s failed", ctx.pre_hook, exc_info=True)
                raise PrePersistError(
                    f"PrePersistHook [{ctx.pre_hook}] failed for item "
                    f"[{persist.integration_key}]: {exc}",
                    inner=persist.integration_key,
                ) from exc
            if result is None:
                # Skipped by the pre hook: nothing saved, no post hook, still 201 (spec §6).
                return Entity(item, -1, persist.integration_key, {})
            persist = result
        access = self.access(io, ctx.user)
        payload_to_save = persist.payload

        async def save(on_thread: Connection) -> Entity:
            # The whole item graph (lookups, inserts, localized rows, relations) and the
            # response's reload run as one call on the database thread: one hop per write.
            writer = Writer(
                on_thread,
                io,
                ctx.content_language,
                self.registry.languages,
                session.now,
                access=access,
            )
            pk = await writer.upsert(
                item,
                payload_to_save,
                mode="patch" if key is not None else "post",
                existing=existing,
            )
            loaded = await reader.load_entities(on_thread, io, item, [pk], {}, self._languages(ctx))
            return loaded[0]

        entity = await conn.run(save)
        persist.pk = entity.pk
        persist.integration_key = entity.key
        if post is not None:
            try:
                await call_maybe_async(post(persist, hook_context))
            except EngineError:
                raise
            except Exception as exc:
                log.warning("post-persist hook %s failed", ctx.post_hook, exc_info=True)
                raise PostPersistError(
                    f"PostPersistHook [{ctx.post_hook}] failed for item "
                    f"[{persist.integration_key}]: {exc}",
                    inner=persist.integration_key,
                ) from exc
        return entity

    async def delete(
        self,
        session: WriteSession,
        io: IntegrationObject,
        item: IOItem,
        key: str,
        user: User | None = None,
    ) -> None:
        """DELETE one item and its partOf children (spec §5.3)."""
        if io.builtin and io.code != INTEGRATION_SERVICE:
            raise MethodNotAllowed(f"{io.code} is read-only.")
        check = None if user is None else self.access(io, user)
        if check is not None:
            for type_code in self.rights.removal_types(item.type.code):
                check(type_code, Permission.REMOVE.value)
        pk = await find_by_key(session.conn, io, item, key)
        if pk is None:
            raise UnknownKeyOnDelete(
                f"{item.code} with integration key [{key}] was not found.", inner=key
            )
        if io.code == INTEGRATION_SERVICE:
            session.meta_changed = True
            if item.type.code == "IntegrationObject":
                icc = await session.conn.fetchone(
                    f"SELECT 1 FROM {table('InboundChannelConfiguration')} "
                    f"WHERE {q('integrationObject')} = ?",
                    [pk],
                )
                if icc is not None:
                    raise DeletionFailure(
                        f"Integration object [{key}] still has an inbound channel configuration.",
                        inner=key,
                    )
        found = pk

        async def remove(on_thread: Connection) -> int:
            return await delete_item(on_thread, self.types, item.type, found)

        await session.conn.run(remove)
