"""Value constraints of property definitions (spec §7.8): compile once, check every value."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Final, TypeAlias

from repo_server.errors import (
    ConstraintViolation,
    InvalidNodeTypeDefinition,
    InvalidPath,
    InvalidValue,
)
from repo_server.model import path as _path
from repo_server.model.values import (
    Binary,
    Property,
    PropertyType,
    Value,
    epoch_ms,
    parse_iso_date,
    to_string,
)
from repo_server.nodetypes.definitions import PropertyDefinition

# A compiled constraint answers whether one value satisfies it. REFERENCE constraints take the
# target's node type names instead of the value, so they are kept as plain names.
Matcher: TypeAlias = Callable[[Value], bool]

_RANGE: Final = re.compile(r"^\s*([\[(])\s*([^,]*?)\s*,\s*([^,]*?)\s*([\])])\s*$")
_RANGED: Final = frozenset(
    {
        PropertyType.LONG,
        PropertyType.DOUBLE,
        PropertyType.DECIMAL,
        PropertyType.DATE,
        PropertyType.BINARY,
    }
)


def _number(value: Value) -> Decimal:
    # Every ranged type compares as a Decimal: exact for LONG and DECIMAL, epoch milliseconds
    # for DATE (instants, whatever the offset), the byte length for BINARY.
    if isinstance(value, Binary):
        return Decimal(value.length)
    if isinstance(value, datetime):
        return Decimal(epoch_ms(value))
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    raise ValueError(f"{value!r} is not a number")


def _bound(text: str, type_: PropertyType) -> Decimal | None:
    if not text:
        return None
    number = _number(parse_iso_date(text)) if type_ is PropertyType.DATE else Decimal(text)
    if not number.is_finite():
        raise ValueError(text)
    return number


def _range_matcher(text: str, type_: PropertyType) -> Matcher:
    m = _RANGE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a range like '[0,10)'")
    low_open = m.group(1) == "("
    high_open = m.group(4) == ")"
    low = _bound(m.group(2), type_)
    high = _bound(m.group(3), type_)

    def matches(value: Value) -> bool:
        k = _number(value)
        if k.is_nan():
            return False
        if low is not None and (k < low or (low_open and k == low)):
            return False
        return high is None or k < high or (not high_open and k == high)

    return matches


def _path_matcher(text: str) -> Matcher:
    # "/a/b/*" admits the strict descendants of /a/b; anything else is one exact path.
    if text.endswith("/*"):
        base = text[:-2] or "/"
        base = _path.normalize(base) if base.startswith("/") else _path.normalize_relative(base)
        if base.startswith("/"):
            return lambda value: _path.is_ancestor(base, str(value))
        prefix = base + "/"
        return lambda value: str(value).startswith(prefix)
    exact = _path.normalize(text) if text.startswith("/") else _path.normalize_relative(text)
    return lambda value: str(value) == exact


@lru_cache(maxsize=4096)
def compile_constraint(text: str, type_: PropertyType) -> Matcher | None:
    """The matcher for one constraint of a `type_` property; None for reference constraints.

    Raises InvalidNodeTypeDefinition when the constraint is malformed for that type.
    """
    try:
        if type_ in (PropertyType.STRING, PropertyType.URI, PropertyType.UNDEFINED):
            pattern = re.compile(text)
            return lambda value: pattern.fullmatch(str(value)) is not None
        if type_ in _RANGED:
            return _range_matcher(text, type_)
        if type_ is PropertyType.BOOLEAN:
            wanted = text.strip().lower()
            if wanted not in ("true", "false"):
                raise ValueError(text)
            return lambda value: value is (wanted == "true")
        if type_ is PropertyType.NAME:
            name = text.strip()
            return lambda value: value == name
        if type_ is PropertyType.PATH:
            return _path_matcher(text.strip())
        if type_ in (PropertyType.REFERENCE, PropertyType.WEAKREFERENCE):
            return None
    except (re.error, ValueError, InvalidOperation, InvalidValue, InvalidPath) as exc:
        raise InvalidNodeTypeDefinition(
            f"invalid {type_.jcr_name} constraint {text!r}: {exc}",
            constraint=text,
            type=type_.jcr_name,
        ) from None
    raise InvalidNodeTypeDefinition(f"unsupported constraint type {type_!r}")


def validate_constraints(defn: PropertyDefinition) -> None:
    """Compile every constraint of `defn`; InvalidNodeTypeDefinition names the bad one.

    Constraints of an UNDEFINED definition are read for each value's type, so they can only
    be checked against values.
    """
    if defn.required_type is PropertyType.UNDEFINED:
        return
    for text in defn.constraints:
        compile_constraint(text, defn.required_type)


def check_constraints(
    defn: PropertyDefinition,
    prop: Property,
    resolve_reference_type: Callable[[str], Iterable[str]] | None = None,
    *,
    name: str | None = None,
) -> None:
    """Raise ConstraintViolation unless every value of `prop` meets one constraint of `defn`.

    The constraints are read for the stored type of `prop` (an UNDEFINED definition constrains
    whatever type the value has). REFERENCE/WEAKREFERENCE constraints name node types: the
    callback returns the type names of a target (its whole effective type); an empty answer
    means the target is unknown, which integrity checking (spec §9), not this, reports.
    `name` is the property's own name, used in the message instead of a residual `*`.
    """
    if not defn.constraints:
        return
    label = name or defn.name
    type_ = prop.type
    if type_ in (PropertyType.REFERENCE, PropertyType.WEAKREFERENCE):
        if resolve_reference_type is None:
            return
        allowed = set(defn.constraints)
        for value in prop.values:
            names = set(resolve_reference_type(str(value)))
            if names and not names & allowed:
                _violation(label, value, type_, defn)
        return
    matchers = [compile_constraint(text, type_) for text in defn.constraints]
    for value in prop.values:
        if not any(m is not None and m(value) for m in matchers):
            _violation(label, value, type_, defn)


def _violation(label: str, value: Value, type_: PropertyType, defn: PropertyDefinition) -> None:
    shown = to_string(value, type_) if not isinstance(value, Binary) else f"<{value.length} bytes>"
    raise ConstraintViolation(
        f"value {shown[:100]!r} of property {label!r} does not satisfy its constraints "
        f"{list(defn.constraints)!r}",
        property=label,
        value=shown[:100],
        constraints=list(defn.constraints),
    )
