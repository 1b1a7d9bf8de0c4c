"""Names and namespaces (spec §1) and normalized absolute paths (spec §2)."""

from __future__ import annotations

import pytest

from repo_server.errors import InvalidName, InvalidPath
from repo_server.model import path as P
from repo_server.model.names import (
    BUILTIN_NAMESPACES,
    NamespaceRegistry,
    is_valid_name,
    validate_name,
)

# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "plain",
        "jcr:content",
        "nt:unstructured",
        "cq:Page",
        "sling:resourceType",
        "rep:root",
        "oak:index",
        "with space inside",
        "dots.are.fine",
        "ünïcödé",
        "a" * 150,
    ],
)
def test_valid_names_are_returned_in_qualified_form(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    ("expanded", "qualified"),
    [
        ("{http://www.jcp.org/jcr/1.0}content", "jcr:content"),
        ("{http://www.jcp.org/jcr/nt/1.0}unstructured", "nt:unstructured"),
        ("{http://www.day.com/jcr/cq/1.0}Page", "cq:Page"),
        ("{internal}root", "rep:root"),
        ("{}plain", "plain"),
    ],
)
def test_expanded_names_are_converted_to_the_qualified_form(expanded: str, qualified: str) -> None:
    assert validate_name(expanded) == qualified


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "a/b",
        "a[1]",
        "a]",
        "a|b",
        "a*",
        "jcr:a:b",
        " leading",
        "trailing ",
        "\tx",
        "nul\x00",
        "bell\x07",
        "a" * 151,
        "é" * 76,  # 152 UTF-8 bytes
        "unknown:name",
        ":local",
        "jcr:",
        "{http://nowhere.example/}x",
        "{unterminated",
    ],
)
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidName):
        validate_name(name)
    assert not is_valid_name(name)


def test_an_invalid_name_error_names_the_offending_name() -> None:
    with pytest.raises(InvalidName) as info:
        validate_name("bad|name")
    assert "bad|name" in str(info.value)
    assert info.value.details["name"] == "bad|name"
    assert info.value.code == "invalid-name"
    assert info.value.status == 400


def test_an_unknown_prefix_error_names_the_name() -> None:
    with pytest.raises(InvalidName, match="foo:bar"):
        validate_name("foo:bar")


def test_a_name_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidName, match="string"):
        validate_name(42)  # type: ignore[arg-type]


def test_the_name_limit_counts_utf8_bytes_not_characters() -> None:
    assert validate_name("é" * 75) == "é" * 75  # exactly 150 bytes


def test_builtin_namespaces_are_preregistered() -> None:
    ns = NamespaceRegistry()
    for prefix, uri in BUILTIN_NAMESPACES.items():
        assert ns.uri(prefix) == uri
    assert ns.uri("rep") == "internal"


def test_a_registered_namespace_makes_its_prefix_valid() -> None:
    ns = NamespaceRegistry()
    assert not is_valid_name("shop:product", ns)
    ns.register("shop", "http://shop.example/1.0")
    assert validate_name("shop:product", ns) == "shop:product"
    assert validate_name("{http://shop.example/1.0}product", ns) == "shop:product"


def test_registering_the_same_mapping_twice_is_harmless() -> None:
    ns = NamespaceRegistry()
    ns.register("shop", "http://shop.example/1.0")
    ns.register("shop", "http://shop.example/1.0")
    assert ns.uri("shop") == "http://shop.example/1.0"


@pytest.mark.parametrize(
    ("prefix", "uri"),
    [
        ("jcr", "http://other.example/"),
        ("xmlfoo", "http://x.example/"),
        ("XMLbar", "http://x.example/"),
        ("", "http://x.example/"),
        ("1bad", "http://x.example/"),
        ("ok", ""),
        ("other", "http://www.jcp.org/jcr/1.0"),
    ],
)
def test_reserved_or_clashing_namespace_registrations_are_refused(prefix: str, uri: str) -> None:
    with pytest.raises(InvalidName):
        NamespaceRegistry().register(prefix, uri)


def test_a_prefix_cannot_be_remapped_to_another_uri() -> None:
    ns = NamespaceRegistry({"shop": "http://shop.example/1"})
    with pytest.raises(InvalidName, match="shop"):
        ns.register("shop", "http://shop.example/2")


def test_an_unknown_prefix_lookup_names_the_prefix() -> None:
    with pytest.raises(InvalidName, match="'nope'"):
        NamespaceRegistry().uri("nope")


# --- paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("/", "/"),
        ("//", "/"),
        ("/a", "/a"),
        ("/a/", "/a"),
        ("/a//b", "/a/b"),
        ("/a/./b", "/a/b"),
        ("/a/b/..", "/a"),
        ("/a/b/../c", "/a/c"),
        ("/a[1]/b[1]", "/a/b"),
        ("/{http://www.jcp.org/jcr/1.0}content", "/jcr:content"),
        ("/content/geo/en/jcr:content", "/content/geo/en/jcr:content"),
    ],
)
def test_paths_are_normalized(raw: str, normalized: str) -> None:
    assert P.normalize(raw) == normalized


