"""Reads: collections with query options, single items, navigation, expansion into Entity trees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from commerce.engine.errors import InvalidProperty, InvalidQueryParameter, NotFound
from commerce.engine.model.io import IntegrationObject, IOAttribute, IOItem
from commerce.engine.model.options import ExpandTree, QueryOptions
from commerce.engine.model.values import JSONValue, to_json
from commerce.engine.service.query import (
    FilterCompiler,
    Select,
    find_by_key,
    keys_for,
    order_clause,
)
from commerce.engine.service.rows import RowCache, RowValues, localized_values, members
from commerce.engine.store.schema import q, relation_name
from commerce.engine.store.sqlite import Connection, Param

LOCALIZED_ATTRIBUTES = "localizedAttributes"


@dataclass(slots=True)
class Entity:
    """One item as an IO shows it; ``expanded`` holds only the navigations asked for."""

    item: IOItem
    pk: int
    key: str
    values: dict[str, JSONValue]
    expanded: dict[str, Entity | list[Entity] | None] = field(default_factory=dict)
    localized: list[dict[str, JSONValue]] | None = None


@dataclass(frozen=True, slots=True)
class Page:
    entities: list[Entity]
    count: int | None
    next_offset: int | None


@dataclass(frozen=True, slots=True)
class Languages:
    accept: str
    default: str


def check_expand(io: IntegrationObject, item: IOItem, tree: ExpandTree) -> None:
    for name, sub in tree.items():
        if name == LOCALIZED_ATTRIBUTES and item.localized:
            if sub:
                raise InvalidQueryParameter("localizedAttributes cannot be expanded further.")
            continue
        attr = item.attributes.get(name)
        if attr is None or not attr.is_navigation:
            raise InvalidProperty(
                f"[{name}] in $expand is not a navigation property of [{item.code}]."
            )
        assert attr.target_item is not None  # navigations always name their target
        check_expand(io, io.items[attr.target_item], sub)


def check_select(item: IOItem, select: Sequence[str] | None) -> None:
    for name in select or ():
        if name not in item.attributes and name not in ("integrationKey", LOCALIZED_ATTRIBUTES):
            raise InvalidProperty(f"[{name}] in $select is not a property of [{item.code}].")


async def load_entities(
    conn: Connection,
    io: IntegrationObject,
    item: IOItem,
    pks: Sequence[int],
    expand: ExpandTree,
    languages: Languages,
    cache: RowCache | None = None,
) -> list[Entity]:
    """Entities for ``pks`` in the given order (unknown pks skipped), expanded per ``expand``."""
    cache = cache or RowCache(conn, io.types)
    rows = await cache.rows(item.type, pks)
    present = [pk for pk in pks if pk in rows]
    keys = await keys_for(cache, io, item, present)
    localized = await localized_values(conn, item.type, present) if item.localized else {}
    entities: dict[int, Entity] = {}
    for pk in present:
        row = rows[pk]
        values: dict[str, JSONValue] = {}
        by_lang = localized.get(pk, {})
        for attr in item.primitives:
            primitive = attr.attribute.primitive
            assert primitive is not None  # not a navigation
            if attr.attribute.localized:
                value = by_lang.get(languages.accept, {}).get(attr.attribute.name)
                if value is None:
                    value = by_lang.get(languages.default, {}).get(attr.attribute.name)
                values[attr.name] = value
            else:
                values[attr.name] = to_json(primitive, row.get(attr.attribute.name))
        entity = Entity(item, pk, keys[pk], values)
        if LOCALIZED_ATTRIBUTES in expand and item.localized:
            entity.localized = [
                {"language": lang, **{a.name: vals.get(a.attribute.name) for a in item.localized}}
                for lang, vals in sorted(by_lang.items())
            ]
        entities[pk] = entity
    for name, sub in expand.items():
        if name == LOCALIZED_ATTRIBUTES:
            continue
        attr = item.attributes[name]
        await _expand(conn, io, item, attr, entities, rows, sub, languages, cache)
    return [entities[pk] for pk in present]


async def _expand(
    conn: Connection,
    io: IntegrationObject,
    item: IOItem,
    attr: IOAttribute,
    entities: dict[int, Entity],
    rows: dict[int, RowValues],
    sub: ExpandTree,
    languages: Languages,
    cache: RowCache,
) -> None:
    assert attr.target_item is not None  # navigations always name their target
    target = io.items[attr.target_item]
    if attr.is_collection:
        found = await members(conn, item.type, attr.attribute, list(entities), io.types)
        wanted = sorted({m for ms in found.values() for m in ms})
        by_pk = {
            e.pk: e for e in await load_entities(conn, io, target, wanted, sub, languages, cache)
        }
        for pk, entity in entities.items():
            entity.expanded[attr.name] = [by_pk[m] for m in found.get(pk, []) if m in by_pk]
        return
    refs = {pk: rows[pk].get(attr.attribute.name) for pk in entities}
    wanted = sorted({r for r in refs.values() if isinstance(r, int)})
    by_pk = {e.pk: e for e in await load_entities(conn, io, target, wanted, sub, languages, cache)}
    for pk, entity in entities.items():
        ref = refs[pk]
        entity.expanded[attr.name] = by_pk.get(ref) if isinstance(ref, int) else None


async def query(
    conn: Connection,
    io: IntegrationObject,
    item: IOItem,
    options: QueryOptions,
    languages: Languages,
    page_size: int,
    max_page_size: int,
    *,
    restrict: str | None = None,
    restrict_params: Sequence[Param] = (),
) -> Page:
    """One page of a collection (spec §4 paging: $top bounds the total, pages up to max)."""
    check_expand(io, item, options.expand)
    check_select(item, options.select)
    select = Select(io, item)
    where = ["1"]
    if options.filter is not None:
        where.append(FilterCompiler(select, languages.default).compile(options.filter))
    where_params = list(select.params)
    select.params.clear()
    order = order_clause(select, options.orderby, languages.default)
    order_params = list(select.params)
    if restrict is not None:
        where.append(restrict)
    where_sql = " AND ".join(where)
    params = [*where_params, *restrict_params]
    start = options.start
    end = None if options.top is None else options.skip + options.top
    size = max_page_size if options.top is not None else page_size
    limit = size if end is None else max(0, min(size, end - start))
    rows = await conn.fetchall(
        f"SELECT t0.pk FROM {select.from_clause} WHERE {where_sql} ORDER BY {order} "
        "LIMIT ? OFFSET ?",
        [*params, *order_params, limit + 1, start],
    )
    pks = [int(r[0]) for r in rows[:limit]]
    more = len(rows) > limit and (end is None or start + limit < end)
    count = None
    if options.inline_count:
        row = await conn.fetchone(
            f"SELECT COUNT(*) FROM {select.from_clause} WHERE {where_sql}",
            params,
        )
        count = int(row[0]) if row else 0
    entities = await load_entities(conn, io, item, pks, options.expand, languages)
    return Page(entities, count, start + limit if more else None)


async def count(
    conn: Connection,
    io: IntegrationObject,
    item: IOItem,
    options: QueryOptions,
    languages: Languages,
    *,
    restrict: str | None = None,
    restrict_params: Sequence[Param] = (),
) -> int:
    """Size of a collection after ``$filter`` (the ``/$count`` segment)."""
    select = Select(io, item)
    where = ["1"]
    if options.filter is not None:
        where.append(FilterCompiler(select, languages.default).compile(options.filter))
    if restrict is not None:
        where.append(restrict)
    row = await conn.fetchone(
        f"SELECT COUNT(*) FROM {select.from_clause} WHERE {' AND '.join(where)}",
        [*select.params, *restrict_params],
    )
    return int(row[0]) if row else 0


async def get_one(
    conn: Connection,
    io: IntegrationObject,
    item: IOItem,
    key: str,
    expand: ExpandTree,
    languages: Languages,
) -> Entity:
    """The item with integrationKey ``key``; raises NotFound (spec §4 message)."""
    check_expand(io, item, expand)
    pk = await find_by_key(conn, io, item, key)
    entities = [] if pk is None else await load_entities(conn, io, item, [pk], expand, languages)
    if not entities:
        raise NotFound(f"{item.code} with integration key [{key}] was not found.", inner=key)
    return entities[0]


def navigation_restriction(item: IOItem, attr: IOAttribute, pk: int) -> tuple[str, list[Param]]:
    """WHERE clause selecting the members of collection ``attr`` of item ``pk``."""
    if attr.attribute.inverse is not None:
        return f"t0.{q(attr.attribute.inverse)} = ?", [pk]
    return (
        "t0.pk IN (SELECT target FROM relations WHERE attr = ? AND source = ?)",
        [relation_name(item.type, attr.attribute), pk],
    )
