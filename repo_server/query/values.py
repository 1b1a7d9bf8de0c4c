"""Comparing property values with query literals, and their order-preserving index keys.

Index keys are bytes compared by `memcmp` in SQLite: a one-byte family tag, then an encoding
that sorts like the values (booleans, numbers as IEEE doubles with the sign trick, dates as
epoch milliseconds, strings as UTF-8, which sorts by code point). Keys may lose precision
(longs beyond 2**53, strings cut at `MAX_KEY_BYTES`) but never order: the engine reads index
ranges inclusively and re-checks every candidate, so a lossy key only costs a false candidate.
"""

from __future__ import annotations

import fnmatch
import math
import re
import struct
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Final

from repo_server.errors import InvalidValue
from repo_server.model.values import (
    NUMERIC,
    Binary,
    Property,
    PropertyType,
    Value,
    epoch_ms,
    parse_iso_date,
    to_string,
)
from repo_server.query.model import Literal_, RangeKind

BOOLEAN_TAG: Final = b"\x01"
NUMBER_TAG: Final = b"\x02"
DATE_TAG: Final = b"\x03"
STRING_TAG: Final = b"\x04"
MAX_KEY_BYTES: Final = 512
_DATE_ONLY: Final = re.compile(r"^[+-]?\d{4,}-\d{2}-\d{2}$")

# (family, comparable): families never compare with each other.
SortKey = tuple[int, object]


def _number_bytes(number: float) -> bytes:
    raw = bytearray(struct.pack(">d", number))
    if raw[0] & 0x80:
        return bytes(b ^ 0xFF for b in raw)
    raw[0] |= 0x80
    return bytes(raw)


def _family(type_: PropertyType) -> int:
    if type_ is PropertyType.BOOLEAN:
        return 1
    if type_ in NUMERIC:
        return 2
    if type_ is PropertyType.DATE:
        return 3
    return 4


def index_key(value: Value, type_: PropertyType) -> bytes | None:
    """The index key of one stored value (None for binaries, which are not indexed)."""
    if isinstance(value, Binary):
        return None
    family = _family(type_)
    if family == 1:
        return BOOLEAN_TAG + (b"\x01" if value else b"\x00")
    if family == 2:
        number = float(value)  # type: ignore[arg-type]  # numeric families hold numbers
        return NUMBER_TAG + _number_bytes(number) if math.isfinite(number) else None
    if family == 3:
        assert isinstance(value, datetime)
        return DATE_TAG + (epoch_ms(value) + 2**63).to_bytes(8, "big")
    return STRING_TAG + to_string(value, type_).encode("utf-8")[:MAX_KEY_BYTES]


def property_keys(prop: Property) -> list[bytes]:
    out = []
    for value in prop.values:
        key = index_key(value, prop.type)
        if key is not None:
            out.append(key)
    return list(dict.fromkeys(out))


def exact_string(key: bytes) -> str | None:
    """The string a STRING-family key was made of, or None when the key is of another family
    or may have been cut at `MAX_KEY_BYTES` (the caller reads the value itself then)."""
    if key[:1] != STRING_TAG or len(key) > MAX_KEY_BYTES:
        return None
    try:
        return key[1:].decode("utf-8")
    except UnicodeDecodeError:
        return None


def number_of_key(key: bytes) -> float | None:
    """The number a NUMBER-family key was made of (as a double), or None for another family."""
    if key[:1] != NUMBER_TAG or len(key) != 9:
        return None
    raw = bytearray(key[1:])
    if raw[0] & 0x80:
        raw[0] &= 0x7F
    else:
        raw = bytearray(b ^ 0xFF for b in raw)
    return float(struct.unpack(">d", bytes(raw))[0])


def parse_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_date(text: str) -> datetime | None:
    """ISO 8601 date-time (JCR's profile) or a plain date (midnight UTC); None if neither."""
    text = text.strip()
    if _DATE_ONLY.match(text):
        text += "T00:00:00.000Z"
    try:
        return parse_iso_date(text, UTC)
    except InvalidValue:
        return None


def literal_keys(literal: Literal_) -> tuple[bytes, ...]:
    """Every key an equal stored value could have: a string literal may match a string, a
    number, a date or a boolean property. Cached: trying a string as a number and as a date
    costs more than the indexed lookup it is for."""
    try:
        return _cached_literal_keys(literal)
    except TypeError:  # unhashable (a signalling NaN Decimal): computed, not cached
        return tuple(_literal_keys(literal))


@lru_cache(maxsize=4096, typed=True)  # typed: True, 1 and 1.0 are different literals
def _cached_literal_keys(literal: Literal_) -> tuple[bytes, ...]:
    return tuple(_literal_keys(literal))


