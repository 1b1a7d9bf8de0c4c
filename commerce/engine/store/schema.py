"""DDL derived from the item type system: one table per type, one per type's localized values."""

from __future__ import annotations

from typing import Final

from commerce.engine.model.types import Attribute, ItemType, Kind, Primitive, TypeSystem

SCHEMA_VERSION: Final = 1

_AFFINITY: Final = {
    Primitive.STRING: "TEXT",
    Primitive.BOOLEAN: "INTEGER",
    Primitive.INTEGER: "INTEGER",
    Primitive.LONG: "INTEGER",
    Primitive.DOUBLE: "REAL",
    # Decimals keep their exact text; comparisons cast (see service.query).
    Primitive.DECIMAL: "TEXT",
    Primitive.DATETIME: "INTEGER",
}


def q(name: str) -> str:
    """Quote an identifier (attribute names such as ``unique`` are SQL keywords)."""
    return '"' + name.replace('"', '""') + '"'


def table(item_type: ItemType | str) -> str:
    code = item_type if isinstance(item_type, str) else item_type.code
    return q(f"t_{code}")


def localized_table(item_type: ItemType | str) -> str:
    code = item_type if isinstance(item_type, str) else item_type.code
    return q(f"t_{code}__lp")


def relation_name(item_type: ItemType, attribute: Attribute) -> str:
    return f"{item_type.code}.{attribute.name}"


def ddl(types: TypeSystem) -> list[str]:
    statements = [
        "CREATE TABLE IF NOT EXISTS engine_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # Members of collections that are not the inverse side of a reference.
        "CREATE TABLE IF NOT EXISTS relations (attr TEXT NOT NULL, source INTEGER NOT NULL, "
        "target INTEGER NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (attr, source, target))"
        " WITHOUT ROWID",
        "CREATE INDEX IF NOT EXISTS relations_target ON relations (attr, target)",
        "CREATE TABLE IF NOT EXISTS users (uid TEXT PRIMARY KEY, password TEXT NOT NULL, "
        "groups TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS oauth_clients (client_id TEXT PRIMARY KEY, "
        "secret TEXT NOT NULL, uid TEXT NOT NULL REFERENCES users (uid))",
    ]
    for t in types.types.values():
        columns = [
            "pk INTEGER PRIMARY KEY",
            "_created INTEGER NOT NULL",
            "_modified INTEGER NOT NULL",
        ]
        for a in t.columns:
            affinity = "INTEGER" if a.kind is Kind.REFERENCE else _AFFINITY[_primitive(a)]
            columns.append(f"{q(a.name)} {affinity}")
        statements.append(f"CREATE TABLE IF NOT EXISTS {table(t)} ({', '.join(columns)})")
        unique = [a for a in t.columns if a.unique]
        if unique:
            # Natural keys lead the lookup of an upsert; most IOs use exactly these.
            cols = ", ".join(q(a.name) for a in reversed(unique))
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {q(f'ix_{t.code}_key')} ON {table(t)} ({cols})"
            )
        for a in t.columns:
            if a.kind is Kind.REFERENCE:
                statements.append(
                    f"CREATE INDEX IF NOT EXISTS {q(f'ix_{t.code}_{a.name}')} "
                    f"ON {table(t)} ({q(a.name)})"
                )
        if t.localized:
            cols = ", ".join(f"{q(n)} TEXT" for n in t.localized)
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {localized_table(t)} (pk INTEGER NOT NULL, "
                f"lang TEXT NOT NULL, {cols}, PRIMARY KEY (pk, lang)) WITHOUT ROWID"
            )
    return statements


def _primitive(a: Attribute) -> Primitive:
    assert a.primitive is not None  # primitive attributes always carry their kind
    return a.primitive
