"""The query model: predicates, groups, orderings and paging, as frozen values.

A `Query` is a tree of predicates under one root `Group` (AND unless `any`), evaluated against
the saved state of the repository. Property values to compare with are typed Python values or
strings; a string is converted to the stored property's type when compared (JCR's rule for
literals), so `"42"` equals a LONG 42 and `"true"` a BOOLEAN true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeAlias

Literal_: TypeAlias = str | int | float | Decimal | bool | datetime
PathScope = Literal["descendants", "children", "exact"]
PropertyOperation = Literal["equals", "unequals", "like", "not", "exists"]
RangeKind = Literal["number", "date", "string"]


@dataclass(frozen=True, slots=True)
class PathPredicate:
    """Nodes below `path` (strict descendants), its direct children, or the node itself.

    `include_self` adds the node at `path` to the descendants or children.
    """

    path: str
    scope: PathScope = "descendants"
    include_self: bool = False


@dataclass(frozen=True, slots=True)
class TypePredicate:
    """Nodes that are of `node_type`: primary type or a mixin, subtypes included (isNodeType)."""

    node_type: str


@dataclass(frozen=True, slots=True)
class MixinPredicate:
    """Nodes with a mixin that is `mixin` or one of its subtypes."""

    mixin: str


@dataclass(frozen=True, slots=True)
class NamePredicate:
    """Nodes whose name matches `pattern`; `*` and `?` are wildcards."""

    pattern: str


@dataclass(frozen=True, slots=True)
class PropertyPredicate:
    """A property test.

    - `equals`: some value equals one of `values` (all of them when `all_values`);
    - `unequals`: the property exists and no value equals any of `values`;
    - `like`: some value matches one of the SQL LIKE patterns in `values` (`%`, `_`);
    - `exists` / `not`: the property is present / absent.
    """

    name: str
    operation: PropertyOperation = "equals"
    values: tuple[Literal_, ...] = ()
    all_values: bool = False


@dataclass(frozen=True, slots=True)
class RangePredicate:
    """Some value of property `name` lies between the bounds (None = unbounded).

    `kind` says how the bounds compare: as numbers (LONG, DOUBLE, DECIMAL), dates or strings.
    """

    name: str
    kind: RangeKind
    lower: Literal_ | None = None
    upper: Literal_ | None = None
    lower_inclusive: bool = False
    upper_inclusive: bool = False


@dataclass(frozen=True, slots=True)
class FullTextPredicate:
    """Full-text search over the string properties (or one property when `property` is set).

    Words are ANDed; `OR` between words, `"quoted phrases"`, a `-word` exclusion and a `word*`
    prefix follow the JCR full-text syntax.
    """

    text: str
    property: str | None = None


Predicate: TypeAlias = (
    "PathPredicate | TypePredicate | MixinPredicate | NamePredicate | PropertyPredicate"
    " | RangePredicate | FullTextPredicate | Group"
)


@dataclass(frozen=True, slots=True)
class Group:
    """All of `predicates` (any of them when `any`); `negate` inverts the group."""

    predicates: tuple[Predicate, ...] = ()
    any: bool = False
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Order:
    """Sort key: `@<property>`, `path` or `nodename`. Nodes without the property sort last."""

    key: str
    descending: bool = False
    ignore_case: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A query: the predicates, orderings and the page asked for.

    `limit` None returns every hit. `guess_total` None counts every hit; an int stops counting
    once that many hits (at least offset + limit + 1) are found, and the result says `more`.
    """

    where: Group = field(default_factory=Group)
    orders: tuple[Order, ...] = ()
    offset: int = 0
    limit: int | None = 10
    guess_total: int | None = None
