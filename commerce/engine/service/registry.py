"""The integration objects in force: built-ins plus the ones stored as meta items."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from commerce.engine.errors import (
    EngineError,
    MisconfiguredAttribute,
    NotFound,
    SchemaGenerationError,
)
from commerce.engine.model.io import (
    AttributeDefinition,
    IntegrationObject,
    IODefinition,
    ItemDefinition,
    build,
    definition_from_json,
)
from commerce.engine.model.ootb import INBOUND_MONITORING, INTEGRATION_SERVICE
from commerce.engine.model.types import TypeSystem
from commerce.engine.model.values import JSONObject, JSONValue
from commerce.engine.store.schema import q, table
from commerce.engine.store.sqlite import Connection

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Registry:
    types: TypeSystem
    objects: dict[str, IntegrationObject] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    languages: frozenset[str] = frozenset({"en"})
    default_language: str = "en"
    builtins: dict[str, IntegrationObject] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.builtins = {
            service.code: service
            for service in (
                build(definition_from_json(d), self.types, builtin=True)
                for d in (INTEGRATION_SERVICE, INBOUND_MONITORING)
            )
        }

    def get(self, code: str) -> IntegrationObject:
        """The IO named ``code``; raises NotFound, or SchemaGenerationError for a broken one."""
        found = self.builtins.get(code) or self.objects.get(code)
        if found is not None:
            return found
        if code in self.broken:
            raise SchemaGenerationError(
                f"The EDMX schema could not be generated for [{code}]: {self.broken[code]}"
            )
        raise NotFound(f"Integration object [{code}] does not exist.")

    def install(self, objects: dict[str, IntegrationObject], broken: dict[str, str]) -> None:
        self.objects, self.broken = objects, broken

    async def load(
        self, conn: Connection, *, strict: bool = False
    ) -> tuple[dict[str, IntegrationObject], dict[str, str]]:
        """Build every stored IO; ``strict`` raises the first definition error instead."""
        objects: dict[str, IntegrationObject] = {}
        broken: dict[str, str] = {}
        for definition in await read_definitions(conn, self.types):
            try:
                if definition.code in self.builtins:
                    raise MisconfiguredAttribute(f"[{definition.code}] is a built-in service.")
                objects[definition.code] = build(definition, self.types)
            except EngineError as exc:
                if strict:
                    raise
                log.warning("integration object %s is unusable: %s", definition.code, exc)
                broken[definition.code] = exc.message
        return objects, broken

    async def reload(self, conn: Connection) -> None:
        self.install(*await self.load(conn))
        rows = await conn.fetchall(
            f"SELECT {q('isocode')} FROM {table('Language')} WHERE {q('active')} IS NOT 0"
        )
        languages = frozenset(str(r[0]) for r in rows if r[0])
        self.languages = languages or frozenset({self.default_language})


async def read_definitions(conn: Connection, types: TypeSystem) -> list[IODefinition]:
    del types
    ios = await conn.fetchall(
        f"SELECT pk, {q('code')} FROM {table('IntegrationObject')} ORDER BY pk"
    )
    items = await conn.fetchall(
        f"SELECT pk, {q('code')}, {q('integrationObject')}, {q('type')}, {q('root')}, "
        f"{q('entitySet')} FROM {table('IntegrationObjectItem')} ORDER BY pk"
    )
    attrs = await conn.fetchall(
        f"SELECT {q('attributeName')}, {q('integrationObjectItem')}, {q('attributeDescriptor')}, "
        f"{q('returnIntegrationObjectItem')}, {q('unique')}, {q('autoCreate')}, {q('partOf')} "
        f"FROM {table('IntegrationObjectItemAttribute')} ORDER BY pk"
    )
    iccs = await conn.fetchall(
        f"SELECT {q('integrationObject')}, {q('authenticationType')} "
        f"FROM {table('InboundChannelConfiguration')} ORDER BY pk"
    )
    item_code = {pk: code for pk, code, *_ in items}
    item_io = {pk: io for pk, _, io, *_ in items}
    by_item: dict[int, list[AttributeDefinition]] = {}
    for name, owner, descriptor, returns, unique, auto, part in attrs:
        if owner is None:
            continue
        return_item = None
        if returns is not None:
            # A return item of another IO cannot resolve; the name then fails validation.
            same = item_io.get(returns) == item_io.get(owner)
            return_item = (
                item_code.get(returns) if same else f"<{item_code.get(returns)} of another IO>"
            )
        by_item.setdefault(owner, []).append(
            AttributeDefinition(
                name=str(name),
                descriptor=str(descriptor or name),
                unique=bool(unique),
                auto_create=bool(auto),
                part_of=bool(part),
                return_item=return_item,
            )
        )
    by_io: dict[int, list[ItemDefinition]] = {}
    for pk, code, io, type_code, root, entity_set in items:
        if io is None:
            continue
        by_io.setdefault(io, []).append(
            ItemDefinition(
                code=str(code),
                type=str(type_code or code),
                root=bool(root),
                entity_set=entity_set,
                attributes=tuple(by_item.get(pk, [])),
            )
        )
    auth = {io: str(kind) for io, kind in iccs if io is not None and kind}
    return [
        IODefinition(code=str(code), items=tuple(by_io.get(pk, [])), authentication=auth.get(pk))
        for pk, code in ios
    ]


def definition_payload(definition: IODefinition) -> JSONObject:
    """The IntegrationService POST body that stores ``definition``."""
    items: list[JSONValue] = []
    for item in definition.items:
        attributes: list[JSONValue] = []
        for a in item.attributes:
            entry: JSONObject = {
                "attributeName": a.name,
                "attributeDescriptor": a.descriptor,
                "unique": a.unique,
                "autoCreate": a.auto_create,
                "partOf": a.part_of,
            }
            if a.return_item is not None:
                entry["returnIntegrationObjectItem"] = {"code": a.return_item}
            attributes.append(entry)
        item_payload: JSONObject = {
            "code": item.code,
            "type": item.type,
            "root": item.root,
            "attributes": attributes,
        }
        if item.entity_set is not None:
            item_payload["entitySet"] = item.entity_set
        items.append(item_payload)
    return {"code": definition.code, "items": items}


def icc_payload(code: str, authentication: str) -> JSONObject:
    return {"integrationObject": {"code": code}, "authenticationType": authentication}


def codes(definitions: Iterable[IODefinition]) -> list[str]:
    return [d.code for d in definitions]
