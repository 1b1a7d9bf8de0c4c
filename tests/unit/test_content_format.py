"""The JSON content format (docs/CONTENT-FORMAT.md): parsing documents and exporting values."""

from __future__ import annotations

from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from repo_server.errors import InvalidInput, InvalidName, InvalidValue
from repo_server.model.values import (
    Binary,
    Property,
    PropertyType,
    parse_iso_date,
)
from repo_server.session.content import (
    export_value,
    json_property,
    parse_document,
    parse_type_hint,
)

T = PropertyType
UUID = "0189a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"


def parse(doc: dict[str, Any], target: str = "/content/x") -> dict[str, Any]:
    return {n.path: n for n in parse_document(doc, target)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", Property(T.STRING, False, ("text",))),
        (42, Property(T.LONG, False, (42,))),
        (0.25, Property(T.DOUBLE, False, (0.25,))),
        (1e3, Property(T.DOUBLE, False, (1000.0,))),
        (True, Property(T.BOOLEAN, False, (True,))),
        (False, Property(T.BOOLEAN, False, (False,))),
        (["a", "b"], Property(T.STRING, True, ("a", "b"))),
        ([1, 2], Property(T.LONG, True, (1, 2))),
        ([True], Property(T.BOOLEAN, True, (True,))),
        ([], Property(T.STRING, True, ())),
    ],
)
def test_json_values_map_to_their_natural_types(value: Any, expected: Property) -> None:
    prop = json_property("p", value, None)
    assert prop == expected
    assert prop.type is expected.type


@pytest.mark.parametrize(
    ("value", "hint", "expected"),
    [
        ("12.50", "Decimal", Property(T.DECIMAL, False, (Decimal("12.50"),))),
        ("86400", "Long", Property(T.LONG, False, (86400,))),
        ("0.5", "Double", Property(T.DOUBLE, False, (0.5,))),
        ("true", "Boolean", Property(T.BOOLEAN, False, (True,))),
        ("cq:Page", "Name", Property(T.NAME, False, ("cq:Page",))),
        ("/content/./a", "Path", Property(T.PATH, False, ("/content/a",))),
        (UUID, "Reference", Property(T.REFERENCE, False, (UUID,))),
        (UUID, "WeakReference", Property(T.WEAKREFERENCE, False, (UUID,))),
        ("http://x/", "URI", Property(T.URI, False, ("http://x/",))),
        (["1", "2"], "Long[]", Property(T.LONG, True, (1, 2))),
        ([], "Date[]", Property(T.DATE, True, ())),
        (["only"], "String", Property(T.STRING, True, ("only",))),
        (7, "String", Property(T.STRING, False, ("7",))),
        (7, "Decimal", Property(T.DECIMAL, False, (Decimal(7),))),
        (True, "String", Property(T.STRING, False, ("true",))),
    ],
)
def test_type_hints_give_the_property_type(value: Any, hint: str, expected: Property) -> None:
    assert json_property("p", value, hint) == expected


def test_a_date_hint_keeps_milliseconds_and_offset() -> None:
    prop = json_property("released", "2024-03-01T10:00:00.123+01:00", "Date")
    assert prop.type is T.DATE
    value = prop.value
    assert value == parse_iso_date("2024-03-01T09:00:00.123Z")
    assert value.utcoffset() == timedelta(hours=1)  # type: ignore[union-attr]


def test_a_binary_hint_holds_the_utf8_bytes() -> None:
    value = json_property("b", "grüße", "Binary").value
    assert isinstance(value, Binary)
    assert value.data == "grüße".encode()


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("abc", "Long"),
        ("12,5", "Decimal"),
        ("not a date", "Date"),
        ("a/b", "Name"),
        ({"x": 1}, "String"),
        ([None], "String"),
        ("x", "Integer"),
        (None, None),
        ([{"a": 1}, "b"], None),
        ([[1]], None),
        (2**63, None),
    ],
)
def test_bad_values_are_refused(value: Any, hint: str | None) -> None:
    with pytest.raises(InvalidValue):
        json_property("p", value, hint)


def test_type_hints_parse_case_insensitively_with_brackets_for_multiple() -> None:
    assert parse_type_hint("decimal") == (T.DECIMAL, False)
    assert parse_type_hint("Date[]") == (T.DATE, True)


def test_documents_yield_parents_before_children_in_key_order() -> None:
    doc = {
        "jcr:primaryType": "sling:OrderedFolder",
        "zeta": {"jcr:primaryType": "nt:unstructured", "deep": {}},
        "alpha": {},
        "title": "T",
    }
    nodes = list(parse_document(doc, "/content/x"))
    assert [n.path for n in nodes] == [
        "/content/x",
        "/content/x/zeta",
        "/content/x/zeta/deep",
        "/content/x/alpha",
    ]
    assert nodes[0].primary == "sling:OrderedFolder"
    assert nodes[0].props == {"title": Property(T.STRING, False, ("T",))}
    assert nodes[3].primary is None