def _literal_keys(literal: Literal_) -> list[bytes]:
    if isinstance(literal, bool):
        return [index_key(literal, PropertyType.BOOLEAN) or b""]
    if isinstance(literal, int | float | Decimal):
        key = index_key(literal, PropertyType.DECIMAL)
        return [key] if key is not None else []
    if isinstance(literal, datetime):
        return [index_key(literal, PropertyType.DATE) or b""]
    keys = [STRING_TAG + literal.encode("utf-8")[:MAX_KEY_BYTES]]
    number = parse_number(literal)
    if number is not None:
        keys.append(NUMBER_TAG + _number_bytes(float(number)))
    date = parse_date(literal)
    if date is not None:
        keys.append(DATE_TAG + (epoch_ms(date) + 2**63).to_bytes(8, "big"))
    if literal in ("true", "false"):
        keys.append(BOOLEAN_TAG + (b"\x01" if literal == "true" else b"\x00"))
    return keys


def range_key(bound: Literal_, kind: RangeKind) -> bytes:
    """The index key of a range bound of the given kind (bounds are already converted)."""
    if kind == "number":
        return NUMBER_TAG + _number_bytes(float(bound))  # type: ignore[arg-type]  # converted
    if kind == "date":
        assert isinstance(bound, datetime)
        return DATE_TAG + (epoch_ms(bound) + 2**63).to_bytes(8, "big")
    return STRING_TAG + str(bound).encode("utf-8")[:MAX_KEY_BYTES]


def is_exact_key(bound: Literal_, kind: RangeKind) -> bool:
    """The bound's key orders exactly like the bound: no stored value of another magnitude
    shares it (numbers a double holds exactly, dates, strings shorter than the key cap)."""
    if kind == "number":
        assert isinstance(bound, int | float | Decimal)
        as_float = float(bound)
        return math.isfinite(as_float) and Decimal(repr(as_float)) == Decimal(bound)
    if kind == "date":
        return True
    return len(str(bound).encode("utf-8")) < MAX_KEY_BYTES


def range_bounds(kind: RangeKind) -> tuple[bytes, bytes]:
    """The smallest and (exclusive) largest key of the family of `kind`."""
    tag = {"number": NUMBER_TAG, "date": DATE_TAG, "string": STRING_TAG}[kind]
    return tag, bytes([tag[0] + 1])


def sort_key(value: Value, type_: PropertyType, ignore_case: bool = False) -> SortKey:
    family = _family(type_)
    if family == 1:
        return (1, bool(value))
    if family == 2:
        if isinstance(value, float) and math.isnan(value):
            return (5, 0)  # NaN equals nothing and sorts after every number
        return (2, value if isinstance(value, int | Decimal) else Decimal(repr(value)))
    if family == 3:
        assert isinstance(value, datetime)
        return (3, epoch_ms(value))
    text = to_string(value, type_)
    return (4, text.casefold() if ignore_case else text)


def literal_family(kind: RangeKind) -> int:
    return {"number": 2, "date": 3, "string": 4}[kind]


def literal_sort_key(literal: Literal_, kind: RangeKind) -> SortKey:
    if kind == "number":
        assert isinstance(literal, int | float | Decimal)
        return (2, literal if isinstance(literal, int | Decimal) else Decimal(repr(literal)))
    if kind == "date":
        assert isinstance(literal, datetime)
        return (3, epoch_ms(literal))
    return (4, str(literal))


def equals(value: Value, type_: PropertyType, literal: Literal_) -> bool:
    """A stored value equals a literal (a string literal is read as the value's type)."""
    family = _family(type_)
    if isinstance(literal, str):
        if family == 4:
            return to_string(value, type_) == literal
        if family == 1:
            return literal in ("true", "false") and bool(value) == (literal == "true")
        if family == 2:
            number = parse_number(literal)
            return number is not None and sort_key(value, type_)[1] == number
        date = parse_date(literal)
        return date is not None and sort_key(value, type_)[1] == epoch_ms(date)
    if isinstance(literal, bool):
        return family == 1 and bool(value) == literal
    if isinstance(literal, int | float | Decimal):
        if family != 2:
            return False
        right = literal if not isinstance(literal, float) else Decimal(repr(literal))
        return sort_key(value, type_)[1] == right
    return family == 3 and sort_key(value, type_)[1] == epoch_ms(literal)


@lru_cache(maxsize=256)
def like_regex(pattern: str) -> re.Pattern[str]:
    """SQL LIKE (`%`, `_`, `\\` escapes) as a regular expression, case-sensitive as in JCR."""
    out = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


@lru_cache(maxsize=256)
def name_regex(pattern: str) -> re.Pattern[str]:
    """A node name pattern with `*` and `?` wildcards."""
    return re.compile(fnmatch.translate(pattern))


def has_wildcards(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def strings(values: Iterable[Value], type_: PropertyType) -> list[str]:
    return [to_string(v, type_) for v in values if not isinstance(v, Binary)]
