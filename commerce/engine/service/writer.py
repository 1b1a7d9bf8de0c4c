"""Writes: POST upserts with nested items, PATCH, DELETE (spec §5), inside one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from commerce.engine.errors import (
    InvalidKey,
    InvalidLanguage,
    InvalidProperty,
    MissingKey,
    MissingNavProperty,
    MissingProperty,
    ODataError,
)
from commerce.engine.model.io import IntegrationObject, IOAttribute, IOItem
from commerce.engine.model.keys import join_key
from commerce.engine.model.types import Kind
from commerce.engine.model.values import JSONObject, JSONValue, Stored, from_json, key_text
from commerce.engine.service.rows import (
    RowCache,
    add_relations,
    delete_item,
    find_pk,
    insert_row,
    members,
    update_row,
    write_localized,
)
from commerce.engine.store.sqlite import Connection

# Members of a payload that are not attributes: the computed key (ignored, spec §3), verbose-JSON
# metadata and the OData v4 context SAP's own examples carry.
IGNORED: Final = frozenset({"integrationKey", "__metadata", "@odata.context"})
LOCALIZED_ATTRIBUTES: Final = "localizedAttributes"

Mode = Literal["post", "patch"]
# (item type code, "create" | "change" | "remove") -> None, raises Forbidden (type-level rights).
AccessCheck = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class Enclosing:
    """An item on the path from the root to a nested item (fills omitted back references)."""

    type_code: str
    pk: int


@dataclass(slots=True)
class ItemChange:
    """What a write did to one item; input for responses, events and hooks."""

    item: IOItem
    pk: int
    created: bool


@dataclass(slots=True)
class Writer:
    """Applies payloads of one IO inside an open transaction; any raise means roll back."""

    conn: Connection
    io: IntegrationObject
    content_language: str
    languages: frozenset[str]
    now: int
    changes: list[ItemChange] = field(default_factory=list)
    access: AccessCheck | None = None
    # Key lookups already answered in this transaction: a product with 8 variants names the same
    # catalog version nine times. Cleared whenever this writer deletes anything.
    _found: dict[tuple[str, tuple[Stored, ...]], int] = field(default_factory=dict)

    async def upsert(
        self,
        item: IOItem,
        payload: JSONValue,
        *,
        path: Sequence[Enclosing] = (),
        creatable: bool = True,
        fill: dict[str, int] | None = None,
        mode: Mode = "post",
        existing: int | None = None,
    ) -> int:
        """Create or update ``item`` from ``payload``; returns its pk.

        ``existing`` (PATCH) is the pk the URL named: the body may not imply another key.
        Raises the 400 family of spec §8 (missing_key, missing_nav_property, invalid_property...).
        """
        if not isinstance(payload, dict):
            raise ODataError(f"[{item.code}] must be a JSON object, not {type(payload).__name__}.")
        self._check_names(item, payload)
        fill = fill or {}
        key_values: dict[str, Stored] = {}
        stored_row = None
        if existing is not None:
            stored_row = await RowCache(self.conn, self.io.types).row(item.type, existing)
        for attr in item.unique_attributes:
            if stored_row is not None and attr.name not in payload:
                key_values[attr.attribute.name] = stored_row.get(attr.attribute.name)
            else:
                key_values[attr.attribute.name] = await self._key_value(
                    item, attr, payload, path, fill
                )
        lookup = (item.type.code, tuple(key_values.values()))
        pk = self._found.get(lookup)
        if pk is None:
            pk = await find_pk(self.conn, item.type, key_values)
        if existing is not None and pk != existing:
            raise InvalidKey(
                f"The payload of [{item.code}] implies another integrationKey than the URL.",
                inner=self._describe_key(item, key_values),
            )
        if pk is None and not creatable:
            raise MissingNavProperty(
                f"{item.code} [{self._describe_key(item, key_values)}] does not exist and the "
                "navigation to it is neither autoCreate nor partOf.",
                inner=self._describe_key(item, key_values),
            )
        columns: dict[str, Stored] = dict(key_values)
        localized: dict[str, dict[str, str | None]] = {}
        collections: list[tuple[IOAttribute, list[JSONValue]]] = []
        for name, value in payload.items():
            if name in IGNORED or name == LOCALIZED_ATTRIBUTES:
                continue
            attr = item.attributes[name]
            if attr.unique:
                continue
            await self._attribute(item, attr, value, path, columns, localized, collections)
        for ref, target_pk in fill.items():
            columns[ref] = target_pk
        if LOCALIZED_ATTRIBUTES in payload:
            localized = self._localized_attributes(item, payload[LOCALIZED_ATTRIBUTES], localized)
        created = pk is None
        if pk is None:
            self._fill_from_path(item, columns, path)
            self._check_mandatory(item, columns, localized)
            self._allow(item.type.code, "create")
            pk = await insert_row(self.conn, item.type, columns, self.now)
        elif len(columns) > len(key_values) or localized or collections:
            self._allow(item.type.code, "change")
            await update_row(self.conn, item.type, pk, columns, self.now)
        elif mode == "patch" and existing is not None and LOCALIZED_ATTRIBUTES in payload:
            self._allow(item.type.code, "change")
        # else: a reference given by its key only, e.g. the catalog version of every variant
        self._found[lookup] = pk
        if localized or (mode == "patch" and LOCALIZED_ATTRIBUTES in payload):
            replace = mode == "patch" and LOCALIZED_ATTRIBUTES in payload
            await write_localized(self.conn, item.type, pk, localized, replace=replace)
        self.changes.append(ItemChange(item, pk, created))
        inner_path = (*path, Enclosing(item.type.code, pk))
        for attr, values in collections:
            await self._collection(item, attr, pk, values, inner_path, mode)
        return pk

    def _allow(self, type_code: str, permission: str) -> None:
        if self.access is not None:
            self.access(type_code, permission)

    def _check_names(self, item: IOItem, payload: JSONObject) -> None:
        for name in payload:
            if name in IGNORED or name in item.attributes:
                continue
            if name == LOCALIZED_ATTRIBUTES and item.localized:
                continue
            raise InvalidProperty(
                f"Property [{name}] is not part of [{self.io.code}.{item.code}].", inner=name
            )

    async def _key_value(
        self,
        item: IOItem,
        attr: IOAttribute,
        payload: JSONObject,
        path: Sequence[Enclosing],
        fill: dict[str, int],
    ) -> Stored:
        name = attr.attribute.name
        if attr.target_item is None:
            primitive = attr.attribute.primitive
            assert primitive is not None  # not a navigation
            value = from_json(attr.name, primitive, payload.get(attr.name))
            if value is None and (attr.name in payload or attr.attribute.mandatory):
                raise MissingKey(
                    f"Key attribute [{attr.name}] of [{item.code}] is missing.", inner=attr.name
                )
            return value
        if name in fill:
            return fill[name]
        if attr.name in payload:
            nested = payload[attr.name]
            if nested is None:
                raise MissingKey(
                    f"Key navigation [{attr.name}] of [{item.code}] cannot be null.",
                    inner=attr.name,
                )
            return await self.upsert(
                self.io.items[attr.target_item],
                nested,
                path=path,
                creatable=attr.auto_create or attr.part_of,
            )
        found = _nearest(path, attr.attribute.target)
        if found is None:
            raise MissingKey(
                f"Key attribute [{attr.name}] of [{item.code}] is missing.", inner=attr.name
            )
        return found

    async def _attribute(
        self,
        item: IOItem,
        attr: IOAttribute,
        value: JSONValue,
        path: Sequence[Enclosing],
        columns: dict[str, Stored],
        localized: dict[str, dict[str, str | None]],
        collections: list[tuple[IOAttribute, list[JSONValue]]],
    ) -> None:
        a = attr.attribute
        if a.kind is Kind.PRIMITIVE:
            assert a.primitive is not None  # primitives always carry their kind
            converted = from_json(attr.name, a.primitive, value)
            if converted is None and a.mandatory:
                raise MissingProperty(
                    f"Attribute [{attr.name}] of [{item.code}] is mandatory.", inner=attr.name
                )
            if a.localized:
                if converted is not None and not isinstance(converted, str):
                    raise ODataError(f"Localized attribute [{attr.name}] takes a string.")
                localized.setdefault(self.content_language, {})[a.name] = converted
            else:
                columns[a.name] = converted
            return
        assert attr.target_item is not None  # navigations always name their target
        target = self.io.items[attr.target_item]
        if a.kind is Kind.REFERENCE:
            if value is None:
                if a.mandatory:
                    raise MissingProperty(
                        f"Navigation [{attr.name}] of [{item.code}] is mandatory.", inner=attr.name
                    )
                columns[a.name] = None
                return
            columns[a.name] = await self.upsert(
                target, value, path=path, creatable=attr.auto_create or attr.part_of
            )
            return
        if isinstance(value, dict) and isinstance(value.get("results"), list):
            value = value["results"]  # verbose JSON wraps collections in {"results": [...]}
        if not isinstance(value, list):
            raise ODataError(f"Collection [{attr.name}] of [{item.code}] takes a JSON array.")
        collections.append((attr, value))

    async def _collection(
        self,
        item: IOItem,
        attr: IOAttribute,
        pk: int,
        values: list[JSONValue],
        path: Sequence[Enclosing],
        mode: Mode,
    ) -> None:
        assert attr.target_item is not None  # navigations always name their target
        target = self.io.items[attr.target_item]
        a = attr.attribute
        fill = {a.inverse: pk} if a.inverse is not None else None
        new = [
            await self.upsert(
                target, v, path=path, creatable=attr.auto_create or attr.part_of, fill=fill
            )
            for v in values
        ]
        if a.inverse is None:
            await add_relations(self.conn, item.type, a, pk, new, replace=mode == "patch")
            return
        if mode == "patch":
            # PATCH replaces the collection: members left out are removed (partOf) or released.
            old = (await members(self.conn, item.type, a, [pk], self.io.types)).get(pk, [])
            for gone in sorted(set(old) - set(new)):
                self._found.clear()
                self._allow(target.type.code, "remove" if a.part_of else "change")
                if a.part_of:
                    await delete_item(self.conn, self.io.types, target.type, gone)
                else:
                    await update_row(self.conn, target.type, gone, {a.inverse: None}, self.now)

    def _localized_attributes(
        self, item: IOItem, value: JSONValue, plain: dict[str, dict[str, str | None]]
    ) -> dict[str, dict[str, str | None]]:
        if isinstance(value, dict) and isinstance(value.get("results"), list):
            value = value["results"]
        if not isinstance(value, list):
            raise ODataError("localizedAttributes takes a JSON array.")
        result = {lang: dict(attrs) for lang, attrs in plain.items()}
        names = {a.name: a for a in item.localized}
        for entry in value:
            if not isinstance(entry, dict) or not isinstance(entry.get("language"), str):
                raise ODataError("Each localizedAttributes entry needs a string 'language'.")
            lang = str(entry["language"])
            if lang not in self.languages:
                raise InvalidLanguage(f"The language provided [{lang}] is not available.")
            for name, text in entry.items():
                if name in ("language", "__metadata"):
                    continue
                if name not in names:
                    raise InvalidProperty(
                        f"[{name}] is not a localized attribute of [{item.code}].", inner=name
                    )
                if text is not None and not isinstance(text, str):
                    raise ODataError(f"Localized attribute [{name}] takes a string.")
                # localizedAttributes wins over the plain property (spec §5.5).
                result.setdefault(lang, {})[names[name].attribute.name] = text
        return result

    def _fill_from_path(
        self, item: IOItem, columns: dict[str, Stored], path: Sequence[Enclosing]
    ) -> None:
        for attr in item.attributes.values():
            a = attr.attribute
            if a.kind is Kind.REFERENCE and a.mandatory and columns.get(a.name) is None:
                found = _nearest(path, a.target)
                if found is not None:
                    columns[a.name] = found

    def _check_mandatory(
        self, item: IOItem, columns: dict[str, Stored], localized: dict[str, dict[str, str | None]]
    ) -> None:
        for attr in item.attributes.values():
            a = attr.attribute
            if not a.mandatory or a.kind is Kind.COLLECTION:
                continue
            if a.localized:
                present = any(v.get(a.name) is not None for v in localized.values())
            else:
                present = columns.get(a.name) is not None
            if not present:
                raise MissingProperty(
                    f"Attribute [{attr.name}] of [{item.code}] is mandatory.", inner=attr.name
                )

    def _describe_key(self, item: IOItem, values: dict[str, Stored]) -> str:
        parts = []
        for attr in item.unique_attributes:
            value = values.get(attr.attribute.name)
            primitive = attr.attribute.primitive
            parts.append(key_text(primitive, value) if primitive else f"#{value}")
        return join_key(parts)


def _nearest(path: Sequence[Enclosing], type_code: str | None) -> int | None:
    for enclosing in reversed(path):
        if enclosing.type_code == type_code:
            return enclosing.pk
    return None
