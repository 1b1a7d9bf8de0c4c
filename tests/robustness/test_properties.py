"""Property-based robustness (hypothesis): generated malformed input never breaks the server.

For every generated request: no 5xx other than the Sling-mandated ones (with their code), no
traceback, a JSON or HTML error body with a stable code, and on any error the stored content is
unchanged. Generated input may also be valid: then the tree must still render as strict JSON.
Examples are derandomized (the same inputs on every run) and bounded, so the directory stays fast.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .robustness_support import (
    TREE,
    TREE_CONTENT,
    Client,
    Snapshot,
    assert_robust,
    snapshot,
    url_of,
)

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON_ACCEPT = {"Accept": "application/json"}
TYPES = [
    "String",
    "Long",
    "Double",
    "Decimal",
    "Boolean",
    "Date",
    "Binary",
    "Name",
    "Path",
    "Reference",
    "WeakReference",
    "URI",
    "Undefined",
]

# Characters that stress names and paths: separators, JCR syntax, control, non-BMP, escapes.
NASTY = "/.[]|*:@%?#&=+ \t\n\r\x00\x01\x7f~\\\"'<>{}é€😀\ufffe"
# No lone surrogates: the client cannot encode them (the table covers them as raw bytes).
chars = st.characters(exclude_categories=["Cs"])
nasty_text = st.text(alphabet=st.sampled_from(NASTY) | chars, max_size=40)
segment = st.one_of(
    st.sampled_from(["a", "b", "..", ".", "", "*", "jcr:system", "jcr:content", "x[1]", "%ff"]),
    nasty_text,
    st.just("y" * 300),
)
type_hint = st.one_of(
    st.sampled_from(TYPES),
    st.sampled_from(TYPES).map(lambda t: t + "[]"),
    st.sampled_from(["nt:file", "nt:unstructured", "nt:bogus", "mix:referenceable", "long", ""]),
    nasty_text,
)
value_text = st.one_of(
    nasty_text,
    st.sampled_from(
        [
            "1",
            "-1",
            "1e999",
            "NaN",
            "1e999999999",
            "9" * 30,
            "true",
            "",
            "2020-13-01",
            "/rt/a",
            "../..",
            "00000000-0000-0000-0000-000000000000",
            "Infinity",
        ]
    ),
    st.integers().map(str),
    st.floats().map(str),
)


def strict_json(body: bytes) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(body, parse_constant=refuse)


async def ensure_tree(client: Client) -> Snapshot:
    """Generated valid requests may remove or reshape the test tree: put it back when gone."""
    if (await client.get(f"{TREE}.json")).status != 200:
        resp = await client.post(
            "/",
            data=[
                (":operation", "import"),
                (":contentType", "json"),
                (":name", TREE[1:]),
                (":content", json.dumps(TREE_CONTENT)),
                (":replace", "true"),
            ],
            headers=JSON_ACCEPT,
        )
        assert resp.status in (200, 201), await resp.text()
    return await snapshot(client)


async def after_success(client: Client) -> None:
    resp = await client.get(f"{TREE}.infinity.json")
    assert resp.status in (200, 404), resp.status
    if resp.status == 200:
        strict_json(await resp.read())


@BOUNDED
@given(
    method=st.sampled_from(["GET", "HEAD", "DELETE", "PATCH", "POST"]),
    segments=st.lists(segment, min_size=1, max_size=6),
    decoration=st.sampled_from(
        [
            "",
            ".json",
            ".1.json",
            ".x.json",
            ".infinity.json",
            "/",
            ".html",
            ".tidy.-1.json",
            ".product.json",
            ".acl.json",
            ".%ff.json",
        ]
    ),
    encode=st.booleans(),
)
async def test_generated_paths(
    client: Client, tree: Snapshot, method: str, segments: list[str], decoration: str, encode: bool
) -> None:
    from urllib.parse import quote

    before = await ensure_tree(client)
    parts = [quote(s, safe="") if encode else quote(s, safe="/:[]|*@%") for s in segments]
    path = TREE + "/" + "/".join(parts) + decoration
    data: Any = None
    headers: dict[str, str] = {}
    if method == "PATCH":
        data, headers = (
            '[{"op":"add","path":"/z","value":"1"}]',
            {"Content-Type": "application/json-patch+json"},
        )
    elif method == "POST":
        data, headers = [("v", "1")], JSON_ACCEPT
    resp = await client.session.request(
        method, url_of(client, path), data=data, headers=headers, allow_redirects=False
    )
    if method == "HEAD":
        assert resp.status < 500, (path, resp.status)
        return
    await assert_robust(client, before, resp, (method, path))
    if resp.status < 400:
        await after_success(client)


@BOUNDED
@given(
    fields=st.lists(
        st.tuples(
            st.one_of(segment, st.lists(segment, max_size=3).map("/".join)),
            st.sampled_from(
                [
                    "",
                    "@TypeHint",
                    "@DefaultValue",
                    "@Delete",
                    "@MoveFrom",
                    "@CopyFrom",
                    "@Patch",
                    "@IgnoreBlanks",
                    "@ValueFrom",
                    "@UseDefaultWhenMissing",
                ]
            ),
            st.one_of(value_text, type_hint),
        ),
        min_size=1,
        max_size=6,
    ),
    target=st.sampled_from(["/rt/p", "/rt/p/", "/rt/p/*", "/rt/a", "/rt"]),
    special=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    ":order",
                    ":name",
                    ":nameHint",
                    "jcr:primaryType",
                    "jcr:mixinTypes",
                    "_charset_",
                    ":redirect",
                ]
            ),
            value_text,
        ),
        max_size=2,
    ),
)
async def test_generated_modify(
    client: Client,
    tree: Snapshot,
    fields: list[tuple[str, str, str]],
    target: str,
    special: list[tuple[str, str]],
) -> None:
    before = await ensure_tree(client)
    form = [(name + suffix, value) for name, suffix, value in fields] + special
    try:
        resp = await client.post(target, data=form, headers=JSON_ACCEPT, allow_redirects=False)
    except ValueError:
        return  # the client refuses to send control characters in multipart headers
    await assert_robust(client, before, resp, form)
    if resp.status < 400:
        await after_success(client)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | nasty_text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.one_of(
                segment,
                st.sampled_from(["jcr:primaryType", "jcr:mixinTypes", "jcr:uuid", "x@TypeHint"]),
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
pointer = st.one_of(
    st.sampled_from(
        [
            "",
            "/",
            "/title",
            "/tags/0",
            "/tags/-",
            "/tags/99",
            "/a",
            "/a/x",
            "/a/deep",
            "/count",
            "/nope/x",
            "/~2",
            "x",
            "/jcr:primaryType",
            "/ref/jcr:uuid",
        ]
    ),
    st.lists(segment, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s)),
    st.integers(),
)


@BOUNDED
@given(
    document=st.lists(
        st.fixed_dictionaries(
            {
                "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"])
                | nasty_text
            },
            optional={"path": pointer, "from": pointer, "value": json_values},
        ),
        max_size=5,
    )
    | json_values,
    if_match=st.none() | st.sampled_from(["*", '"1"', "garbage", ""]) | nasty_text,
)
async def test_generated_json_patch(
    client: Client, tree: Snapshot, document: Any, if_match: str | None
) -> None:
    before = await ensure_tree(client)
    headers = {"Content-Type": "application/json-patch+json"}
    if if_match is not None:
        headers["If-Match"] = if_match
    try:
        resp = await client.patch(
            TREE, data=json.dumps(document), headers=headers, allow_redirects=False
        )
    except ValueError:
        return  # header values with control characters cannot be sent
    await assert_robust(client, before, resp, document)
    if resp.status < 400:
        await after_success(client)


@BOUNDED
@given(
    operation=st.sampled_from(
        ["delete", "move", "copy", "import", "nop", "checkin", "checkout", "modify", "", "bogus"]
    )
    | nasty_text,
    params=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    ":dest",
                    ":applyTo",
                    ":order",
                    ":replace",
                    ":contentType",
                    ":content",
                    ":name",
                    ":nameHint",
                    ":replaceProperties",
                    ":nopstatus",
                    ":status",
                ]
            ),
            st.one_of(
                value_text, json_values.map(json.dumps), st.lists(segment, max_size=4).map("/".join)
            ),
        ),
        max_size=5,
    ),
    target=st.sampled_from(["/rt/a", "/rt/b", "/rt/p", "/rt", "/", "/jcr:system", "/rt.html"]),
)
async def test_generated_operations(
    client: Client, tree: Snapshot, operation: str, params: list[tuple[str, str]], target: str
) -> None:
    before = await ensure_tree(client)
    form = [(":operation", operation), *params]
    resp = await client.post(target, data=form, headers=JSON_ACCEPT, allow_redirects=False)
    await assert_robust(client, before, resp, form)
    if resp.status < 400:
        await after_success(client)
        assert await client.get("/jcr:system.json") is not None
        assert (await client.get("/.json")).status == 200


@BOUNDED
@given(
    content=st.one_of(
        json_values.map(json.dumps),
        json_values.map(lambda v: json.dumps({"n": v})),
        nasty_text,
        st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
    ),
    content_type=st.sampled_from(["json", "JSON", "xml", "", "zip"]) | nasty_text,
    name=st.none() | segment,
)
async def test_generated_import(
    client: Client, tree: Snapshot, content: str, content_type: str, name: str | None
) -> None:
    before = await ensure_tree(client)
    form = [(":operation", "import"), (":contentType", content_type), (":content", content)]
    if name is not None:
        form.append((":name", name))
    resp = await client.post("/rt/p", data=form, headers=JSON_ACCEPT, allow_redirects=False)
    await assert_robust(client, before, resp, form)
    if resp.status < 400:
        await after_success(client)


@BOUNDED
@given(
    authorization=st.one_of(
        st.binary(max_size=80).map(lambda b: "Basic " + base64.b64encode(b).decode("ascii")),
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80),
        st.sampled_from(["Basic", "Basic ", "Bearer x", "Basic ===="]),
    ),
    cookie=st.none()
    | st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
)
async def test_generated_credentials(
    client: Client, tree: Snapshot, authorization: str, cookie: str | None, method: str
) -> None:
    import aiohttp

    before = await ensure_tree(client)
    headers = {"Authorization": authorization, "Accept": "application/json"}
    if cookie is not None:
        headers["Cookie"] = f"login-token={cookie}"
    data = [("v", "1")] if method == "POST" else None
    async with aiohttp.ClientSession() as anon:
        resp = await anon.request(
            method, url_of(client, "/rt/a"), data=data, headers=headers, allow_redirects=False
        )
        await resp.read()
    if resp.status < 400:
        # only the admin's real credentials may get through
        assert "admin" in base64.b64decode(authorization[6:] + "==").decode("latin-1"), (
            authorization
        )
    await assert_robust(client, before, resp, (authorization, cookie))
