"""POST modify: targets, generated names, values and `@` suffixes, uploads, :order, atomicity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from ..http_support import Client

AssertError = Callable[[aiohttp.ClientResponse, int, str], Awaitable[dict[str, Any]]]
Post = Callable[..., Awaitable[aiohttp.ClientResponse]]


async def node(client: Client, path: str, selectors: str = "") -> dict[str, Any]:
    resp = await client.get(f"{path}{selectors}.json")
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def test_create_answers_201_with_location_and_change_list(post: Post) -> None:
    resp = await post("/t/n", [("title", "x")])
    assert resp.status == 201
    assert resp.headers["Location"] == "/t/n"
    body = await resp.json()
    assert body["status.code"] == 201
    assert body["isCreate"] is True
    assert body["title"] == "Content created /t/n"
    assert body["parentLocation"] == "/t"
    assert body["changes"] == [
        {"type": "created", "argument": "/t"},
        {"type": "created", "argument": "/t/n"},
        {"type": "modified", "argument": "/t/n/title"},
    ]
    again = await post("/t/n", [("title", "y")])
    assert again.status == 200
    assert (await again.json())["title"] == "Content modified /t/n"


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ([("title", "Hello There")], "hello_there"),
        ([(":nameHint", "t??st")], "t_st"),
        ([(":nameHint", "1234")], "_1234"),
        ([(":nameHint", "abcdefghijklmnopqrstuvwxyz")], "abcdefghijklmnopqrst"),
        ([(":name", "MyNode")], "MyNode"),
        ([("./jcr:title", "Dot Mode"), ("title", "ignored")], "dot_mode"),
    ],
)
async def test_generated_names(post: Post, fields: list[tuple[str, str]], name: str) -> None:
    body = await (await post("/t/", fields)).json()
    assert body["path"] == f"/t/{name}"


async def test_generated_names_are_unique_and_numbers_without_hints(post: Post) -> None:
    first = (await (await post("/t/*", [("title", "A")])).json())["path"]
    second = (await (await post("/t/*", [("title", "A")])).json())["path"]
    assert (first, second) == ("/t/a", "/t/a_1")
    plain = (await (await post("/t/*.html", [])).json())["path"]
    assert plain.startswith("/t/")
    assert plain[-1].isdigit()


async def test_exact_name_collision_is_500_and_illegal_name_409(
    post: Post, assert_error: AssertError
) -> None:
    await post("/t/", [(":name", "used")])
    await assert_error(await post("/t/", [(":name", "used")]), 500, "name-in-use")
    await assert_error(await post("/t/", [(":name", "bad*name")]), 409, "illegal-node-name")


async def test_post_with_extension_to_a_missing_path_creates_the_literal_name(
    client: Client, post: Post
) -> None:
    resp = await post("/t/page.html", [])
    assert resp.status == 201
    assert (await resp.json())["path"] == "/t/page.html"
    modified = await post("/t/page.html.html", [("x", "1")])  # existing: modifies /t/page.html
    assert modified.status == 200
    assert (await node(client, "/t/page.html"))["x"] == "1"


async def test_control_and_ignored_parameters_are_not_content(client: Client, post: Post) -> None:
    await post("/t", [("a", "1"), (":x", "2"), ("_charset_", "utf-8"), ("j_username", "u")])
    assert set(await node(client, "/t")) == {"jcr:primaryType", "a"}


async def test_dot_mode_stores_only_relative_names(client: Client, post: Post) -> None:
    await post("/t", [("./a", "1"), ("b", "2"), ("./sub/c", "3"), ("/abs/d", "4")])
    data = await node(client, "/t", ".1")
    assert data["a"] == "1"
    assert "b" not in data
    assert data["sub"]["c"] == "3"
    assert (await node(client, "/abs"))["d"] == "4"


async def test_types_follow_hints_then_the_existing_property(client: Client, post: Post) -> None:
    await post("/t", [("n", "5"), ("n@TypeHint", "Long"), ("m", "x"), ("m", "y")])
    await post("/t", [("n", "7"), ("m", "z"), ("one", "1"), ("one@TypeHint", "String[]")])
    data = await node(client, "/t")
    assert data["n"] == 7
    assert data["m"] == ["z"]
    assert data["one"] == ["1"]
    await post("/t", [("u", "v"), ("u@TypeHint", "NoSuchType")])
    assert (await node(client, "/t"))["u"] == "v"


async def test_unconvertible_values_are_422_and_nothing_is_written(
    client: Client, post: Post, assert_error: AssertError
) -> None:
    resp = await post("/t", [("ok", "1"), ("n", "abc"), ("n@TypeHint", "Long")])
    await assert_error(resp, 422, "unprocessable-value")
    assert (await client.get("/t.json")).status == 404


async def test_empty_value_removes_and_default_value_rules(client: Client, post: Post) -> None:
    await post("/t", [("a", "1"), ("b", "2"), ("c", "3")])
    await post(
        "/t",
        [
            ("a", ""),
            ("b", ""),
            ("b@DefaultValue", "dflt"),
            ("c", ""),
            ("c@DefaultValue", ":ignore"),
            ("d@DefaultValue", "missing"),
            ("d@UseDefaultWhenMissing", "true"),
            ("e", ""),
            ("e@DefaultValue", ":null"),
        ],
    )
    data = await node(client, "/t")
    assert "a" not in data
    assert data["b"] == "dflt"
    assert data["c"] == "3"
    assert data["d"] == "missing"


async def test_ignore_blanks_and_multi_values_keep_empty_strings(
    client: Client, post: Post
) -> None:
    await post(
        "/t", [("m", "1"), ("m", ""), ("m", "3"), ("k", "1"), ("k", ""), ("k@IgnoreBlanks", "true")]
    )
    data = await node(client, "/t")
    assert data["m"] == ["1", "", "3"]
    assert data["k"] == "1"


async def test_value_from_delete_move_from_copy_from(client: Client, post: Post) -> None:
    await post("/t/src", [("x", "1")])
    await post("/t/other", [("y", "2")])
    await post(
        "/t/dest",
        [
            ("copy@CopyFrom", "../other"),
            ("moved@MoveFrom", "/t/src"),
            ("v@ValueFrom", "field"),
            ("field", "from field"),
            ("missing@MoveFrom", "/t/nowhere"),
        ],
    )
    data = await node(client, "/t", ".2")
    assert "src" not in data
    assert data["dest"]["moved"]["x"] == "1"
    assert data["dest"]["copy"]["y"] == "2"
    assert data["other"]["y"] == "2"
    assert data["dest"]["v"] == "from field"
    await post("/t/dest", [("v@Delete", ""), ("copy@Delete", ""), ("field", "")])
    after = await node(client, "/t/dest", ".1")
    assert "v" not in after
    assert "copy" not in after
    assert "field" not in after


async def test_patch_suffix_treats_values_as_a_set(client: Client, post: Post) -> None:
    await post("/t", [("s", "a"), ("s", "b")])
    await post("/t", [("s@Patch", "true"), ("s", "+c"), ("s", "-a"), ("s", "+b"), ("s", "x")])
    assert (await node(client, "/t"))["s"] == ["b", "c"]
    await post("/t", [("new@Patch", "true"), ("new", "+d"), ("new", "-d")])
    assert (await node(client, "/t"))["new"] == []


async def test_auto_created_and_modified_values(client: Client, post: Post) -> None:
    await post(
        "/t", [("created", ""), ("createdBy", ""), ("lastModified", ""), ("lastModifiedBy", "")]
    )
    first = await node(client, "/t")
    assert first["created"] == first["lastModified"]
    assert first["createdBy"] == "admin"
    assert first["lastModifiedBy"] == "admin"
    await post("/t", [("created", ""), ("lastModified", "")])
    assert (await node(client, "/t"))["created"] == first["created"]


@pytest.mark.parametrize(
    "text",
    [
        "Tue Jul 14 2009 10:20:30 GMT+0200",
        "2009-07-14T10:20:30.000+02:00",
        "2009-07-14T08:20:30.000Z",
        "2009-07-14T10:20:30.000+0200",
    ],
)
async def test_dates_in_every_accepted_format_keep_the_instant(
    client: Client, post: Post, text: str
) -> None:
    from datetime import UTC, datetime

    from repo_server.http.post import parse_sling_date

    await post("/t", [("d", text), ("d@TypeHint", "Date")])
    rendered = (await node(client, "/t"))["d"]
    assert parse_sling_date(rendered).astimezone(UTC) == datetime(
        2009, 7, 14, 8, 20, 30, tzinfo=UTC
    )


async def test_iso_dates_keep_their_offset(client: Client, post: Post) -> None:
    await post("/t", [("d", "2009-07-14T10:20:30.000+02:00"), ("d@TypeHint", "Date")])
    assert (await node(client, "/t"))["d"] == "Tue Jul 14 2009 10:20:30 GMT+0200"


async def test_primary_and_mixin_types_through_post(client: Client, post: Post) -> None:
    await post("/t", [("jcr:primaryType", "nt:folder"), ("sub/jcr:primaryType", "nt:folder")])
    data = await node(client, "/t", ".1")
    assert data["jcr:primaryType"] == "nt:folder"
    assert data["sub"]["jcr:primaryType"] == "nt:folder"
    await post("/u", [("x", "1")])
    await post("/u", [("jcr:primaryType", "sling:Folder"), ("jcr:mixinTypes", "mix:title")])
    data = await node(client, "/u")
    assert data["jcr:primaryType"] == "sling:Folder"
    assert data["jcr:mixinTypes"] == ["mix:title"]
    await post("/u", [("jcr:mixinTypes@Delete", "")])
    assert "jcr:mixinTypes" not in await node(client, "/u")


async def test_a_child_under_nt_file_is_409(post: Post, assert_error: AssertError) -> None:
    await post("/f", [("x", "1")])
    resp = await post("/f/file.txt", [("jcr:primaryType", "nt:folder")])
    assert resp.status == 201
    await assert_error(await post("/f/file.txt/child", [("x", "1")]), 409, "child-node-not-allowed")


async def test_file_uploads_make_nt_file_or_nt_resource(client: Client) -> None:
    form = aiohttp.FormData()
    form.add_field("./file", b"data1", filename="a.bin", content_type="application/x-thing")
    form.add_field("./file1.txt", b"data2", filename="ignored.txt")
    form.add_field("./*", b"data3", filename="dir/file-to-upload.txt")
    resp = await client.post("/up", data=form, headers={"Accept": "application/json"})
    assert resp.status == 201, await resp.text()
    data = await node(client, "/up", ".2")
    assert data["file"]["jcr:primaryType"] == "nt:resource"
    assert data["file"][":jcr:data"] == 5
    assert data["file"]["jcr:mimeType"] == "application/x-thing"
    assert data["file1.txt"]["jcr:primaryType"] == "nt:file"
    assert data["file1.txt"]["jcr:content"]["jcr:mimeType"] == "text/plain"
    assert data["file-to-upload.txt"]["jcr:content"][":jcr:data"] == 5


@pytest.mark.parametrize(
    ("name", "order", "expected"),
    [
        ("c", "first", "cabd"),
        ("c", "last", "abdc"),
        ("c", "before b", "acbd"),
        ("b", "after c", "acbd"),
        ("a", "2", "bcad"),
        ("d", "1", "adbc"),
        ("a", "100", "bcda"),
    ],
)
async def test_order(client: Client, post: Post, name: str, order: str, expected: str) -> None:
    await post("/t", [(f"{c}/x", "1") for c in "abcd"])
    resp = await post(f"/t/{name}", [(":order", order)])
    assert resp.status == 200
    assert "ordered" in [c["type"] for c in (await resp.json())["changes"]]
    data = await node(client, "/t", ".1")
    assert "".join(k for k, v in data.items() if isinstance(v, dict)) == expected


async def test_bad_order_values(post: Post, assert_error: AssertError) -> None:
    await post("/t", [("a/x", "1"), ("b/x", "1")])
    await assert_error(await post("/t/a", [(":order", "sideways")]), 500, "invalid-order")
    await assert_error(await post("/t/a", [(":order", "before zz")]), 409, "unknown-sibling")


async def test_post_to_root_sets_a_property(client: Client, post: Post) -> None:
    assert (await post("/", [("rootprop", "v")])).status == 200
    assert (await node(client, "/"))["rootprop"] == "v"


async def test_a_charset_field_decodes_form_text(client: Client) -> None:
    resp = await client.post(
        "/cs",
        data=b"t=%E9t%E9&_charset_=ISO-8859-1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 201
    assert (await node(client, "/cs"))["t"] == "été"


async def test_undecodable_form_text_is_400(client: Client, assert_error: AssertError) -> None:
    resp = await client.post(
        "/cs", data=b"t=%FF%FE", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    await assert_error(resp, 400, "invalid-input")
    assert (await client.get("/cs.json")).status == 404