@pytest.mark.parametrize(
    ("raw", "base", "normalized"),
    [
        ("b", "/a", "/a/b"),
        ("./b/c", "/a", "/a/b/c"),
        ("..", "/a/b", "/a"),
        ("../c", "/a/b", "/a/c"),
        ("b", "/", "/b"),
    ],
)
def test_relative_paths_resolve_against_a_base(raw: str, base: str, normalized: str) -> None:
    assert P.normalize(raw, base) == normalized


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "relative",
        "/..",
        "/a/../..",
        "/a[2]",
        "/a|b",
        "/a/ b",
        "/unknown:x",
        "/a\x00b",
        "/" + "/".join(["n"] * 101),
        "/" + "/".join(["x" * 150] * 28),  # > 4096 bytes
    ],
)
def test_invalid_paths_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPath):
        P.normalize(raw)


def test_an_invalid_path_error_names_the_path_and_the_bad_segment() -> None:
    with pytest.raises(InvalidPath) as info:
        P.normalize("/content/bad|name/x")
    message = str(info.value)
    assert "/content/bad|name/x" in message
    assert "bad|name" in message
    assert info.value.code == "invalid-path"
    assert info.value.details["path"] == "/content/bad|name/x"


def test_a_path_above_the_root_is_refused_with_its_text() -> None:
    with pytest.raises(InvalidPath, match="above the root"):
        P.normalize("/a/../../b")


def test_a_same_name_sibling_index_is_refused_as_unsupported() -> None:
    with pytest.raises(InvalidPath, match="same-name sibling"):
        P.normalize("/a/b[2]")


def test_depth_limit_is_100_segments() -> None:
    deep = "/" + "/".join(["n"] * 100)
    assert P.normalize(deep) == deep
    with pytest.raises(InvalidPath, match="deeper than 100"):
        P.normalize(deep + "/n")


def test_a_relative_path_without_base_is_refused() -> None:
    with pytest.raises(InvalidPath, match="not absolute"):
        P.normalize("a/b")


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("a/b", "a/b"),
        ("./a", "a"),
        ("a/../b", "b"),
        ("../a", "../a"),
        ("../../a", "../../a"),
        (".", "."),
        ("a/..", "."),
        ("jcr:content/jcr:title", "jcr:content/jcr:title"),
        ("/abs/./x", "/abs/x"),
        ("{http://www.jcp.org/jcr/1.0}content/x", "jcr:content/x"),
    ],
)
def test_relative_paths_normalize_and_keep_leading_parents(raw: str, normalized: str) -> None:
    assert P.normalize_relative(raw) == normalized


def test_relative_path_with_an_invalid_segment_is_refused() -> None:
    with pytest.raises(InvalidPath, match="a:b:c"):
        P.normalize_relative("x/a:b:c")


def test_parent_name_join_and_depth() -> None:
    assert P.parent("/a/b") == "/a"
    assert P.parent("/a") == "/"
    with pytest.raises(InvalidPath, match="root"):
        P.parent("/")
    assert P.name("/a/b") == "b"
    assert P.name("/") == ""
    assert P.join("/", "a") == "/a"
    assert P.join("/a", "b") == "/a/b"
    assert P.depth("/") == 0
    assert P.depth("/a/b/c") == 3
    assert P.segments("/") == []
    assert P.segments("/a/b") == ["a", "b"]


def test_ancestry_does_not_confuse_sibling_prefixes() -> None:
    assert P.is_ancestor("/a", "/a/b")
    assert P.is_ancestor("/", "/a")
    assert not P.is_ancestor("/a", "/ab")
    assert not P.is_ancestor("/a", "/a")
    assert not P.is_ancestor("/", "/")
    assert P.is_same_or_descendant("/a", "/a")
    assert P.is_same_or_descendant("/a/b/c", "/a")
    assert not P.is_same_or_descendant("/ab/c", "/a")


def test_ancestors_are_listed_nearest_first_ending_with_root() -> None:
    assert P.ancestors("/a/b/c") == ["/a/b", "/a", "/"]
    assert P.ancestors("/") == []


def test_rebase_and_relative() -> None:
    assert P.rebase("/a/b/c", "/a", "/x") == "/x/b/c"
    assert P.rebase("/a", "/a", "/x/y") == "/x/y"
    assert P.rebase("/a/b", "/", "/x") == "/x/a/b"
    assert P.rebase("/x/b", "/x", "/") == "/b"
    assert P.relative("/a/b/c", "/a") == "b/c"
    assert P.relative("/a", "/a") == ""
    assert P.relative("/a/b", "/") == "a/b"


def test_paths_sort_in_binary_code_point_order() -> None:
    paths = ["/a/b", "/a0", "/a", "/ab", "/a/ä", "/A", "/a.b"]
    assert sorted(paths) == ["/A", "/a", "/a.b", "/a/b", "/a/ä", "/a0", "/ab"]