def test_a_document_at_the_root_makes_top_level_paths() -> None:
    assert list(parse({"a": {}}, "/")) == ["/", "/a"]


def test_protected_and_special_members_are_skipped() -> None:
    doc = {
        ":path": "/content/x",
        "jcr:primaryType": "nt:unstructured",
        "jcr:mixinTypes": ["mix:referenceable"],
        "jcr:uuid": UUID,
        "jcr:created": "2020-01-01T00:00:00.000Z",
        "jcr:createdBy": "someone",
        "jcr:isCheckedOut": True,
        "kept": 1,
        "kept@TypeHint": "String",
        ":hidden": {"jcr:primaryType": "nt:unstructured"},
    }
    node = parse(doc)["/content/x"]
    assert node.mixins == ["mix:referenceable"]
    assert node.props == {"kept": Property(T.STRING, False, ("1",))}


def test_a_single_mixin_string_is_a_list_of_one() -> None:
    assert parse({"jcr:mixinTypes": "mix:title"})["/content/x"].mixins == ["mix:title"]


@pytest.mark.parametrize(
    "doc",
    [
        {"jcr:primaryType": 5},
        {"jcr:mixinTypes": [1]},
        {"jcr:mixinTypes": {"a": "b"}},
        {"p": 1, "p@TypeHint": 5},
        {"p": None},
    ],
)
def test_malformed_documents_are_refused(doc: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        parse(doc)


def test_a_type_hint_without_a_value_is_refused() -> None:
    with pytest.raises(InvalidValue, match="orphan"):
        parse({"orphan@TypeHint": "Long"})


@pytest.mark.parametrize("hint_first", [False, True])
def test_a_value_right_only_with_its_hint_is_taken_with_the_hint(hint_first: bool) -> None:
    # Neither is a plain JSON value (a Long too large, a mixed array), but both are fine with
    # their hints, whichever member comes first.
    members = [
        ("big", 10**30),
        ("big@TypeHint", "Double"),
        ("v", [1, "a"]),
        ("v@TypeHint", "String[]"),
    ]
    if hint_first:
        members = [members[1], members[0], members[3], members[2]]
    props = parse(dict(members))["/content/x"].props
    assert props["big"] == Property(PropertyType.DOUBLE, False, (1e30,))
    assert props["v"] == Property(PropertyType.STRING, True, ("1", "a"))
    with pytest.raises(InvalidValue, match="range of a Long"):
        parse({"big": 10**30})


def test_an_invalid_member_name_is_refused_naming_it() -> None:
    with pytest.raises(InvalidName, match=r"bad\|name"):
        parse({"bad|name": "x"})
    with pytest.raises(InvalidName, match="a:b:c"):
        parse({"a:b:c": {}})


def test_a_document_must_be_an_object() -> None:
    with pytest.raises(InvalidInput, match="JSON object"):
        list(parse_document(["x"], "/x"))  # type: ignore[arg-type]


# --- export -----------------------------------------------------------------------------------

CEST = timezone(timedelta(hours=2))

ROUND_TRIP: list[Property] = [
    Property(T.STRING, False, ("s",)),
    Property(T.LONG, False, (5,)),
    Property(T.DOUBLE, False, (0.1,)),
    Property(T.BOOLEAN, False, (True,)),
    Property(T.DECIMAL, False, (Decimal("12.50"),)),
    Property(T.DATE, False, (parse_iso_date("2009-07-14T10:20:30.123+02:00"),)),
    Property(T.NAME, False, ("cq:Page",)),
    Property(T.PATH, False, ("/a/b",)),
    Property(T.REFERENCE, False, (UUID,)),
    Property(T.WEAKREFERENCE, False, (UUID,)),
    Property(T.URI, False, ("http://x/",)),
    Property(T.BINARY, False, (Binary.of(b"text"),)),
    Property(T.STRING, True, ("a", "b")),
    Property(T.STRING, True, ()),
    Property(T.LONG, True, ()),
    Property(T.DECIMAL, True, (Decimal("1.0"), Decimal("2"))),
    Property(T.DATE, True, ()),
]


@pytest.mark.parametrize("prop", ROUND_TRIP, ids=lambda p: f"{p.type.jcr_name}-{p.multiple}")
def test_exported_values_with_their_hint_import_to_the_same_property(prop: Property) -> None:
    value, hint = export_value(prop)
    assert json_property("p", value, hint) == prop


def test_natural_types_need_no_hint_and_others_do() -> None:
    assert export_value(Property(T.LONG, False, (5,))) == (5, None)
    assert export_value(Property(T.STRING, True, ("a",))) == (["a"], None)
    assert export_value(Property(T.DECIMAL, False, (Decimal("1.50"),))) == ("1.50", "Decimal")
    assert export_value(Property(T.LONG, True, ())) == ([], "Long[]")
    date = Property(T.DATE, False, (parse_iso_date("2009-07-14T10:20:30.123+02:00"),))
    assert export_value(date) == ("2009-07-14T10:20:30.123+02:00", "Date")
