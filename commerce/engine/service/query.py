"""SQL for reads: key lookups, ``$filter``/``$orderby`` compilation, integrationKey computation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from commerce.engine.errors import (
    FilterNotSupported,
    IntegrationKeyNotSupported,
    InvalidProperty,
    InvalidQueryParameter,
    OrderByIntegrationKeyNotSupported,
    OrderByNestedAttributeNotSupported,
)
from commerce.engine.model.filter import (
    Comparison,
    DateTimeLiteral,
    Expression,
    Literal,
    LiteralValue,
    Logical,
    Not,
    Property,
)
from commerce.engine.model.io import IntegrationObject, IOAttribute, IOItem
from commerce.engine.model.keys import join_key, split_key
from commerce.engine.model.types import Kind, Primitive
from commerce.engine.model.values import canonical_decimal, from_key_text, key_text, to_sql
from commerce.engine.service.rows import RowCache
from commerce.engine.store.schema import localized_table, q, relation_name, table
from commerce.engine.store.sqlite import Connection, Param

_MIRROR = {"eq": "eq", "ne": "ne", "gt": "lt", "lt": "gt", "ge": "le", "le": "ge"}
_SQL_OPS = {"eq": "IS", "ne": "IS NOT", "gt": ">", "lt": "<", "ge": ">=", "le": "<="}


@dataclass(slots=True)
class Select:
    """FROM + JOINs over one IO item; references are LEFT JOINed once per attribute path."""

    io: IntegrationObject
    item: IOItem
    alias: str = "t0"
    joins: list[str] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    _aliases: dict[tuple[str, ...], str] = field(default_factory=dict)
    _counter: list[int] = field(default_factory=lambda: [0])

    def next_alias(self) -> str:
        self._counter[0] += 1
        return f"{self.alias}_{self._counter[0]}"

    def walk(self, path: Sequence[str]) -> tuple[str, IOItem]:
        """Join the references named by ``path`` (IO attribute names); returns alias and item."""
        alias, item = self.alias, self.item
        for i, name in enumerate(path):
            attr = item.attributes[name]
            assert attr.target_item is not None  # only references are walked
            known = self._aliases.get(tuple(path[: i + 1]))
            target = self.io.items[attr.target_item]
            if known is None:
                known = self.next_alias()
                self._aliases[tuple(path[: i + 1])] = known
                self.joins.append(
                    f"LEFT JOIN {table(target.type)} {known} "
                    f"ON {known}.pk = {alias}.{q(attr.attribute.name)}"
                )
            alias, item = known, target
        return alias, item

    @property
    def from_clause(self) -> str:
        return " ".join([f"{table(self.item.type)} {self.alias}", *self.joins])


def key_condition(select: Select, item_path: Sequence[str], item: IOItem, key: str) -> str:
    """SQL matching the item at ``item_path`` whose integrationKey is ``key`` (params appended)."""
    parts = split_key(key, len(item.key))
    conditions = []
    for segment, text in zip(item.key, parts, strict=True):
        alias, last = select.walk([*item_path, *segment.path[:-1]])
        column = last.attributes[segment.path[-1]].attribute.name
        conditions.append(f"{alias}.{q(column)} IS ?")
        select.params.append(to_sql(from_key_text(segment.primitive, text)))
    return "(" + " AND ".join(conditions) + ")"


async def find_by_key(
    conn: Connection, io: IntegrationObject, item: IOItem, key: str
) -> int | None:
    select = Select(io, item)
    where = key_condition(select, (), item, key)
    row = await conn.fetchone(
        f"SELECT t0.pk FROM {select.from_clause} WHERE {where} ORDER BY t0.pk LIMIT 1",
        select.params,
    )
    return None if row is None else int(row[0])


async def keys_for(
    cache: RowCache, io: IntegrationObject, item: IOItem, pks: Sequence[int]
) -> dict[int, str]:
    """integrationKey of each item, loading referenced rows in batches (spec §3)."""
    parts: dict[int, list[str]] = {pk: [] for pk in pks}
    for segment in item.key:
        current = {pk: pk for pk in pks}  # root pk -> pk at the current step of the path
        step = item
        for name in segment.path[:-1]:
            attr = step.attributes[name]
            rows = await cache.rows(step.type, set(current.values()))
            assert attr.target_item is not None  # key paths only walk references
            current = {
                root: _as_pk(rows.get(p, {}).get(attr.attribute.name))
                for root, p in current.items()
            }
            step = io.items[attr.target_item]
        rows = await cache.rows(step.type, set(current.values()))
        column = step.attributes[segment.path[-1]].attribute.name
        for root, p in current.items():
            value = rows.get(p, {}).get(column)
            parts[root].append(key_text(segment.primitive, value))
    return {pk: join_key(values) for pk, values in parts.items()}


def _as_pk(value: object) -> int:
    return value if isinstance(value, int) else -1


def _attribute(item: IOItem, name: str, option: str) -> IOAttribute:
    attr = item.attributes.get(name)
    if attr is None:
        raise InvalidProperty(
            f"Property [{name}] used in {option} does not exist in [{item.code}]."
        )
    return attr


class FilterCompiler:
    """Turns a ``$filter`` AST into a WHERE clause over a Select (parameters appended to it)."""

    def __init__(self, select: Select, language: str) -> None:
        self.select = select
        self.language = language

    def compile(self, expression: Expression) -> str:
        if isinstance(expression, Logical):
            op = "AND" if expression.op == "and" else "OR"
            return f"({self.compile(expression.left)} {op} {self.compile(expression.right)})"
        if isinstance(expression, Not):
            return f"(NOT {self.compile(expression.operand)})"
        return self.comparison(expression)

    def comparison(self, c: Comparison) -> str:
        op = c.op
        if isinstance(c.left, Literal) and isinstance(c.right, Property):
            prop, literal, op = c.right, c.left, _MIRROR[op]
        elif isinstance(c.left, Property) and isinstance(c.right, Literal):
            prop, literal = c.left, c.right
        else:
            raise FilterNotSupported("$filter compares a property with a literal only.")
        path = prop.path
        if path == ("integrationKey",):
            raise IntegrationKeyNotSupported(
                "Filtering by integrationKey is not supported; address the item by its key "
                f"instead, e.g. {self.select.item.entity_set}('...')."
            )
        if len(path) > 2:
            raise FilterNotSupported(
                f"$filter supports at most one navigation step, not [{'/'.join(path)}]."
            )
        item = self.select.item
        first = _attribute(item, path[0], "$filter")
        if len(path) == 1:
            if first.is_navigation:
                raise FilterNotSupported(
                    f"Compare a property of navigation [{first.name}], "
                    f"e.g. {first.name}/integrationKey."
                )
            return self._primitive(self.select, (), item, first, op, literal.value)
        if not first.is_navigation:
            raise FilterNotSupported(f"[{first.name}] is not a navigation property.")
        assert first.target_item is not None  # navigations always name their target
        target = self.select.io.items[first.target_item]
        if first.is_collection:
            return self._collection(first, target, path[1], op, literal.value)
        return self._on_target(self.select, (first.name,), target, path[1], op, literal.value)

    def _on_target(
        self,
        select: Select,
        prefix: tuple[str, ...],
        target: IOItem,
        name: str,
        op: str,
        value: LiteralValue,
    ) -> str:
        if name == "integrationKey":
            if op not in ("eq", "ne") or not isinstance(value, str):
                raise FilterNotSupported(
                    "integrationKey of a navigation compares with eq/ne 'text'."
                )
            condition = key_condition(select, prefix, target, value)
            return condition if op == "eq" else f"(NOT {condition})"
        attr = _attribute(target, name, "$filter")
        if attr.is_navigation:
            raise FilterNotSupported(
                f"$filter supports at most one navigation step, not [{'/'.join((*prefix, name))}]."
            )
        return self._primitive(select, prefix, target, attr, op, value)

    def _collection(
        self, attr: IOAttribute, target: IOItem, name: str, op: str, value: LiteralValue
    ) -> str:
        outer = self.select
        inner = Select(outer.io, target, alias=outer.next_alias(), _counter=outer._counter)
        condition = self._on_target(inner, (), target, name, op, value)
        if attr.attribute.inverse is not None:
            sub = (
                f"SELECT {inner.alias}.{q(attr.attribute.inverse)} FROM {inner.from_clause} "
                f"WHERE {condition}"
            )
        else:
            sub = (
                f"SELECT r.source FROM relations r JOIN {inner.from_clause} "
                f"ON {inner.alias}.pk = r.target WHERE r.attr = ? AND {condition}"
            )
            inner.params.insert(0, relation_name(outer.item.type, attr.attribute))
        outer.params.extend(inner.params)
        return f"({outer.alias}.pk IN ({sub}))"

    def _primitive(
        self,
        select: Select,
        prefix: tuple[str, ...],
        item: IOItem,
        attr: IOAttribute,
        op: str,
        value: LiteralValue,
    ) -> str:
        alias, _ = select.walk(prefix)
        primitive = attr.attribute.primitive
        assert primitive is not None  # checked by the callers: not a navigation
        column = _column_sql(alias, item, attr, select.params, self.language)
        if value is None:
            if op not in ("eq", "ne"):
                raise FilterNotSupported(f"null compares with eq or ne only ([{attr.name}]).")
            return f"({column} {'IS' if op == 'eq' else 'IS NOT'} NULL)"
        converted = _literal(attr.name, primitive, value)
        if primitive is Primitive.DECIMAL:
            column = f"CAST({column} AS REAL)"
        if op in ("eq", "ne") and primitive is not Primitive.DECIMAL:
            select.params.append(converted)
            return f"({column} {_SQL_OPS[op]} ?)"
        select.params.append(converted)
        if op == "ne":
            return f"({column} IS NOT ?)"
        return f"({column} {'=' if op == 'eq' else _SQL_OPS[op]} ?)"


def _column_sql(
    alias: str, item: IOItem, attr: IOAttribute, params: list[Param], language: str
) -> str:
    if attr.attribute.localized:
        # Localized values filter and sort in one language (SAP: the installation language).
        params.append(language)
        return (
            f"(SELECT lp.{q(attr.attribute.name)} FROM {localized_table(item.type)} lp "
            f"WHERE lp.pk = {alias}.pk AND lp.lang = ?)"
        )
    return f"{alias}.{q(attr.attribute.name)}"


def _literal(name: str, primitive: Primitive, value: LiteralValue) -> str | int | float:
    def bad() -> FilterNotSupported:
        return FilterNotSupported(
            f"The literal [{value}] does not match the type of [{name}] ({primitive.edm})."
        )

    if primitive is Primitive.STRING:
        if isinstance(value, str):
            return value
        raise bad()
    if primitive is Primitive.BOOLEAN:
        if isinstance(value, bool):
            return int(value)
        raise bad()
    if isinstance(value, bool):
        raise bad()
    if primitive is Primitive.DATETIME:
        if isinstance(value, DateTimeLiteral):
            return value.millis
        raise bad()
    if isinstance(value, DateTimeLiteral | str):
        if primitive in (Primitive.LONG, Primitive.DECIMAL) and isinstance(value, str):
            try:
                value = Decimal(value)
            except ArithmeticError:
                raise bad() from None
        else:
            raise bad()
    if primitive in (Primitive.INTEGER, Primitive.LONG):
        if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral()):
            return int(value)
        raise bad()
    if primitive is Primitive.DECIMAL:
        return float(canonical_decimal(Decimal(str(value))))
    if value is None:
        raise bad()
    return float(value)


def order_clause(
    select: Select, orderby: Sequence[tuple[tuple[str, ...], bool]], language: str
) -> str:
    terms = []
    for path, descending in orderby:
        if path == ("integrationKey",):
            raise OrderByIntegrationKeyNotSupported("Ordering by integrationKey is not supported.")
        if len(path) > 1:
            raise OrderByNestedAttributeNotSupported(
                f"Ordering by nested attribute [{'/'.join(path)}] is not supported."
            )
        attr = _attribute(select.item, path[0], "$orderby")
        if attr.is_collection:
            raise InvalidQueryParameter(f"Cannot order by collection [{attr.name}].")
        if attr.is_navigation:
            # SAP orders a navigation by the referenced item's primary key.
            column = f"{select.alias}.{q(attr.attribute.name)}"
        else:
            column = _column_sql(select.alias, select.item, attr, select.params, language)
            if attr.attribute.primitive is Primitive.DECIMAL:
                column = f"CAST({column} AS REAL)"
        terms.append(f"{column} {'DESC' if descending else 'ASC'}")
    terms.append(f"{select.alias}.pk ASC")  # a stable order makes $skiptoken paging exact
    return ", ".join(terms)


def kind_of(attr: IOAttribute) -> Kind:
    return attr.attribute.kind
