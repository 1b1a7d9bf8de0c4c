"""Typed row access on a store connection: load, find by key columns, insert, update, members."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from commerce.engine.model.types import Attribute, ItemType, Kind, TypeSystem
from commerce.engine.model.values import Stored, from_sql, to_sql
from commerce.engine.store.schema import localized_table, q, relation_name, table
from commerce.engine.store.sqlite import Connection, Param

RowValues = dict[str, Stored]
_CHUNK: Final = 500


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


class RowCache:
    """Rows loaded during one operation, so key computation and expansion load each row once."""

    def __init__(self, conn: Connection, types: TypeSystem) -> None:
        self.conn = conn
        self.types = types
        self._rows: dict[str, dict[int, RowValues]] = {}

    def forget(self, code: str, pk: int) -> None:
        self._rows.get(code, {}).pop(pk, None)

    async def rows(self, item_type: ItemType, pks: Iterable[int]) -> dict[int, RowValues]:
        cached = self._rows.setdefault(item_type.code, {})
        missing = sorted({pk for pk in pks if pk not in cached})
        if missing:
            cols = item_type.columns
            select = ", ".join(["pk", *(q(a.name) for a in cols)])
            for chunk in _chunks(missing):
                marks = ",".join("?" * len(chunk))
                for row in await self.conn.fetchall(
                    f"SELECT {select} FROM {table(item_type)} WHERE pk IN ({marks})", chunk
                ):
                    cached[row[0]] = {
                        a.name: _from_column(a, v) for a, v in zip(cols, row[1:], strict=True)
                    }
        return cached

    async def row(self, item_type: ItemType, pk: int) -> RowValues | None:
        return (await self.rows(item_type, (pk,))).get(pk)


def _from_column(a: Attribute, value: object) -> Stored:
    if a.kind is Kind.REFERENCE:
        return value if isinstance(value, int) else None
    assert a.primitive is not None  # primitive columns always carry their kind
    return from_sql(a.primitive, value)


async def localized_values(
    conn: Connection, item_type: ItemType, pks: Sequence[int]
) -> dict[int, dict[str, dict[str, str | None]]]:
    """pk -> language -> attribute -> value."""
    result: dict[int, dict[str, dict[str, str | None]]] = {}
    names = item_type.localized
    if not names or not pks:
        return result
    select = ", ".join(["pk", "lang", *(q(n) for n in names)])
    for chunk in _chunks(sorted(set(pks))):
        marks = ",".join("?" * len(chunk))
        for row in await conn.fetchall(
            f"SELECT {select} FROM {localized_table(item_type)} WHERE pk IN ({marks})", chunk
        ):
            result.setdefault(row[0], {})[row[1]] = dict(zip(names, row[2:], strict=True))
    return result


async def find_pk(
    conn: Connection, item_type: ItemType, conditions: Mapping[str, Stored]
) -> int | None:
    where = " AND ".join(f"{q(c)} IS ?" for c in conditions)
    row = await conn.fetchone(
        f"SELECT pk FROM {table(item_type)} WHERE {where} ORDER BY pk LIMIT 1",
        [to_sql(v) for v in conditions.values()],
    )
    return None if row is None else int(row[0])


async def insert_row(
    conn: Connection, item_type: ItemType, values: Mapping[str, Stored], now: int
) -> int:
    names = ["_created", "_modified", *values]
    params: list[Param] = [now, now, *(to_sql(v) for v in values.values())]
    return await conn.execute(
        f"INSERT INTO {table(item_type)} ({', '.join(q(n) for n in names)}) "
        f"VALUES ({','.join('?' * len(names))})",
        params,
    )


async def update_row(
    conn: Connection, item_type: ItemType, pk: int, values: Mapping[str, Stored], now: int
) -> None:
    sets = ", ".join(["_modified = ?", *(f"{q(n)} = ?" for n in values)])
    await conn.execute(
        f"UPDATE {table(item_type)} SET {sets} WHERE pk = ?",
        [now, *(to_sql(v) for v in values.values()), pk],
    )


async def write_localized(
    conn: Connection,
    item_type: ItemType,
    pk: int,
    values: Mapping[str, Mapping[str, str | None]],
    *,
    replace: bool,
) -> None:
    """Set localized values per language; ``replace`` drops languages not given (PATCH)."""
    if replace:
        await conn.execute(f"DELETE FROM {localized_table(item_type)} WHERE pk = ?", [pk])
    for lang, attrs in values.items():
        if not attrs:
            continue
        names = list(attrs)
        updates = ", ".join(f"{q(n)} = excluded.{q(n)}" for n in names)
        columns = ", ".join(q(n) for n in names)
        await conn.execute(
            f"INSERT INTO {localized_table(item_type)} (pk, lang, {columns}) "
            f"VALUES (?, ?, {','.join('?' * len(names))}) "
            f"ON CONFLICT (pk, lang) DO UPDATE SET {updates}",
            [pk, lang, *attrs.values()],
        )


async def members(
    conn: Connection,
    item_type: ItemType,
    attribute: Attribute,
    sources: Sequence[int],
    types: TypeSystem,
) -> dict[int, list[int]]:
    """Collection members per source pk, in stored order."""
    result: dict[int, list[int]] = {}
    if not sources:
        return result
    assert attribute.target is not None  # collections always name their target
    target = types.types[attribute.target]
    for chunk in _chunks(sorted(set(sources))):
        marks = ",".join("?" * len(chunk))
        if attribute.inverse is not None:
            rows = await conn.fetchall(
                f"SELECT {q(attribute.inverse)}, pk FROM {table(target)} "
                f"WHERE {q(attribute.inverse)} IN ({marks}) ORDER BY pk",
                chunk,
            )
        else:
            rows = await conn.fetchall(
                f"SELECT source, target FROM relations WHERE attr = ? AND source IN ({marks}) "
                "ORDER BY position",
                [relation_name(item_type, attribute), *chunk],
            )
        for source, member in rows:
            result.setdefault(source, []).append(member)
    return result


async def add_relations(
    conn: Connection,
    item_type: ItemType,
    attribute: Attribute,
    source: int,
    targets: Sequence[int],
    *,
    replace: bool,
) -> None:
    name = relation_name(item_type, attribute)
    if replace:
        await conn.execute("DELETE FROM relations WHERE attr = ? AND source = ?", [name, source])
    row = await conn.fetchone(
        "SELECT COALESCE(MAX(position), -1) FROM relations WHERE attr = ? AND source = ?",
        [name, source],
    )
    start = int(row[0]) + 1 if row else 0
    await conn.executemany(
        "INSERT OR IGNORE INTO relations (attr, source, target, position) VALUES (?, ?, ?, ?)",
        [(name, source, t, start + i) for i, t in enumerate(dict.fromkeys(targets))],
    )


async def delete_item(conn: Connection, types: TypeSystem, item_type: ItemType, pk: int) -> int:
    """Delete an item, its partOf children (recursively) and every reference to it.

    Returns how many items were removed. References from other items are set to null, the way a
    dangling reference reads as "no value" to every client.
    """
    removed = 0
    for a in item_type.attributes.values():
        if a.kind is not Kind.COLLECTION or not a.part_of:
            continue
        assert a.target is not None  # collections always name their target
        target = types.types[a.target]
        for child in (await members(conn, item_type, a, [pk], types)).get(pk, []):
            removed += await delete_item(conn, types, target, child)
    for t in types.types.values():
        for a in t.attributes.values():
            if a.target != item_type.code:
                continue
            if a.kind is Kind.REFERENCE:
                await conn.execute(
                    f"UPDATE {table(t)} SET {q(a.name)} = NULL WHERE {q(a.name)} = ?", [pk]
                )
            elif a.kind is Kind.COLLECTION and a.inverse is None:
                await conn.execute(
                    "DELETE FROM relations WHERE attr = ? AND target = ?", [relation_name(t, a), pk]
                )
        if t is item_type:
            for a in t.attributes.values():
                if a.kind is Kind.COLLECTION and a.inverse is None:
                    await conn.execute(
                        "DELETE FROM relations WHERE attr = ? AND source = ?",
                        [relation_name(t, a), pk],
                    )
    if item_type.localized:
        await conn.execute(f"DELETE FROM {localized_table(item_type)} WHERE pk = ?", [pk])
    await conn.execute(f"DELETE FROM {table(item_type)} WHERE pk = ?", [pk])
    return removed + 1
