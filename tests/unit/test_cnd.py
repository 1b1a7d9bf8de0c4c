"""The CND parser and formatter (spec §7.13): every construct, short form and error position."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from repo_server.errors import InvalidNodeTypeDefinition
from repo_server.model.names import NamespaceRegistry
from repo_server.model.values import Binary, PropertyType
from repo_server.nodetypes import (
    ChildNodeDefinition,
    NodeType,
    NodeTypeRegistry,
    PropertyDefinition,
    format_cnd,
    parse_cnd,
)


@pytest.fixture
def namespaces() -> NamespaceRegistry:
    return NamespaceRegistry()


def parse_one(text: str, namespaces: NamespaceRegistry | None = None) -> NodeType:
    _, types = parse_cnd(text, namespaces or NamespaceRegistry())
    assert len(types) == 1
    return types[0]


def error_of(text: str) -> InvalidNodeTypeDefinition:
    with pytest.raises(InvalidNodeTypeDefinition) as info:
        parse_cnd(text, NamespaceRegistry())
    return info.value


# --- node type headers ------------------------------------------------------------------------


def test_a_bare_header_gives_a_plain_queryable_primary_type() -> None:
    assert parse_one("[my]") == NodeType("my")


def test_namespace_mappings_are_returned_and_registered(namespaces: NamespaceRegistry) -> None:
    mappings, types = parse_cnd(
        "<ex = 'http://example.com/ns'>\n<'ex2'=\"urn:two\">\n[ex:Thing] > ex2:Base\n[ex2:Base]",
        namespaces,
    )
    assert mappings == {"ex": "http://example.com/ns", "ex2": "urn:two"}
    assert namespaces.uri("ex") == "http://example.com/ns"
    assert [t.name for t in types] == ["ex:Thing", "ex2:Base"]


def test_redeclaring_a_builtin_namespace_identically_is_accepted() -> None:
    mappings, _ = parse_cnd("<nt='http://www.jcp.org/jcr/nt/1.0'>", NamespaceRegistry())
    assert mappings == {"nt": "http://www.jcp.org/jcr/nt/1.0"}


def test_remapping_a_builtin_prefix_names_the_line() -> None:
    err = error_of("\n\n  <nt = 'urn:other'>")
    assert "line 3, column 4" in err.message
    assert err.details == {"line": 3, "column": 4}


def test_supertypes_keep_their_declared_order() -> None:
    node_type = parse_one("[my] > mix:title, nt:folder,\n  mix:created")
    assert node_type.supertypes == ("mix:title", "nt:folder", "mix:created")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("orderable", {"orderable": True}),
        ("ord", {"orderable": True}),
        ("o", {"orderable": True}),
        ("ORDERABLE", {"orderable": True}),
        ("mixin", {"mixin": True}),
        ("mix", {"mixin": True}),
        ("m", {"mixin": True}),
        ("abstract", {"abstract": True}),
        ("abs", {"abstract": True}),
        ("a", {"abstract": True}),
        ("noquery", {"queryable": False}),
        ("nq", {"queryable": False}),
        ("query", {"queryable": True}),
        ("q", {"queryable": True}),
        ("primaryitem my:item", {"primary_item": "my:item"}),
        ("PrimaryItem my:item", {"primary_item": "my:item"}),
        ("!my:item", {"primary_item": "my:item"}),
        ("o m a nq", {"orderable": True, "mixin": True, "abstract": True, "queryable": False}),
        ("orderable\n  mixin", {"orderable": True, "mixin": True}),
    ],
)
def test_type_attributes_in_long_and_short_forms(words: str, expected: dict[str, object]) -> None:
    namespaces = NamespaceRegistry({"my": "urn:my"})
    node_type = parse_one(f"[my:T] > mix:title {words}", namespaces)
    for attr, value in expected.items():
        assert getattr(node_type, attr) == value


# --- property definitions ---------------------------------------------------------------------


def test_a_property_without_type_is_a_string() -> None:
    node_type = parse_one("[t]\n- p")
    assert node_type.properties == (
        PropertyDefinition("p", PropertyType.STRING, declaring_type="t"),
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("STRING", PropertyType.STRING),
        ("string", PropertyType.STRING),
        ("Binary", PropertyType.BINARY),
        ("LONG", PropertyType.LONG),
        ("double", PropertyType.DOUBLE),
        ("Decimal", PropertyType.DECIMAL),
        ("DATE", PropertyType.DATE),
        ("boolean", PropertyType.BOOLEAN),
        ("NAME", PropertyType.NAME),
        ("path", PropertyType.PATH),
        ("REFERENCE", PropertyType.REFERENCE),
        ("WeakReference", PropertyType.WEAKREFERENCE),
        ("uri", PropertyType.URI),
        ("UNDEFINED", PropertyType.UNDEFINED),
        ("*", PropertyType.UNDEFINED),
    ],
)
def test_property_types_are_case_insensitive(written: str, expected: PropertyType) -> None:
    assert parse_one(f"[t] - p ({written})").properties[0].required_type is expected


@pytest.mark.parametrize(
    ("words", "attr"),
    [
        ("mandatory", "mandatory"),
        ("man", "mandatory"),
        ("m", "mandatory"),
        ("MANDATORY", "mandatory"),
        ("autocreated", "autocreated"),
        ("aut", "autocreated"),
        ("a", "autocreated"),
        ("protected", "protected"),
        ("pro", "protected"),
        ("p", "protected"),
        ("multiple", "multiple"),
        ("mul", "multiple"),
        ("*", "multiple"),
    ],
)
def test_property_attributes_in_long_and_short_forms(words: str, attr: str) -> None:
    prop = parse_one(f"[t] - p (STRING) = 'x' {words}").properties[0]
    assert getattr(prop, attr) is True
    others = {"mandatory", "autocreated", "protected", "multiple"} - {attr}
    assert not any(getattr(prop, other) for other in others)


@pytest.mark.parametrize("opv", ["COPY", "VERSION", "INITIALIZE", "COMPUTE", "IGNORE", "ABORT"])
def test_on_parent_version_words_are_read_in_any_case(opv: str) -> None:
    node_type = parse_one(f"[t] - p {opv.lower()} + c {opv}")
    assert node_type.properties[0].on_parent_version == opv
    assert node_type.children[0].on_parent_version == opv


@pytest.mark.parametrize("marker", ["primary", "pri", "!"])
def test_an_old_style_primary_property_becomes_the_primary_item(marker: str) -> None:
    assert parse_one(f"[t] - jcr:data (BINARY) {marker} mandatory").primary_item == "jcr:data"


def test_query_attributes_are_parsed_and_ignored() -> None:
    prop = parse_one("[t] - p (LONG) queryops '=, <>, <' nofulltext noqueryorder qop '=' nof nqord")
    assert prop.properties[0] == PropertyDefinition("p", PropertyType.LONG, declaring_type="t")


def test_everything_on_one_property_line() -> None:
    text = (
        "[t]\n  - p (LONG) = '1', '2' mandatory autocreated protected multiple VERSION"
        " < '[0,10)', '(,-5]'"
    )
    assert parse_one(text).properties[0] == PropertyDefinition(
        "p",
        PropertyType.LONG,
        multiple=True,
        mandatory=True,
        autocreated=True,
        protected=True,
        default_values=(1, 2),
        constraints=("[0,10)", "(,-5]"),
        on_parent_version="VERSION",
        declaring_type="t",
    )


@pytest.mark.parametrize(
    ("type_", "written", "value"),
    [
        ("STRING", "'hello'", "hello"),
        ("STRING", "bare", "bare"),
        ("LONG", "'-42'", -42),
        ("DOUBLE", "'1.5'", 1.5),
        ("DECIMAL", "'10.25'", Decimal("10.25")),
        ("BOOLEAN", "'true'", True),
        ("BOOLEAN", "FALSE", False),
        ("DATE", "'2024-01-02T03:04:05.006Z'", datetime(2024, 1, 2, 3, 4, 5, 6000, UTC)),
        ("NAME", "'nt:base'", "nt:base"),
        ("NAME", "'{http://www.jcp.org/jcr/nt/1.0}base'", "nt:base"),
        ("PATH", "'/a/./b/../c'", "/a/c"),
        ("PATH", "'a/b'", "a/b"),
        ("URI", "'http://example.com/x'", "http://example.com/x"),
        ("BINARY", "'abc'", Binary.of(b"abc")),
        ("UNDEFINED", "'42'", "42"),
    ],
)
def test_default_values_are_converted_to_the_required_type(
    type_: str, written: str, value: object
) -> None:
    assert parse_one(f"[t] - p ({type_}) = {written}").properties[0].default_values == (value,)


def test_a_name_default_may_use_a_namespace_declared_in_the_text() -> None:
    node_type = parse_one("<ex='urn:ex'>\n[t] - p (NAME) = 'ex:thing'")
    assert node_type.properties[0].default_values == ("ex:thing",)


@pytest.mark.parametrize(
    ("type_", "written"),
    [("LONG", "'x'"), ("BOOLEAN", "'yes'"), ("DATE", "'yesterday'"), ("NAME", "'no:such'")],
)
def test_a_default_that_does_not_convert_names_its_position(type_: str, written: str) -> None:
    err = error_of(f"[t]\n  - p ({type_}) = {written}")
    assert err.details["line"] == 2
    assert err.details["column"] == 12 + len(type_)
    assert "default" in err.message


def test_several_defaults_need_a_multiple_property() -> None:
    assert "several defaults" in error_of("[t] - p = 'a', 'b'").message


def test_regex_constraints_keep_their_backslashes() -> None:
    prop = parse_one(r"[t] - p < '\d+\.\d*', 'it\'s', 'back\\slash'").properties[0]
    assert prop.constraints == (r"\d+\.\d*", "it's", "back\\slash")


def test_constraints_may_continue_on_the_next_lines() -> None:
    prop = parse_one("[t]\n - p (STRING)\n   < 'a',\n     'b'\n - q").properties[0]
    assert prop.constraints == ("a", "b")


def test_a_namespace_after_a_property_is_not_a_constraint(namespaces: NamespaceRegistry) -> None:
    mappings, types = parse_cnd("[t] - p (STRING) < 'a'\n<ex = 'urn:ex'>\n[ex:u]", namespaces)
    assert types[0].properties[0].constraints == ("a",)
    assert mappings == {"ex": "urn:ex"}
    assert types[1].name == "ex:u"


def test_residual_property_and_hyphenated_names() -> None:
    node_type = parse_one("[t] - * (UNDEFINED) multiple - my-prop.v2 (LONG)")
    assert [p.name for p in node_type.properties] == ["*", "my-prop.v2"]


# --- child node definitions -------------------------------------------------------------------


def test_a_child_without_types_requires_nt_base() -> None:
    assert parse_one("[t] + c").children == (ChildNodeDefinition("c", declaring_type="t"),)


def test_everything_on_one_child_line() -> None:
    child = parse_one(
        "[t] + c (nt:hierarchyNode, mix:title) = nt:folder"
        " mandatory autocreated protected sns ABORT"
    ).children[0]
    assert child == ChildNodeDefinition(
        "c",
        required_types=("nt:hierarchyNode", "mix:title"),
        default_type="nt:folder",
        mandatory=True,
        autocreated=True,
        protected=True,
        sns=True,
        on_parent_version="ABORT",
        declaring_type="t",
    )


@pytest.mark.parametrize(
    ("words", "attr"),
    [
        ("man", "mandatory"),
        ("m", "mandatory"),
        ("aut", "autocreated"),
        ("a", "autocreated"),
        ("pro", "protected"),
        ("p", "protected"),
        ("*", "sns"),
        ("multiple", "sns"),
        ("mul", "sns"),
        ("SNS", "sns"),
    ],
)
def test_child_attributes_in_short_forms(words: str, attr: str) -> None:
    child = parse_one(f"[t] + c (nt:base) = nt:unstructured {words}").children[0]
    assert getattr(child, attr) is True


def test_a_primary_child_becomes_the_primary_item() -> None:
    assert parse_one("[t] + jcr:content = nt:unstructured primary").primary_item == "jcr:content"


def test_properties_and_children_may_interleave() -> None:
    node_type = parse_one("[t] - a + b - c + *")
    assert [p.name for p in node_type.properties] == ["a", "c"]
    assert [c.name for c in node_type.children] == ["b", "*"]


# --- comments and quoting ---------------------------------------------------------------------


def test_comments_are_skipped_everywhere() -> None:
    text = """
    // a line comment
    /* a block
       comment */ [t] /* inline */ > nt:folder // trailing
      /** javadoc */
      orderable
      - p (LONG) /* between */ = '1' // end
      + c // child
    """
    node_type = parse_one(text)
    assert node_type.supertypes == ("nt:folder",)
    assert node_type.orderable
    assert node_type.properties[0].default_values == (1,)
    assert node_type.children[0].name == "c"


def test_quoted_names_may_hold_spaces_and_quotes() -> None:
    node_type = parse_one("['my type'] > 'nt:folder' - 'it\\'s' + \"child node\" ('nt:base')")
    assert node_type.name == "my type"
    assert node_type.supertypes == ("nt:folder",)
    assert node_type.properties[0].name == "it's"
    assert node_type.children[0].name == "child node"


def test_expanded_names_are_qualified() -> None:
    node_type = parse_one("['{http://www.jcp.org/jcr/mix/1.0}t'] - '{http://www.jcp.org/jcr/1.0}p'")
    assert node_type.name == "mix:t"
    assert node_type.properties[0].name == "jcr:p"


def test_an_empty_text_has_no_types() -> None:
    assert parse_cnd("  // nothing\n", NamespaceRegistry()) == ({}, [])


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("[t]\n  - p (STRING) bogus", 2, 16, "unknown attribute"),
        ("[t] sometimes", 1, 5, "unknown node type attribute"),
        ("[t]\n- p (TEXT)", 2, 6, "unknown property type"),
        ("[t\n- p", 2, 1, "expected ']'"),
        ("[t] - p = 'open", 1, 11, "unterminated string"),
        ("[t]\n/* open", 2, 1, "unterminated comment"),
        ("[no:such]", 1, 2, "invalid node type name"),
        ("[t] > no:such", 1, 7, "invalid supertype"),
        ("[t] > nt:base, nt:base", 1, 16, "listed twice"),
        ("[t]\n[t]", 2, 1, "defined twice"),
        ("t", 1, 1, "expected '<' or '['"),
        ("[t] -", 1, 6, "expected property name"),
        ("[t] + c (nt:base", 1, 17, "expected ')'"),
        ("[t] - p (STRING", 1, 16, "expected ')'"),
        ("[t] > ?", 1, 7, "expected supertype"),
        ("[t] primaryitem *", 1, 17, "expected primary item name"),
        ("[t] - * primary", 1, 9, "residual"),
        ("[t] primaryitem a - b primary", 1, 23, "two primary items"),
        ("[t] + c = ", 1, 11, "expected default primary type"),
        ("<x = 'urn:x'\n[t]", 2, 1, "expected '>'"),
        ("<xmlfoo = 'urn:x'>", 1, 2, "reserved"),
    ],
)
def test_errors_name_line_and_column(text: str, line: int, column: int, fragment: str) -> None:
    err = error_of(text)
    assert err.message.startswith(f"line {line}, column {column}: ")
    assert fragment in err.message


def test_crlf_line_endings_count_as_one_line() -> None:
    err = error_of("[t]\r\n\r\n- p (TEXT)")
    assert err.details == {"line": 3, "column": 6}


# --- formatting -------------------------------------------------------------------------------


def test_format_writes_the_canonical_text() -> None:
    node_type = parse_one(
        "[t] > nt:folder, mix:title orderable primaryitem p "
        "- p (LONG) = '3' mandatory VERSION < '[0,)' + c (nt:base) = nt:unstructured sns"
    )
    assert format_cnd(node_type) == (
        "[t] > nt:folder, mix:title\n"
        "  orderable primaryitem p\n"
        "  - p (LONG) = '3' mandatory VERSION < '[0,)'\n"
        "  + c (nt:base) = nt:unstructured sns\n"
    )


def test_every_builtin_round_trips_through_format_and_parse() -> None:
    for node_type in NodeTypeRegistry().all():
        _, parsed = parse_cnd(format_cnd(node_type), NamespaceRegistry())
        assert parsed == [node_type], node_type.name


def test_awkward_names_values_and_constraints_round_trip() -> None:
    node_type = NodeType(
        name="my type's",
        supertypes=("nt:folder",),
        mixin=False,
        abstract=True,
        queryable=False,
        primary_item="weird name",
        properties=(
            PropertyDefinition(
                "weird name",
                PropertyType.DATE,
                multiple=True,
                default_values=(datetime(2020, 5, 6, 7, 8, 9, 123000, UTC),),
                declaring_type="my type's",
            ),
            PropertyDefinition(
                "d",
                PropertyType.DECIMAL,
                default_values=(Decimal("1.10"),),
                constraints=("[0, 100.5]",),
                declaring_type="my type's",
            ),
            PropertyDefinition(
                "*",
                PropertyType.STRING,
                constraints=(r"\w+ 'quoted' \\ end",),
                on_parent_version="IGNORE",
                declaring_type="my type's",
            ),
            PropertyDefinition(
                "f", PropertyType.DOUBLE, default_values=(2.5,), declaring_type="my type's"
            ),
        ),
        children=(
            ChildNodeDefinition(
                "*",
                required_types=("nt:hierarchyNode", "mix:title"),
                default_type="nt:folder",
                protected=True,
                declaring_type="my type's",
            ),
        ),
    )
    _, parsed = parse_cnd(format_cnd(node_type), NamespaceRegistry())
    assert parsed == [node_type]


def test_format_quotes_only_names_that_need_it() -> None:
    text = format_cnd(NodeType("sling:Folder x", supertypes=("nt:folder",)))
    assert text == "['sling:Folder x'] > nt:folder\n"
