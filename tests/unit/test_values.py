"""Property types, parsing, canonical strings, the §4.3 conversion table and the msgpack codec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import msgpack
import pytest

from repo_server.errors import InvalidValue
from repo_server.model.values import (
    INLINE_BINARY_LIMIT,
    Binary,
    Property,
    PropertyType,
    Value,
    blobs_of,
    convert,
    convert_property,
    decode_properties,
    encode_properties,
    epoch_ms,
    format_ecma_date,
    format_iso_date,
    from_epoch_ms,
    make_property,
    parse_iso_date,
    parse_value,
    to_string,
    type_of,
)

T = PropertyType
CEST = timezone(timedelta(hours=2))
JULY = datetime(2009, 7, 14, 10, 20, 30, 123000, tzinfo=CEST)
UUID = "0189a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"


# --- property types ---------------------------------------------------------------------------


def test_property_types_carry_the_jcr_numeric_codes() -> None:
    assert [int(t) for t in PropertyType] == list(range(13))
    assert (T.STRING, T.DECIMAL, T.UNDEFINED) == (1, 12, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("String", T.STRING),
        ("long", T.LONG),
        ("DOUBLE", T.DOUBLE),
        ("WeakReference", T.WEAKREFERENCE),
        ("uri", T.URI),
        ("*", T.UNDEFINED),
        ("undefined", T.UNDEFINED),
    ],
)
def test_property_types_are_found_by_name_ignoring_case(text: str, expected: T) -> None:
    assert PropertyType.from_name(text) is expected


def test_an_unknown_type_name_is_refused_naming_it() -> None:
    with pytest.raises(InvalidValue, match="'Integer'"):
        PropertyType.from_name("Integer")
    with pytest.raises(InvalidValue):
        PropertyType.from_name("long", case_sensitive=True)


# --- parsing strings (the STRING row of §4.3) -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "type_", "expected"),
    [
        ("hello", T.STRING, "hello"),
        ("42", T.LONG, 42),
        ("-42", T.LONG, -42),
        ("+7", T.LONG, 7),
        (" 12 ", T.LONG, 12),
        ("9223372036854775807", T.LONG, 2**63 - 1),
        ("-9223372036854775808", T.LONG, -(2**63)),
        ("3.25", T.DOUBLE, 3.25),
        ("-1e3", T.DOUBLE, -1000.0),
        ("12.50", T.DECIMAL, Decimal("12.50")),
        ("1E+2", T.DECIMAL, Decimal("1E+2")),
        (
            "123456789012345678901234567890.000000001",
            T.DECIMAL,
            Decimal("123456789012345678901234567890.000000001"),
        ),
        ("true", T.BOOLEAN, True),
        ("TRUE", T.BOOLEAN, True),
        ("True", T.BOOLEAN, True),
        ("false", T.BOOLEAN, False),
        ("yes", T.BOOLEAN, False),
        ("1", T.BOOLEAN, False),
        ("jcr:content", T.NAME, "jcr:content"),
        ("{http://www.jcp.org/jcr/nt/1.0}file", T.NAME, "nt:file"),
        ("/a/./b/../c/", T.PATH, "/a/c"),
        ("a/./b", T.PATH, "a/b"),
        ("../x", T.PATH, "../x"),
        (UUID, T.REFERENCE, UUID),
        (UUID, T.WEAKREFERENCE, UUID),
        ("https://example.com/a?b=c#d", T.URI, "https://example.com/a?b=c#d"),
        ("../relative/ref", T.URI, "../relative/ref"),
        ("mailto:x@example.com", T.URI, "mailto:x@example.com"),
    ],
)
def test_strings_parse_to_every_type(text: str, type_: T, expected: Value) -> None:
    value = parse_value(text, type_)
    assert value == expected
    assert type(value) is type(expected)
    assert convert(text, T.STRING, type_) == expected


def test_string_to_binary_is_its_utf8_encoding() -> None:
    value = parse_value("grüße", T.BINARY)
    assert isinstance(value, Binary)
    assert value.data == "grüße".encode()
    assert value.length == len("grüße".encode())


@pytest.mark.parametrize(
    ("text", "type_"),
    [
        ("", T.LONG),
        ("4.5", T.LONG),
        ("0x1f", T.LONG),
        ("1_000", T.LONG),
        ("9223372036854775808", T.LONG),
        ("-9223372036854775809", T.LONG),
        ("abc", T.DOUBLE),
        ("1_0", T.DOUBLE),
        ("", T.DOUBLE),
        ("abc", T.DECIMAL),
        ("NaN", T.DECIMAL),
        ("Infinity", T.DECIMAL),
        ("1_0", T.DECIMAL),
        ("2009-13-01T00:00:00.000Z", T.DATE),
        ("2009-02-30T00:00:00.000Z", T.DATE),
        ("2009-07-14 10:20:30", T.DATE),
        ("yesterday", T.DATE),
        ("2009-07-14T25:00:00.000Z", T.DATE),
        ("2009-07-14T10:20:30.000+24:00", T.DATE),
        ("a/b", T.NAME),
        ("bad|name", T.NAME),
        ("unknown:x", T.NAME),
        ("", T.NAME),
        ("/a/../..", T.PATH),
        ("/a|b", T.PATH),
        ("not a uuid!", T.REFERENCE),
        ("", T.REFERENCE),
        ("x" * 129, T.WEAKREFERENCE),
        ("http://exa mple.com", T.URI),
        ("<tag>", T.URI),
        ("http://[bad", T.URI),
    ],
)
def test_strings_that_do_not_parse_raise_a_value_error_naming_the_value(
    text: str, type_: T
) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_value(text, type_)
    assert info.value.code == "invalid-value"
    assert text[:20] in str(info.value)


# --- canonical strings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_", "text"),
    [
        ("x", T.STRING, "x"),
        (42, T.LONG, "42"),
        (-7, T.LONG, "-7"),
        (1.0, T.DOUBLE, "1.0"),
        (0.1, T.DOUBLE, "0.1"),
        (1e300, T.DOUBLE, "1e+300"),
        (Decimal("12.50"), T.DECIMAL, "12.50"),
        (Decimal("1E+3"), T.DECIMAL, "1000"),
        (Decimal("0.0000001"), T.DECIMAL, "0.0000001"),
        (True, T.BOOLEAN, "true"),
        (False, T.BOOLEAN, "false"),
        (JULY, T.DATE, "2009-07-14T10:20:30.123+02:00"),
        ("jcr:content", T.NAME, "jcr:content"),
        ("/a/b", T.PATH, "/a/b"),
        (UUID, T.REFERENCE, UUID),
        ("http://x/", T.URI, "http://x/"),
        (Binary.of(b"bytes"), T.BINARY, "bytes"),
    ],
)
def test_values_have_a_canonical_string(value: Value, type_: T, text: str) -> None:
    assert to_string(value, type_) == text
    assert convert(value, type_, T.STRING) == text


@pytest.mark.parametrize("number", [0.1, 1 / 3, 2.5e-8, 123456789.123, -0.0, 1e16])
def test_double_strings_round_trip_exactly(number: float) -> None:
    assert parse_value(to_string(number, T.DOUBLE), T.DOUBLE) == number


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2009-07-14T10:20:30.123+02:00", "2009-07-14T10:20:30.123+02:00"),
        ("2009-07-14T10:20:30.123Z", "2009-07-14T10:20:30.123+00:00"),
        ("2009-07-14T10:20:30.123-05:30", "2009-07-14T10:20:30.123-05:30"),
        ("2009-07-14T10:20:30.123+0545", "2009-07-14T10:20:30.123+05:45"),
        ("2009-07-14T10:20:30+02:00", "2009-07-14T10:20:30.000+02:00"),
        ("2009-07-14T10:20:30.1+02:00", "2009-07-14T10:20:30.100+02:00"),
        ("2009-07-14T10:20:30.123999+02:00", "2009-07-14T10:20:30.123+02:00"),
        ("2009-07-14T10:20:30.123456789Z", "2009-07-14T10:20:30.123+00:00"),
        ("0900-01-01T00:00:00.000Z", "0900-01-01T00:00:00.000+00:00"),
    ],
)
def test_dates_keep_milliseconds_and_their_offset(text: str, canonical: str) -> None:
    value = parse_iso_date(text)
    assert value.microsecond % 1000 == 0
    assert format_iso_date(value) == canonical


def test_dates_compare_by_instant_whatever_the_offset() -> None:
    a = parse_iso_date("2009-07-14T10:20:30.000+02:00")
    b = parse_iso_date("2009-07-14T08:20:30.000Z")
    assert a == b
    assert a.utcoffset() != b.utcoffset()
    assert epoch_ms(a) == epoch_ms(b)


def test_a_date_without_offset_is_utc() -> None:
    assert parse_iso_date("2009-07-14T10:20:30.000").utcoffset() == timedelta(0)


def test_epoch_milliseconds_round_trip_with_an_offset() -> None:
    ms = epoch_ms(JULY)
    assert ms == 1247559630123
    again = from_epoch_ms(ms, 120)
    assert again == JULY
    assert again.utcoffset() == timedelta(hours=2)
    assert format_iso_date(again) == "2009-07-14T10:20:30.123+02:00"


def test_dates_before_the_epoch_round_trip() -> None:
    value = parse_iso_date("1969-12-31T23:59:59.999Z")
    assert epoch_ms(value) == -1
    assert from_epoch_ms(-1) == value


def test_ecma_dates_render_in_the_stored_offset() -> None:
    assert format_ecma_date(JULY) == "Tue Jul 14 2009 10:20:30 GMT+0200"
    west = parse_iso_date("2021-01-05T01:02:03.000-05:30")
    assert format_ecma_date(west) == "Tue Jan 05 2021 01:02:03 GMT-0530"


# --- the conversion table (§4.3) --------------------------------------------------------------

NUMBERS: list[tuple[Value, T]] = [(12, T.LONG), (12.75, T.DOUBLE), (Decimal("12.75"), T.DECIMAL)]


@pytest.mark.parametrize(
    ("value", "from_type", "to_type", "expected"),
    [
        # numeric <-> numeric; to LONG truncates toward zero
        (12, T.LONG, T.DOUBLE, 12.0),
        (12, T.LONG, T.DECIMAL, Decimal(12)),
        (12.75, T.DOUBLE, T.LONG, 12),
        (-12.75, T.DOUBLE, T.LONG, -12),
        (0.1, T.DOUBLE, T.DECIMAL, Decimal("0.1")),
        (Decimal("12.75"), T.DECIMAL, T.LONG, 12),
        (Decimal("-12.75"), T.DECIMAL, T.LONG, -12),
        (Decimal("12.75"), T.DECIMAL, T.DOUBLE, 12.75),
        # numeric -> DATE: epoch milliseconds, UTC
        (1247559630123, T.LONG, T.DATE, JULY),
        (1247559630123.0, T.DOUBLE, T.DATE, JULY),
        (Decimal(1247559630123), T.DECIMAL, T.DATE, JULY),
        # DATE -> numeric: epoch milliseconds
        (JULY, T.DATE, T.LONG, 1247559630123),
        (JULY, T.DATE, T.DOUBLE, 1247559630123.0),
        (JULY, T.DATE, T.DECIMAL, Decimal(1247559630123)),
        # NAME / PATH / URI
        ("jcr:content", T.NAME, T.PATH, "jcr:content"),
        ("jcr:content", T.NAME, T.URI, "./jcr%3Acontent"),
        ("a b", T.NAME, T.URI, "./a%20b"),
        ("jcr:content", T.PATH, T.NAME, "jcr:content"),
        ("/a b/c", T.PATH, T.URI, "/a%20b/c"),
        ("a/b", T.PATH, T.URI, "./a/b"),
        ("./jcr%3Acontent", T.URI, T.NAME, "jcr:content"),
        ("plain", T.URI, T.NAME, "plain"),
        ("a/b/../c", T.URI, T.PATH, "a/c"),
        ("/a%20b/c", T.URI, T.PATH, "/a b/c"),
        # references
        (UUID, T.REFERENCE, T.WEAKREFERENCE, UUID),
        (UUID, T.WEAKREFERENCE, T.REFERENCE, UUID),
        # same type and UNDEFINED are identity
        (42, T.LONG, T.LONG, 42),
        (42, T.LONG, T.UNDEFINED, 42),
    ],
)
def test_conversions_follow_the_table(
    value: Value, from_type: T, to_type: T, expected: Value
) -> None:
    result = convert(value, from_type, to_type)
    assert result == expected
    assert type(result) is type(expected)


def test_numeric_to_date_is_utc() -> None:
    result = convert(0, T.LONG, T.DATE)
    assert isinstance(result, datetime)
    assert result.utcoffset() == timedelta(0)
    assert result == datetime(1970, 1, 1, tzinfo=UTC)


def test_conversion_to_decimal_never_goes_through_a_binary_float() -> None:
    result = convert(0.1, T.DOUBLE, T.DECIMAL)
    assert result == Decimal("0.1")
    assert result != Decimal.from_float(0.1)
    assert make_property("19.99", T.DECIMAL).value == Decimal("19.99")
    assert make_property(0.3, T.DECIMAL).value == Decimal("0.3")


@pytest.mark.parametrize(
    ("value", "type_"),
    [
        *NUMBERS,
        (JULY, T.DATE),
        (True, T.BOOLEAN),
        ("jcr:content", T.NAME),
        ("/a/b", T.PATH),
        (UUID, T.REFERENCE),
        (UUID, T.WEAKREFERENCE),
        ("http://x/", T.URI),
        ("text", T.STRING),
    ],
)
def test_every_type_converts_to_binary_via_its_string(value: Value, type_: T) -> None:
    result = convert(value, type_, T.BINARY)
    assert isinstance(result, Binary)
    assert result.data == to_string(value, type_).encode()


@pytest.mark.parametrize(
    ("text", "to_type", "expected"),
    [
        ("42", T.LONG, 42),
        ("2.5", T.DOUBLE, 2.5),
        ("2.5", T.DECIMAL, Decimal("2.5")),
        ("2009-07-14T10:20:30.123+02:00", T.DATE, JULY),
        ("TRUE", T.BOOLEAN, True),
        ("jcr:content", T.NAME, "jcr:content"),
        ("/a/b", T.PATH, "/a/b"),
        (UUID, T.REFERENCE, UUID),
        ("http://x/", T.URI, "http://x/"),
        ("grüße", T.STRING, "grüße"),
    ],
)
def test_binary_converts_to_every_type_via_string(text: str, to_type: T, expected: Value) -> None:
    assert convert(Binary.of(text.encode()), T.BINARY, to_type) == expected


def test_binary_that_is_not_utf8_does_not_convert_to_string() -> None:
    with pytest.raises(InvalidValue, match="UTF-8"):
        convert(Binary.of(b"\xff\xfe\x00"), T.BINARY, T.STRING)


def test_binary_whose_data_is_not_loaded_cannot_convert() -> None:
    with pytest.raises(InvalidValue, match="not loaded"):
        convert(Binary("ab" * 32, 10_000), T.BINARY, T.STRING)


FORBIDDEN: list[tuple[Value, T, T]] = [
    *[(v, t, to) for v, t in NUMBERS for to in (T.BOOLEAN, T.NAME, T.PATH, T.REFERENCE, T.URI)],
    *[(v, t, T.WEAKREFERENCE) for v, t in NUMBERS],
    *[(JULY, T.DATE, to) for to in (T.BOOLEAN, T.NAME, T.PATH, T.REFERENCE, T.URI)],
    *[
        (True, T.BOOLEAN, to)
        for to in (T.LONG, T.DOUBLE, T.DECIMAL, T.DATE, T.NAME, T.PATH, T.REFERENCE, T.URI)
    ],
    *[
        ("jcr:content", T.NAME, to)
        for to in (T.LONG, T.DOUBLE, T.DECIMAL, T.DATE, T.BOOLEAN, T.REFERENCE)
    ],
    *[("/a", T.PATH, to) for to in (T.LONG, T.DOUBLE, T.DECIMAL, T.DATE, T.BOOLEAN, T.REFERENCE)],
    *[
        (UUID, T.REFERENCE, to)
        for to in (T.LONG, T.DOUBLE, T.DECIMAL, T.DATE, T.BOOLEAN, T.NAME, T.PATH, T.URI)
    ],
    *[
        ("http://x/", T.URI, to)
        for to in (T.LONG, T.DOUBLE, T.DECIMAL, T.DATE, T.BOOLEAN, T.REFERENCE)
    ],
]


@pytest.mark.parametrize(("value", "from_type", "to_type"), FORBIDDEN)
def test_conversions_the_table_forbids_raise_a_value_error(
    value: Value, from_type: T, to_type: T
) -> None:
    with pytest.raises(InvalidValue) as info:
        convert(value, from_type, to_type)
    assert to_type.jcr_name in str(info.value)


@pytest.mark.parametrize(
    ("value", "from_type", "to_type"),
    [
        (1e30, T.DOUBLE, T.LONG),
        (float("inf"), T.DOUBLE, T.LONG),
        (float("nan"), T.DOUBLE, T.LONG),
        (Decimal("1e30"), T.DECIMAL, T.LONG),
        (float("nan"), T.DOUBLE, T.DATE),
        (float("inf"), T.DOUBLE, T.DATE),
        (1e300, T.DOUBLE, T.DATE),
        (2**62, T.LONG, T.DATE),
        (Decimal("1e40"), T.DECIMAL, T.DATE),
        ("a/b", T.PATH, T.NAME),
        ("/a", T.PATH, T.NAME),
        ("..", T.PATH, T.NAME),
        ("http://host/x", T.URI, T.NAME),
        ("//host/x", T.URI, T.PATH),
        ("a%7Cb", T.URI, T.NAME),
    ],
)
def test_failed_conversions_raise_a_value_error(value: Value, from_type: T, to_type: T) -> None:
    with pytest.raises(InvalidValue):
        convert(value, from_type, to_type)


def test_convert_property_converts_every_value_and_keeps_multiple() -> None:
    prop = Property.multi(T.STRING, ["1", "2"])
    assert convert_property(prop, T.LONG) == Property(T.LONG, True, (1, 2))
    single = Property.single(T.LONG, 3)
    assert convert_property(single, T.STRING) == Property(T.STRING, False, ("3",))
    assert convert_property(single, T.UNDEFINED) is single


# --- properties from Python values ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_"),
    [
        ("s", T.STRING),
        (1, T.LONG),
        (1.5, T.DOUBLE),
        (Decimal("1.5"), T.DECIMAL),
        (True, T.BOOLEAN),
        (JULY, T.DATE),
        (b"raw", T.BINARY),
        (Binary.of(b"raw"), T.BINARY),
    ],
)
def test_python_values_have_a_natural_type(value: object, type_: T) -> None:
    assert type_of(value) is type_
    assert make_property(value).type is type_


def test_type_of_refuses_unsupported_values() -> None:
    with pytest.raises(InvalidValue, match="dict"):
        type_of({})


def test_a_list_makes_a_multi_valued_property_even_with_one_value() -> None:
    prop = make_property(["only"])
    assert prop.multiple
    assert prop.values == ("only",)
    assert prop.python() == ["only"]
    assert make_property("only").python() == "only"


def test_an_empty_multi_valued_property_keeps_its_type() -> None:
    prop = make_property([], T.LONG)
    assert prop == Property(T.LONG, True, ())
    with pytest.raises(InvalidValue, match="empty"):
        _ = prop.value


def test_make_property_converts_to_the_requested_type() -> None:
    assert make_property(["1", "2"], T.LONG) == Property(T.LONG, True, (1, 2))
    assert make_property("2009-07-14T10:20:30.123+02:00", T.DATE).value == JULY
    assert make_property(5, T.STRING).value == "5"


@pytest.mark.parametrize(
    ("value", "type_"),
    [
        (None, None),
        ([None], None),
        (2**63, None),
        ([1, "x"], T.LONG),
        (True, T.LONG),
        (float("nan"), T.DECIMAL),
        ("x", T.DATE),
    ],
)
def test_make_property_refuses_bad_values(value: object, type_: T | None) -> None:
    with pytest.raises(InvalidValue):
        make_property(value, type_)


def test_make_property_truncates_dates_to_milliseconds_and_makes_naive_dates_utc() -> None:
    prop = make_property(datetime(2020, 1, 2, 3, 4, 5, 678901))
    value = prop.value
    assert isinstance(value, datetime)
    assert value.microsecond == 678000
    assert value.utcoffset() == timedelta(0)


# --- msgpack codec ----------------------------------------------------------------------------

BIG = bytes(range(256)) * 40  # 10 KiB, goes to the blob table

EVERY_TYPE: dict[str, Property] = {
    "string": Property.single(T.STRING, "grüße"),
    "long": Property.single(T.LONG, -(2**63)),
    "double": Property.single(T.DOUBLE, 0.1),
    "decimal": Property.single(T.DECIMAL, Decimal("123456789012345678901234567890.05")),
    "date": Property.single(T.DATE, JULY),
    "boolean": Property.single(T.BOOLEAN, False),
    "name": Property.single(T.NAME, "cq:Page"),
    "path": Property.single(T.PATH, "../x"),
    "reference": Property.single(T.REFERENCE, UUID),
    "weak": Property.single(T.WEAKREFERENCE, UUID),
    "uri": Property.single(T.URI, "http://x/?a=b"),
    "small": Property.single(T.BINARY, Binary.of(b"\x00\x01small")),
    "big": Property.single(T.BINARY, Binary.of(BIG)),
    "longs": Property.multi(T.LONG, [1, 2, 3]),
    "one": Property.multi(T.STRING, ["only"]),
    "empty_dates": Property.multi(T.DATE, []),
    "dates": Property.multi(T.DATE, [JULY, parse_iso_date("1969-01-01T00:00:00.001-05:30")]),
    "decimals": Property.multi(T.DECIMAL, [Decimal("0.1"), Decimal("-2")]),
    "binaries": Property.multi(T.BINARY, [Binary.of(b"a"), Binary.of(BIG + b"!")]),
}


def test_every_type_survives_a_msgpack_round_trip() -> None:
    decoded = decode_properties(encode_properties(EVERY_TYPE))
    assert decoded.keys() == EVERY_TYPE.keys()
    for name, prop in EVERY_TYPE.items():
        got = decoded[name]
        assert got == prop, name
        assert got.type is prop.type
        assert got.multiple is prop.multiple
        for a, b in zip(got.values, prop.values, strict=True):
            assert type(a) is type(b), name
            if isinstance(a, datetime):
                assert isinstance(b, datetime)
                assert a.utcoffset() == b.utcoffset(), name


def test_decimals_are_stored_as_strings_never_floats() -> None:
    raw = msgpack.unpackb(encode_properties(EVERY_TYPE), raw=False)
    assert raw["decimal"] == [12, False, "123456789012345678901234567890.05"]
    assert raw["decimals"] == [12, True, ["0.1", "-2"]]


def test_dates_are_stored_as_epoch_ms_and_offset_minutes() -> None:
    raw = msgpack.unpackb(encode_properties(EVERY_TYPE), raw=False)
    assert raw["date"] == [5, False, [1247559630123, 120]]
    second = EVERY_TYPE["dates"].values[1]
    assert isinstance(second, datetime)
    assert raw["dates"][2][1] == [epoch_ms(second), -330]


def test_small_binaries_are_inline_and_big_ones_are_blob_references() -> None:
    raw = msgpack.unpackb(encode_properties(EVERY_TYPE), raw=False)
    assert raw["small"] == [2, False, b"\x00\x01small"]
    assert raw["big"] == [2, False, {"blob": Binary.of(BIG).sha256, "len": len(BIG)}]
    decoded = decode_properties(encode_properties(EVERY_TYPE))
    big = decoded["big"].value
    assert isinstance(big, Binary)
    assert big.data is None
    assert big.length == len(BIG)
    assert [b.length for b in blobs_of(EVERY_TYPE)] == [len(BIG), len(BIG) + 1]


def test_a_binary_of_exactly_the_inline_limit_stays_inline() -> None:
    edge = {"b": Property.single(T.BINARY, Binary.of(b"x" * INLINE_BINARY_LIMIT))}
    raw = msgpack.unpackb(encode_properties(edge), raw=False)
    assert isinstance(raw["b"][2], bytes)
    assert blobs_of(edge) == []


def test_multiple_is_stored_not_inferred() -> None:
    raw = msgpack.unpackb(encode_properties(EVERY_TYPE), raw=False)
    assert raw["one"] == [1, True, ["only"]]
    assert raw["string"] == [1, False, "grüße"]
