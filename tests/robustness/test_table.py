"""Table-driven robustness: each row is a malformed request that must be refused cleanly.

Every row asserts a 4xx (or a 500 that sling-http §3.13 demands, with its code), a JSON or HTML
body with a stable code and no traceback, and that the stored content did not change (head
revision, `/rt.infinity.json`, `/.1.json`). Rows with `ok=True` may be valid input: for them only
"no bug-500, and an error changes nothing" holds. Rows run in groups against one app each, so the
directory stays fast; a failing group lists every failing row by id.
"""

from __future__ import annotations

import base64
import json

import pytest

from .robustness_support import Case, Client, Fields, Snapshot, run_table

LONG = "x" * 5000
DEEP = "/".join(["d"] * 400)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PATCH = {"Content-Type": "application/json-patch+json"}


def post(id_: str, path: str, data: Fields | bytes | str, **kw: object) -> Case:
    return Case(id_, "POST", path, data, **kw)  # type: ignore[arg-type]


def hinted(value: str, hint: str) -> Fields:
    return [("v", value), ("v@TypeHint", hint)]


def op(name: str, *extra: tuple[str, str]) -> Fields:
    return [(":operation", name), *extra]


def imp(content: str, *extra: tuple[str, str]) -> Fields:
    return op("import", (":contentType", "json"), (":content", content), *extra)


def basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


def multipart(parts: list[bytes], boundary: str = "XyZ") -> tuple[bytes, dict[str, str]]:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def field(name: str, value: bytes, extra: str = "") -> bytes:
    head = f'Content-Disposition: form-data; name="{name}"{extra}\r\n\r\n'
    return head.encode() + value


def upload(name: str, filename: str, data: bytes = b"data") -> bytes:
    return field(name, data, f'; filename="{filename}"')


# --- paths ------------------------------------------------------------------------------------
WEIRD_PATHS = [
    "/rt/%00.json",
    "/rt%00.json",
    "/rt/a%00b",
    "/rt/%ff.json",
    "/rt/%C3%28.json",
    "/rt/%ED%A0%80.json",
    "/rt/" + LONG + ".json",
    "/" + LONG,
    "/rt/" + DEEP + ".json",
    "/rt/a[1].json",
    "/rt/a[0].json",
    "/rt/a|b.json",
    "/rt/[",
    "/rt/]]].json",
    "/rt/a*b.json",
    "/rt//a.json",
    "//rt.json",
    "/rt/a/..",
    "/rt/%2e%2e/%2e%2e.json",
    "/rt/%2e%2e/x",
    "/rt/%2e/x",
    "/rt/.json",
    "/rt/..json",
    "/rt/%2F%2F.json",
    "/rt/%2F%2Fx",
    "/rt/a%0Ab.json",
    "/rt/a%7Fb",
    "/rt/jcr:bogus:x.json",
    "/nons:x.json",
    "/rt/:.json",
]
# POSTs to these create what they name (sling-http §3.2: a non-existing path is taken literally)
# `%7F` (DEL) is an XML Char, so the model allows it (repository-model §1.3), though sling-http §1
# says "no control characters": a spec divergence, reported, not a crash.
CREATABLE = {"/rt/jcr:bogus:x.json", "/rt/:.json", "/nons:x.json", "/rt/a[1].json", "/rt/a%7Fb"}
NORMALISED = {"/rt//a.json", "//rt.json", "/rt/a/..", "/rt/.json", "/rt/..json"}

PATH_CASES = [Case(f"GET {p[:40]}", "GET", p, ok=True) for p in WEIRD_PATHS]
PATH_CASES += [Case(f"DELETE {p[:40]}", "DELETE", p) for p in WEIRD_PATHS if p not in NORMALISED]
PATH_CASES += [
    Case(f"PATCH {p[:40]}", "PATCH", p, '[{"op":"add","path":"/z","value":"1"}]', PATCH)
    for p in WEIRD_PATHS
    if p not in NORMALISED
]
PATH_CASES += [
    post(f"POST {p[:40]}", p, [("v", "1")], ok=p in CREATABLE)
    for p in WEIRD_PATHS
    if p not in NORMALISED
]

# --- GET selectors and renderers --------------------------------------------------------------
GET_CASES = [
    Case("not-int", "GET", "/rt.notAnInteger.json", status=400, code="invalid-selector"),
    Case("minus-2", "GET", "/rt.-2.json", status=400),
    Case("leading-zero", "GET", "/rt.01.json", status=400),
    Case("plus", "GET", "/rt.+1.json", status=400),
    Case("empty-selector", "GET", "/rt..json", status=400),
    Case("empty-last", "GET", "/rt.tidy..json", status=400),
    Case("more", "GET", "/rt.42.more.json", status=400),
    Case("unicode-digit", "GET", "/rt.%D9%A1.json", status=400),
    Case("huge-depth", "GET", "/rt." + "9" * 400 + ".json", ok=True),
    Case("bad-utf8-selector", "GET", "/rt.%ff.json"),
    Case("unknown-ext", "GET", "/rt.someWeirdExtension", status=404),
    Case("prop-bad-ext", "GET", "/rt/title.pdf", status=404),
    Case("multi-no-ext", "GET", "/rt/tags", status=403),
    Case("missing-prop", "GET", "/rt/nothing.json", status=404),
    Case("product-not-product", "GET", "/rt.product.json"),
    Case("product-bad-filter", "GET", "/rt.product.json?filter=nocolon", status=400),
    Case("product-empty-filter", "GET", "/rt.product.json?filter=:", status=400),
    Case("product-missing", "GET", "/nope.product.json", status=404),
    Case("commerce-missing", "GET", "/nope.commerce.json", status=404),
    Case("commerce-bad-path", "GET", "/rt/%ff.commerce.json"),
    Case("acl-missing", "GET", "/nope.acl.json", status=404),
    Case("acl-index", "GET", "/rt/a[1].acl.json", ok=True),
    Case("acl-bad-path", "GET", "/rt/a|b.acl.json"),
    Case("user-bad-ext", "GET", "/system/userManager/user/admin.xml", status=404),
    Case("user-missing", "GET", "/system/userManager/user/nobody.json", status=404),
    Case("user-nul", "GET", "/system/userManager/user/%00.json"),
    Case("user-bad-utf8", "GET", "/system/userManager/user/%ff.json"),
    Case("group-long", "GET", "/system/userManager/group/" + LONG + ".json"),
    Case("qb-bad-limit", "GET", "/bin/querybuilder.json?p.limit=abc"),
    Case("qb-bad-offset", "GET", "/bin/querybuilder.json?p.offset=-5", ok=True),
    Case("qb-bad-path", "GET", "/bin/querybuilder.json?path=a[1]", ok=True),
    Case("qb-nul-property", "GET", "/bin/querybuilder.json?property=%00&property.value=1", ok=True),
    Case("qb-bad-operation", "GET", "/bin/querybuilder.json?property=x&property.operation=zz"),
    Case("qb-bad-orderby", "GET", "/bin/querybuilder.json?orderby=@[&path=/rt", ok=True),
    Case("qb-bad-utf8", "GET", "/bin/querybuilder.json?fulltext=%ff", ok=True),
    Case("repl-status-bad", "GET", "/bin/replication/status.json?path=a[1]"),
    Case("repl-status-missing", "GET", "/bin/replication/status.json"),
    Case("nodetypes-bad-selector", "GET", "/system/nodetypes.bogus.json", ok=True),
]

# --- POST modify: names and values ------------------------------------------------------------
MODIFY_CASES = [
    post("name-brackets", "/rt", [("a[1]", "x")], status=409),
    post("name-pipe", "/rt", [("a|b", "x")], status=409),
    post("name-star-mid", "/rt", [("a*b", "x")], status=409),
    post("name-control", "/rt", b"a%01b=x", headers=FORM, status=409),
    post("name-nul", "/rt", b"a%00b=x", headers=FORM),
    post("name-dotdot-above-root", "/rt", [("../../../x", "1")]),
    post("name-long", "/rt", [(LONG, "x")]),
    post("name-empty-segment", "/rt", [("a//b", "x")], ok=True),
    post("name-unknown-prefix", "/rt", [("nons:x", "x")]),
    post("name-two-colons", "/rt", [("a:b:c", "x")]),
    post("name-bad-utf8", "/rt", b"%ff=1", headers=FORM, status=400),
    post("value-bad-utf8", "/rt", b"v=%ff", headers=FORM, status=400),
    post("charset-unknown", "/rt", "v=1&_charset_=bogus-charset", headers=FORM, status=400),
    post("charset-mismatch", "/rt", "v=%ff%fe&_charset_=utf-8", headers=FORM, status=400),
    post("jcr-system-absolute", "/rt", [("/jcr:system/x", "1")]),
    post("protected-uuid", "/rt/ref", [("jcr:uuid", "abc")]),
    post("protected-created", "/rt", [("jcr:created", "x"), ("jcr:created@TypeHint", "Date")]),
    post("long-bad", "/rt", hinted("abc", "Long"), status=422),
    post("long-float", "/rt", hinted("1.5", "Long"), status=422),
    post("long-overflow", "/rt", hinted("9" * 40, "Long"), status=422),
    post("long-huge-digits", "/rt", hinted("9" * 5000, "Long"), status=422),
    post("long-multi-bad", "/rt", [("v", "1"), ("v", "x"), ("v@TypeHint", "Long[]")], status=422),
    post("existing-long-stays-long", "/rt", [("count", "many")], status=422),
    post("double-bad", "/rt", hinted("1,5", "Double"), status=422),
    post("double-huge", "/rt", hinted("1e999", "Double"), ok=True),
    post("decimal-bad", "/rt", hinted("1.2.3", "Decimal"), status=422),
    post("decimal-nan", "/rt", hinted("NaN", "Decimal"), status=422),
    post("decimal-huge-exp", "/rt", hinted("1e999999999", "Decimal"), status=422),
    post("decimal-tiny-exp", "/rt", hinted("1e-999999999", "Decimal"), status=422),
    post("date-bad", "/rt", hinted("notadate", "Date"), status=422),
    post("date-month-13", "/rt", hinted("2020-13-01", "Date"), status=422),
    post("date-year-0", "/rt", hinted("0000-01-01", "Date"), status=422),
    post("date-offset-bad", "/rt", hinted("2020-01-01T00:00:00.000+99:00", "Date"), status=422),
    post("date-dotted-bad", "/rt", hinted("32.01.2020", "Date"), status=422),
    post("date-huge-year", "/rt", hinted("99999-01-01", "Date"), status=422),
    post("reference-missing", "/rt", hinted("no-such-uuid", "Reference")),
    post(
        "reference-uuid-missing",
        "/rt",
        hinted("0" * 8 + "-0000-0000-0000-" + "0" * 12, "Reference"),
    ),
    post("name-value-bad", "/rt", hinted("a[b", "Name"), status=422),
    post("name-value-prefix", "/rt", hinted("nons:x", "Name"), status=422),
    post("path-value-bad", "/rt", hinted("/a[[/b", "Path"), status=422),
    post("uri-value-bad", "/rt", hinted("ht tp://x y", "URI"), status=422),
    post("hint-unknown", "/rt", hinted("x", "Bogus"), ok=True),
    post("hint-empty-multi", "/rt", hinted("x", "[]"), ok=True),
    post("primary-unknown", "/rt/new", [("jcr:primaryType", "nt:bogus")]),
    post("primary-unknown-prefix", "/rt/new", [("jcr:primaryType", "zz:bogus")]),
    post("primary-abstract", "/rt/new", [("jcr:primaryType", "nt:base")]),
    post("primary-abstract-hierarchy", "/rt/new", [("jcr:primaryType", "nt:hierarchyNode")]),
    post("primary-mixin", "/rt/new", [("jcr:primaryType", "mix:referenceable")]),
    post("primary-root", "/rt/new", [("jcr:primaryType", "rep:root")]),
    post("primary-garbage", "/rt/new", [("jcr:primaryType", "a[b")]),
    post("primary-empty", "/rt/a", [("jcr:primaryType", "")], ok=True),
    post("primary-change-mixin", "/rt/a", [("jcr:primaryType", "mix:versionable")]),
    post("primary-file-no-content", "/rt/new", [("jcr:primaryType", "nt:file")]),
    post("primary-of-existing-bogus", "/rt/a", [("jcr:primaryType", "nt:bogus")]),
    post("mixin-bogus", "/rt/a", [("jcr:mixinTypes", "mix:bogus")]),
    post("mixin-primary", "/rt/a", [("jcr:mixinTypes", "nt:unstructured")]),
    post("mixin-garbage", "/rt/a", [("jcr:mixinTypes", "|")]),
    post("mixin-new-bogus", "/rt/new", [("jcr:mixinTypes", "mix:bogus")]),
    post("child-under-jcr-system", "/jcr:system/new", [("v", "1")]),
    post("prop-on-jcr-system", "/jcr:system", [("v", "1")]),
    post("nested-under-jcr-system", "/", [("jcr:system/x/y", "1")]),
    post("star-under-jcr-system", "/jcr:system/*", [("v", "1")]),
    post("under-nt-file", "/rt", [("f/jcr:primaryType", "nt:file"), ("f/other/x", "1")]),
    post("move-from-own-ancestor", "/rt/a/x2", [("m@MoveFrom", "/rt")]),
    post("move-from-root", "/rt/a", [("m@MoveFrom", "/")]),
    post("move-from-jcr-system", "/rt/a", [("m@MoveFrom", "/jcr:system")]),
    post("move-from-self", "/rt/a", [("deep@MoveFrom", "/rt/a")]),
    post("copy-from-own-ancestor", "/rt/a", [("m@CopyFrom", "/rt")]),
    post("copy-from-root", "/rt/a", [("m@CopyFrom", "/")]),
    post("copy-from-jcr-system", "/rt/a", [("m@CopyFrom", "/jcr:system")], ok=True),
    post("move-from-bad-path", "/rt/a", [("m@MoveFrom", "a[[")]),
    post("move-into-jcr-system", "/jcr:system", [("m@MoveFrom", "/rt/a")]),
    post("order-garbage", "/rt/b", [(":order", "sideways")], status=500, code="invalid-order"),
    post("order-before-nothing", "/rt/b", [(":order", "before")], status=500),
    post("order-unknown-sibling", "/rt/b", [(":order", "before nope")], status=409),
    post("order-negative", "/rt/b", [(":order", "-1")], status=500),
    post("order-float", "/rt/b", [(":order", "1.5")], status=500),
    post("order-huge", "/rt/b", [(":order", "9" * 100)], ok=True),
    post("order-on-root", "/", [(":order", "first")], ok=True),
    post("order-bad-name", "/rt/b", [(":order", "before a[1]")]),
    post("name-already-exists", "/rt/", [(":name", "a")], status=500, code="name-in-use"),
    post("name-illegal", "/rt/", [(":name", "a/b")], status=409),
    post("name-illegal-dotdot", "/rt/", [(":name", "..")], status=409),
    post("name-illegal-bracket", "/rt/", [(":name", "x[1]")], status=409),
    post("name-hint-only-junk", "/rt/", [(":nameHint", "////")], ok=True),
    post(
        "default-bad-type",
        "/rt",
        [("v", ""), ("v@DefaultValue", "x"), ("v@TypeHint", "Long")],
        status=422,
    ),
    post(
        "patch-bad-type", "/rt", [("tags@Patch", "true"), ("tags", "+x"), ("tags@TypeHint", "Long")]
    ),
    post(
        "value-from-bad-type",
        "/rt",
        [("src", "abc"), ("v@ValueFrom", "src"), ("v@TypeHint", "Long")],
    ),
    post(
        "primary-and-bad-value",
        "/rt/new",
        [("jcr:primaryType", "nt:unstructured"), *hinted("x", "Long")],
        status=422,
    ),
    post(
        "partial-then-bad", "/rt", [("ok", "1"), ("a/new", "2"), *hinted("x", "Date")], status=422
    ),
    post(
        "redirect-bad",
        "/rt",
        [(":redirect", "http://[::1"), ("v", "x"), *hinted("x", "Long")],
        status=422,
    ),
]

# --- POST operations --------------------------------------------------------------------------
DEEP_OBJECT = '{"a":' * 3000 + "{}" + "}" * 3000
DEEP_ARRAY = '{"v":' + "[" * 5000 + "]" * 5000 + "}"
HUGE_ARRAY = '{"v": [' + ",".join(["1"] * 20000) + '], "bad[": 1}'
OPERATION_CASES = [
    post("unknown-op", "/rt", op("bogus"), status=500, code="unknown-operation"),
    post("unknown-op-long", "/rt", op("x" * 3000), status=500, code="unknown-operation"),
    post("unknown-op-nul", "/rt", b":operation=de%00lete", headers=FORM, status=500),
    post("unknown-op-html", "/rt", op("bogus"), headers={"Accept": "text/html"}, status=500),
    post("unknown-op-browser", "/rt", op("bogus", (":status", "browser")), status=200, ok=True),
    post("delete-root", "/", op("delete")),
    post("delete-root-applyto", "/rt", op("delete", (":applyTo", "/"))),
    post("delete-root-relative", "/rt", op("delete", (":applyTo", ".."))),
    post("delete-root-dotdot-deep", "/rt/a", op("delete", (":applyTo", "../../.."))),
    post("delete-jcr-system", "/jcr:system", op("delete")),
    post("delete-jcr-system-applyto", "/rt", op("delete", (":applyTo", "/jcr:system"))),
    post("delete-selectors", "/rt.html", op("delete"), status=403),
    post("delete-suffix", "/rt/a.x/y", op("delete"), status=403),
    post("delete-applyto-bad", "/rt", op("delete", (":applyTo", "a|b")), ok=True),
    post("delete-primary-type", "/rt/jcr:primaryType", op("delete")),
    post("delete-uuid", "/rt/ref/jcr:uuid", op("delete")),
    post("delete-missing", "/nope", op("delete"), status=404),
    post("move-no-dest", "/rt/a", op("move"), status=500, code="missing-destination"),
    post("move-empty-dest", "/rt/a", op("move", (":dest", "")), status=500),
    post("move-root", "/", op("move", (":dest", "/elsewhere"))),
    post("move-root-into-self", "/", op("move", (":dest", "/rt/x"))),
    post("move-jcr-system", "/jcr:system", op("move", (":dest", "/sys2"))),
    post(
        "move-jcr-system-replace", "/jcr:system", op("move", (":dest", "/rt"), (":replace", "true"))
    ),
    post("move-into-jcr-system", "/rt/a", op("move", (":dest", "/jcr:system/a"))),
    post("move-into-own-subtree", "/rt", op("move", (":dest", "/rt/a/rt")), status=409),
    post("move-onto-self", "/rt/a", op("move", (":dest", "/rt/a"))),
    post("move-replace-ancestor", "/rt/a/deep", op("move", (":dest", "/rt"), (":replace", "true"))),
    post(
        "move-replace-root", "/rt/folder", op("move", (":dest", "/"), (":replace", "true")), ok=True
    ),
    post("move-dest-pipe", "/rt/a", op("move", (":dest", "/rt/x|1"))),
    post("move-dest-dotdot", "/rt/a", op("move", (":dest", "../../../../x"))),
    post("move-dest-long", "/rt/a", op("move", (":dest", "/rt/" + LONG))),
    post("move-dest-deep", "/rt/a", op("move", (":dest", "/rt/" + DEEP))),
    post("move-exists", "/rt/a", op("move", (":dest", "/rt/b")), status=412),
    post("move-parent-missing", "/rt/a", op("move", (":dest", "/nope/x")), status=412),
    post(
        "move-multi-no-slash",
        "/rt",
        op("move", (":applyTo", "a"), (":applyTo", "b"), (":dest", "/rt/c/x")),
        status=500,
    ),
    post(
        "move-multi-into-own", "/rt", op("move", (":applyTo", "a"), (":dest", "/rt/a/")), status=409
    ),
    post(
        "move-order-garbage",
        "/rt/a",
        op("move", (":dest", "/rt/c/a"), (":order", "zz")),
        status=500,
    ),
    post("move-missing-source", "/nope", op("move", (":dest", "/rt/x")), status=404),
    post("copy-root", "/", op("copy", (":dest", "/rt/rootcopy"))),
    post("copy-into-own-subtree", "/rt", op("copy", (":dest", "/rt/a/rt")), status=409),
    post("copy-into-jcr-system", "/rt/a", op("copy", (":dest", "/jcr:system/a"))),
    post("copy-onto-self-replace", "/rt/a", op("copy", (":dest", "/rt/a"), (":replace", "true"))),
    post("copy-no-dest", "/rt/a", op("copy"), status=500),
    post("import-no-type", "/rt", op("import", (":content", "{}")), status=412),
    post("import-no-content", "/rt", op("import", (":contentType", "json")), status=412),
    post("import-broken-json", "/rt", imp("{")),
    post("import-array", "/rt", imp("[1,2]")),
    post("import-scalar", "/rt", imp("1")),
    post("import-nan", "/rt", imp('{"v": NaN}'), ok=True),
    post("import-huge-int", "/rt", imp('{"v": ' + "9" * 30 + "}")),
    post("import-huge-int-array", "/rt", imp('{"v": [1, ' + "9" * 30 + "]}")),
    post("import-deep", "/rt", imp(DEEP_OBJECT), status=400),
    post("import-deep-arrays", "/rt", imp(DEEP_ARRAY), status=400),
    post("import-deeper-than-paths", "/rt", imp('{"a":' * 200 + "{}" + "}" * 200)),
    post("import-nested-array", "/rt", imp('{"v": [[1], [2]]}')),
    post("import-object-in-array", "/rt", imp('{"v": [{"a": 1}]}')),
    post("import-mixed-array", "/rt", imp('{"v": [1, "x", true]}'), ok=True),
    post("import-null", "/rt", imp('{"v": null}')),
    post("import-null-array", "/rt", imp('{"v": [null]}')),
    post("import-huge-array", "/rt", imp(HUGE_ARRAY)),
    post("import-bad-name", "/rt", imp('{"a|b": {}}')),
    post("import-bad-prop-name", "/rt", imp('{"a[1]": "x"}')),
    post("import-empty-name", "/rt", imp('{"": {}}')),
    post("import-empty-prop-name", "/rt", imp('{"": 1}')),
    post("import-empty-prop-null", "/rt", imp('{"": null}')),
    post("import-bad-primary", "/rt", imp('{"n": {"jcr:primaryType": "nt:bogus"}}')),
    post("import-primary-not-string", "/rt", imp('{"n": {"jcr:primaryType": 5}}')),
    post("import-primary-array", "/rt", imp('{"n": {"jcr:primaryType": ["nt:folder", "x"]}}')),
    post("import-mixins-not-list", "/rt", imp('{"n": {"jcr:mixinTypes": 7}}')),
    post("import-mixins-bogus", "/rt", imp('{"n": {"jcr:mixinTypes": ["mix:bogus"]}}')),
    post("import-mixin-as-primary", "/rt", imp('{"n": {"jcr:primaryType": "mix:referenceable"}}')),
    post("import-abstract", "/rt", imp('{"n": {"jcr:primaryType": "nt:base"}}')),
    post("import-file-no-content", "/rt", imp('{"n": {"jcr:primaryType": "nt:file"}}')),
    post("import-hint-bad", "/rt", imp('{"v": "x", "v@TypeHint": "Long"}')),
    post("import-xml", "/rt", op("import", (":contentType", "xml"), (":content", "<a/>"))),
    post("import-type-garbage", "/rt", op("import", (":contentType", "zz"), (":content", "{}"))),
    post("import-name-exists", "/", imp("{}", (":name", "rt")), status=412),
    post("import-name-illegal", "/rt", imp("{}", (":name", "a/b")), status=409),
    post("import-name-dotdot", "/rt", imp("{}", (":name", "..")), status=409),
    post("import-into-jcr-system", "/jcr:system", imp("{}", (":name", "x"))),
    post("import-replace-root", "/", imp('{"jcr:system": {}}', (":replace", "true"))),
    post("import-lone-surrogate", "/rt", imp('{"s": "\\ud800"}')),
    post("import-then-bad", "/rt", imp('{"good": {"x": 1}, "bad": {"jcr:primaryType": "nt:b"}}')),
    post(
        "import-content-file-bad",
        "/rt",
        op("import", (":contentType", "json"), (":contentFile", "{")),
    ),
    post("checkout-missing", "/nope", op("checkout")),
    post("nop-garbage-status", "/rt", op("nop", (":nopstatus", "abc")), ok=True),
    post("nop-huge-status", "/rt", op("nop", (":nopstatus", "9" * 5000)), ok=True),
]

# --- multipart and content types --------------------------------------------------------------
MP_BAD_SEP, MP_HDR = multipart([b'Content-Disposition: form-data; name="v"\r\nno-separator'])
MP_BAD_UTF8, _ = multipart([field("v", b"\xff\xfe")])
MP_BAD_CHARSET, _ = multipart(
    [
        b'Content-Disposition: form-data; name="v"\r\n'
        b"Content-Type: text/plain; charset=bogus\r\n\r\nx"
    ]
)
MP_CHARSET_FIELD, _ = multipart([field("_charset_", b"bogus-cs"), field("v", b"x")])
MP_DOTDOT, _ = multipart([upload("*", "..")])
MP_SLASH, _ = multipart([upload("*", "/")])
MP_EMPTY_NAME, _ = multipart([upload("*", "")])
MP_PIPE, _ = multipart([upload("*", "a|b.txt")])
MP_HINT, _ = multipart([upload("f", "f.txt"), field("f@TypeHint", b"nt:bogus")])
MP_HINT_MIXIN, _ = multipart([upload("f", "f.txt"), field("f@TypeHint", b"mix:referenceable")])
MP_BAD_DISP, _ = multipart([b"Content-Disposition: form-data; name\r\n\r\nx"])
MP_NO_END, _ = multipart([field("v", b"x")])
MP_HUGE_HEADER, _ = multipart([b"X-Junk: " + b"j" * 20000 + b"\r\n" + field("v", b"x")])
MP_TYPED_BAD, _ = multipart([field("v", b"x"), field("v@TypeHint", b"Long")])
MP_OTHER, _ = multipart([field("v", b"x")], boundary="other")
BODY_CASES = [
    post(
        "mp-no-boundary",
        "/rt",
        b"--x\r\n",
        headers={"Content-Type": "multipart/form-data"},
        status=400,
    ),
    post("mp-no-separator", "/rt", MP_BAD_SEP, headers=MP_HDR, status=400),
    post("mp-bad-utf8", "/rt", MP_BAD_UTF8, headers=MP_HDR, status=400),
    post("mp-bad-part-charset", "/rt", MP_BAD_CHARSET, headers=MP_HDR, status=400),
    post("mp-bad-charset-field", "/rt", MP_CHARSET_FIELD, headers=MP_HDR, status=400),
    post("mp-upload-dotdot", "/rt", MP_DOTDOT, headers=MP_HDR),
    post("mp-upload-slash", "/rt", MP_SLASH, headers=MP_HDR),
    post("mp-upload-empty-name", "/rt", MP_EMPTY_NAME, headers=MP_HDR, ok=True),
    post("mp-upload-pipe", "/rt", MP_PIPE, headers=MP_HDR),
    post("mp-upload-bad-hint", "/rt", MP_HINT, headers=MP_HDR),
    post("mp-upload-mixin-hint", "/rt", MP_HINT_MIXIN, headers=MP_HDR),
    post(
        "mp-upload-jcr-system", "/jcr:system", MP_DOTDOT.replace(b'"..', b'"f.txt'), headers=MP_HDR
    ),
    post("mp-bad-disposition", "/rt", MP_BAD_DISP, headers=MP_HDR, ok=True),
    post("mp-truncated", "/rt", MP_NO_END[:-8] + MP_TYPED_BAD[:20], headers=MP_HDR, ok=True),
    post("mp-huge-part-header", "/rt", MP_HUGE_HEADER + MP_TYPED_BAD, headers=MP_HDR, ok=True),
    post("mp-typed-bad", "/rt", MP_TYPED_BAD, headers=MP_HDR, status=422),
    post("mp-wrong-boundary", "/rt", MP_OTHER, headers=MP_HDR, ok=True),
    post("mp-garbage", "/rt", b"\x00\xff" * 100, headers=MP_HDR, ok=True),
    post(
        "ctype-json-post", "/rt", b'{"v": 1}', headers={"Content-Type": "application/json"}, ok=True
    ),
    post("ctype-bogus", "/rt", b"v=1", headers={"Content-Type": "no/such; ;;="}, ok=True),
    post("form-empty-name", "/rt", b"=x&&&=", headers=FORM, ok=True),
    post("form-only-at", "/rt", b"%40TypeHint=Long", headers=FORM, ok=True),
    post("big-form", "/rt", "v=" + "x" * 100_000, headers=FORM, status=413),
    post(
        "big-multipart",
        "/rt",
        multipart([field("v", b"x" * 100_000)])[0],
        headers=MP_HDR,
        status=413,
    ),
    Case("big-patch", "PATCH", "/rt", "[" + " " * 100_000 + "]", PATCH, status=413),
    post("big-login", "/j_security_check", "j_username=" + "x" * 100_000, headers=FORM, status=413),
    post(
        "big-cnd",
        "/system/nodetypes",
        "x" * 100_000,
        headers={"Content-Type": "text/plain"},
        status=413,
    ),
    post("big-ace", "/rt.modifyAce.json", "principalId=" + "x" * 100_000, headers=FORM, status=413),
    post(
        "big-user",
        "/system/userManager/user.create.json",
        ":name=" + "x" * 100_000,
        headers=FORM,
        status=413,
    ),
    post("big-replicate", "/bin/replicate.json", "cmd=" + "x" * 100_000, headers=FORM, status=413),
    post(
        "big-receive",
        "/bin/receive",
        b"x" * 100_000,
        headers={"Content-Type": "application/octet-stream"},
    ),
]


# --- PATCH and DELETE -------------------------------------------------------------------------
def patch(id_: str, doc: str | bytes, path: str = "/rt", **kw: object) -> Case:
    return Case(id_, "PATCH", path, doc, PATCH, **kw)  # type: ignore[arg-type]


def ops(*items: dict[str, object]) -> str:
    return json.dumps(list(items))


PATCH_CASES = [
    patch("empty-body", "", status=400),
    patch("broken", "[{", status=400),
    patch("object", "{}", status=400),
    patch("not-object", "[1]", status=400),
    patch("no-op", "[{}]", status=400),
    patch("op-not-string", ops({"op": 5, "path": "/x"}), status=400),
    patch("unknown-op", ops({"op": "bogus", "path": "/x"}), status=400),
    patch("no-path", ops({"op": "add", "value": 1}), status=400),
    patch("path-not-string", ops({"op": "add", "path": 5, "value": 1}), status=400),
    patch("no-value", ops({"op": "add", "path": "/x"}), status=400),
    patch("pointer-no-slash", ops({"op": "add", "path": "x", "value": 1}), status=400),
    patch("pointer-bad-escape", ops({"op": "add", "path": "/~2", "value": 1}), status=400),
    patch("pointer-empty", ops({"op": "add", "path": "", "value": 1}), status=400),
    patch("pointer-slash", ops({"op": "add", "path": "/", "value": 1})),
    patch("pointer-bad-name", ops({"op": "add", "path": "/a|b", "value": 1})),
    patch("pointer-dotdot", ops({"op": "add", "path": "/..", "value": 1})),
    patch("pointer-deep-missing", ops({"op": "add", "path": "/n/o/p/e", "value": 1}), status=404),
    patch("pointer-long", ops({"op": "add", "path": "/" + LONG, "value": 1})),
    patch("remove-missing", ops({"op": "remove", "path": "/nope"}), status=404),
    patch("replace-missing", ops({"op": "replace", "path": "/nope", "value": 1}), status=404),
    patch(
        "index-leading-zero", ops({"op": "replace", "path": "/tags/01", "value": "x"}), status=400
    ),
    patch(
        "index-dash-replace", ops({"op": "replace", "path": "/tags/-", "value": "x"}), status=400
    ),
    patch("index-out-of-range", ops({"op": "add", "path": "/tags/99", "value": "x"}), status=400),
    patch("index-huge", ops({"op": "add", "path": "/tags/" + "9" * 400, "value": "x"}), status=400),
    patch("index-on-single", ops({"op": "add", "path": "/title/0", "value": "x"}), ok=True),
    patch("index-object-value", ops({"op": "add", "path": "/tags/0", "value": {"a": 1}})),
    patch("index-array-value", ops({"op": "add", "path": "/tags/0", "value": [1]})),
    patch(
        "index-long-bad",
        ops(
            {"op": "add", "path": "/count", "value": 1},
            {"op": "add", "path": "/x", "value": [1, 2]},
            {"op": "add", "path": "/x/0", "value": "zz"},
        ),
    ),
    patch(
        "move-into-descendant", ops({"op": "move", "from": "/a", "path": "/a/deep/z"}), status=409
    ),
    patch("move-from-missing", ops({"op": "move", "from": "/nope", "path": "/z"}), status=404),
    patch("move-no-from", ops({"op": "move", "path": "/z"}), status=400),
    patch("copy-bad-from", ops({"op": "copy", "from": "nope", "path": "/z"}), status=400),
    patch("copy-node-into-value", ops({"op": "copy", "from": "/a", "path": "/tags/0"}), status=400),
    patch("test-fails", ops({"op": "test", "path": "/title", "value": "no"}), status=409),
    patch("value-bad-child-name", ops({"op": "add", "path": "/n", "value": {"a[1]": 1}})),
    patch("value-nested-array", ops({"op": "add", "path": "/n", "value": [[1]]})),
    patch("value-null", ops({"op": "add", "path": "/n", "value": None})),
    patch("value-empty-prop-name", ops({"op": "add", "path": "/n", "value": {"": 1}})),
    patch("value-null-in-array", ops({"op": "add", "path": "/n", "value": [None]})),
    patch("value-huge-int", ops({"op": "add", "path": "/n", "value": 2**70})),
    patch(
        "value-bad-primary", ops({"op": "add", "path": "/n", "value": {"jcr:primaryType": "nt:b"}})
    ),
    patch(
        "value-deep",
        ops({"op": "add", "path": "/n", "value": json.loads('{"a":' * 150 + "1" + "}" * 150)}),
    ),
    patch("add-primary-type", ops({"op": "add", "path": "/jcr:primaryType", "value": "nt:bogus"})),
    patch("remove-primary-type", ops({"op": "remove", "path": "/jcr:primaryType"})),
    patch("remove-uuid", ops({"op": "remove", "path": "/ref/jcr:uuid"})),
    patch("replace-uuid", ops({"op": "replace", "path": "/ref/jcr:uuid", "value": "x"})),
    patch("long-to-string", ops({"op": "replace", "path": "/count", "value": "many"}), ok=True),
    patch(
        "partial-then-fail",
        ops(
            {"op": "add", "path": "/new", "value": "1"},
            {"op": "remove", "path": "/a"},
            {"op": "remove", "path": "/nope"},
        ),
        status=404,
    ),
    patch("deep-body", "[" * 5000 + "]" * 5000, status=400),
    patch(
        "bad-utf8",
        '[{"op":"add","path":"/x","value":"\udcff"}]'.encode("utf-8", "surrogateescape"),
        status=400,
    ),
    patch("on-root-jcr-system", ops({"op": "remove", "path": "/jcr:system"}), path="/"),
    patch("on-jcr-system", ops({"op": "add", "path": "/x", "value": 1}), path="/jcr:system"),
    patch(
        "on-property", ops({"op": "add", "path": "/x", "value": 1}), path="/rt/title", status=404
    ),
    patch("on-selector", ops({"op": "add", "path": "/x", "value": 1}), path="/rt.json", status=404),
    Case("wrong-ctype", "PATCH", "/rt", "[]", {"Content-Type": "text/plain"}, status=415),
    Case("no-ctype", "PATCH", "/rt", b"[]", status=415),
    Case("form-ctype", "PATCH", "/rt", "a=1", FORM, status=415),
    Case("delete-root", "DELETE", "/"),
    Case("delete-jcr-system", "DELETE", "/jcr:system"),
    Case("delete-rt-json", "DELETE", "/rt.json", status=404),
    Case("delete-trailing", "DELETE", "/rt/", status=404),
    Case("delete-star", "DELETE", "/rt/*"),
    Case("delete-primary-type", "DELETE", "/rt/jcr:primaryType"),
    Case("delete-uuid", "DELETE", "/rt/ref/jcr:uuid"),
    Case("delete-mixins", "DELETE", "/rt/ref/jcr:mixinTypes"),
    Case("delete-missing", "DELETE", "/rt/nope", status=404),
]

# --- headers: If-Match, Authorization, cookies ------------------------------------------------
IF_MATCH = ["garbage", '""', '"abc"', "W/", ",,,", '"' + "9" * 4000 + '"', '"-1"', 'W/"x", "y"']
HEADER_CASES = [
    post(f"post-if-match {v[:20]}", "/rt", [("v", "1")], headers={"If-Match": v}, status=412)
    for v in IF_MATCH
]
HEADER_CASES += [
    Case(f"delete-if-match {v[:20]}", "DELETE", "/rt/a", headers={"If-Match": v}, status=412)
    for v in IF_MATCH
]
HEADER_CASES += [
    Case(f"patch-if-match {v[:20]}", "PATCH", "/rt", "[]", {**PATCH, "If-Match": v}, status=412)
    for v in IF_MATCH
]
HEADER_CASES += [
    post("post-if-none-match", "/rt", [("v", "1")], headers={"If-None-Match": "*"}, status=412),
    post("post-if-match-new", "/rt/new", [("v", "1")], headers={"If-Match": '"1"'}, status=412),
]
AUTHS: list[tuple[str, dict[str, str]]] = [
    ("not-base64", {"Authorization": "Basic !!!"}),
    ("empty-basic", {"Authorization": "Basic"}),
    ("basic-space", {"Authorization": "Basic "}),
    ("no-colon", basic(b"admin")),
    ("empty-user", basic(b":admin-secret")),
    ("not-utf8", basic(b"\xff\xfe:x")),
    ("wrong-password", basic(b"admin:wrong")),
    ("unknown-user", basic(b"nobody:x")),
    ("nul-user", basic(b"ad\x00min:admin-secret")),
    ("huge", {"Authorization": "Basic " + "QUFB" * 1500}),
    ("huge-user", basic(b"u" * 3000 + b":x")),
    ("three-parts", {"Authorization": "Basic a b c"}),
    ("bearer", {"Authorization": "Bearer abc"}),
    ("digest", {"Authorization": 'Digest username="admin"'}),
    ("scheme-only", {"Authorization": "   "}),
    ("cookie-garbage", {"Cookie": "login-token=garbage"}),
    ("cookie-huge", {"Cookie": "login-token=" + "x" * 4000}),
    ("cookie-dots", {"Cookie": "login-token=a.b.c.d.e"}),
    ("cookie-quoted", {"Cookie": 'login-token="\\x01\\x02"'}),
    ("cookie-b64", {"Cookie": "login-token=" + base64.b64encode(b"\xff" * 40).decode()}),
    ("cookie-junk", {"Cookie": ";;;=;=a;login-token"}),
]
for name, hdrs in AUTHS:
    HEADER_CASES.append(Case(f"auth-get {name}", "GET", "/rt.json", headers=hdrs, anonymous=True))
    HEADER_CASES.append(
        post(f"auth-post {name}", "/rt", [("v", "1")], headers=hdrs, anonymous=True)
    )
    HEADER_CASES.append(
        Case(f"auth-delete {name}", "DELETE", "/rt/a", headers=hdrs, anonymous=True)
    )

# --- security, system and replication endpoints -----------------------------------------------
UM = "/system/userManager"
MP_LOGIN_FILE, MP_LOGIN_HDR = multipart(
    [upload("j_username", "u.txt", b"admin"), field("j_password", b"admin-secret")]
)
SECURITY_CASES = [
    post("login-no-fields", "/j_security_check", [], anonymous=True),
    post("login-no-password", "/j_security_check", [("j_username", "admin")], anonymous=True),
    post(
        "login-wrong",
        "/j_security_check",
        [("j_username", "admin"), ("j_password", "x")],
        anonymous=True,
    ),
    post(
        "login-long-user",
        "/j_security_check",
        [("j_username", LONG), ("j_password", "x")],
        anonymous=True,
    ),
    post(
        "login-nul-user",
        "/j_security_check",
        b"j_username=ad%00min&j_password=x",
        headers=FORM,
        anonymous=True,
    ),
    post(
        "login-bad-utf8",
        "/j_security_check",
        b"j_username=%ff&j_password=x",
        headers=FORM,
        anonymous=True,
    ),
    post(
        "login-file-field", "/j_security_check", MP_LOGIN_FILE, headers=MP_LOGIN_HDR, anonymous=True
    ),
    post("login-bad-multipart", "/j_security_check", MP_BAD_SEP, headers=MP_HDR, anonymous=True),
    post(
        "login-no-boundary",
        "/j_security_check",
        b"--",
        headers={"Content-Type": "multipart/form-data"},
        anonymous=True,
    ),
    post("create-user-no-name", f"{UM}/user.create.json", [("pwd", "x"), ("pwdConfirm", "x")]),
    post(
        "create-user-empty-name",
        f"{UM}/user.create.json",
        [(":name", ""), ("pwd", "x"), ("pwdConfirm", "x")],
    ),
    post(
        "create-user-slash",
        f"{UM}/user.create.json",
        [(":name", "a/b"), ("pwd", "x"), ("pwdConfirm", "x")],
    ),
    post(
        "create-user-dotdot",
        f"{UM}/user.create.json",
        [(":name", ".."), ("pwd", "x"), ("pwdConfirm", "x")],
    ),
    post(
        "create-user-long",
        f"{UM}/user.create.json",
        [(":name", LONG), ("pwd", "x"), ("pwdConfirm", "x")],
    ),
    post(
        "create-user-nul", f"{UM}/user.create.json", b":name=a%00b&pwd=x&pwdConfirm=x", headers=FORM
    ),
    post(
        "create-user-pipe",
        f"{UM}/user.create.json",
        [(":name", "a|b"), ("pwd", "x"), ("pwdConfirm", "x")],
    ),
    post(
        "create-user-mismatch",
        f"{UM}/user.create.json",
        [(":name", "u1"), ("pwd", "x"), ("pwdConfirm", "y")],
    ),
    post("create-user-no-pwd", f"{UM}/user.create.json", [(":name", "u1")]),
    post(
        "create-user-exists",
        f"{UM}/user.create.json",
        [(":name", "admin"), ("pwd", "x"), ("pwdConfirm", "x")],
    ),
    post(
        "create-user-protected",
        f"{UM}/user.create.json",
        [(":name", "u1"), ("pwd", "x"), ("pwdConfirm", "x"), ("rep:password", "y")],
    ),
    post(
        "create-user-bad-prop",
        f"{UM}/user.create.json",
        [(":name", "u1"), ("pwd", "x"), ("pwdConfirm", "x"), ("a|b", "y")],
    ),
    post(
        "create-group-bad-member",
        f"{UM}/group.create.json",
        [(":name", "g1"), (":member", "nobody|x")],
    ),
    post("update-missing", f"{UM}/user/nobody.update.json", [("a", "b")], status=404),
    post("unknown-user-op", f"{UM}/user/admin.bogus.json", [("a", "b")], status=404),
    post("delete-admin", f"{UM}/user/admin.delete.json", []),
    post("delete-anonymous", f"{UM}/user/anonymous.delete.json", []),
    post(
        "change-pwd-mismatch",
        f"{UM}/user/admin.changePassword.json",
        [("newPwd", "a"), ("newPwdConfirm", "b")],
    ),
    post("change-pwd-missing", f"{UM}/user/admin.changePassword.json", []),
    post("update-protected", f"{UM}/user/admin.update.json", [("rep:password", "x")]),
    post("update-bad-name", f"{UM}/user/admin.update.json", [("a[1]", "x")]),
    post("user-post-bad-utf8", f"{UM}/user/%ff.update.json", [("a", "b")]),
    post("user-post-nul", f"{UM}/user/%00.update.json", [("a", "b")]),
    post("ace-no-principal", "/rt.modifyAce.json", [("privilege@jcr:read", "granted")]),
    post(
        "ace-unknown-principal",
        "/rt.modifyAce.json",
        [("principalId", "nobody"), ("privilege@jcr:read", "granted")],
    ),
    post(
        "ace-bogus-privilege",
        "/rt.modifyAce.json",
        [("principalId", "everyone"), ("privilege@jcr:bogus", "granted")],
    ),
    post(
        "ace-bogus-value",
        "/rt.modifyAce.json",
        [("principalId", "everyone"), ("privilege@jcr:read", "maybe")],
    ),
    post(
        "ace-missing-node",
        "/nope.modifyAce.json",
        [("principalId", "everyone"), ("privilege@jcr:read", "granted")],
    ),
    post(
        "ace-bad-path",
        "/rt/a|b.modifyAce.json",
        [("principalId", "everyone"), ("privilege@jcr:read", "granted")],
    ),
    post(
        "ace-bad-utf8-path",
        "/rt/%ff.modifyAce.json",
        [("principalId", "everyone"), ("privilege@jcr:read", "granted")],
    ),
    post(
        "ace-order-garbage",
        "/rt.modifyAce.json",
        [("principalId", "everyone"), ("privilege@jcr:read", "granted"), ("order", "zz")],
        ok=True,
    ),
    post(
        "ace-jcr-system",
        "/jcr:system.modifyAce.json",
        [("principalId", "everyone"), ("privilege@jcr:bogus", "granted")],
    ),
    post(
        "ace-file-principal",
        "/rt.modifyAce.json",
        MP_LOGIN_FILE.replace(b"j_username", b"principalId"),
        headers=MP_LOGIN_HDR,
    ),
    post("delete-ace-no-apply", "/rt.deleteAce.json", []),
    post("delete-ace-unknown", "/rt.deleteAce.json", [(":applyTo", "nobody|x")], ok=True),
    post("delete-ace-missing-node", "/nope.deleteAce.json", [(":applyTo", "everyone")]),
    post("cnd-garbage", "/system/nodetypes", "<<<>>> [[[", headers={"Content-Type": "text/plain"}),
    post("cnd-empty", "/system/nodetypes", "", headers={"Content-Type": "text/plain"}),
    post(
        "cnd-not-utf8", "/system/nodetypes", b"\xff\xfe[x]", headers={"Content-Type": "text/plain"}
    ),
    post(
        "cnd-unknown-super",
        "/system/nodetypes",
        "[x:y] > nt:nothing",
        headers={"Content-Type": "text/plain"},
    ),
    post(
        "cnd-unknown-prefix",
        "/system/nodetypes",
        "[zz:y] > nt:base",
        headers={"Content-Type": "text/plain"},
    ),
    post(
        "cnd-redefine-base",
        "/system/nodetypes",
        "[nt:base]\n- x (string)",
        headers={"Content-Type": "text/plain"},
    ),
    post(
        "cnd-bad-ns", "/system/nodetypes", "<a = ''>\n[a:b]", headers={"Content-Type": "text/plain"}
    ),
    post(
        "cnd-ns-rebind",
        "/system/nodetypes",
        "<jcr = 'http://evil'>\n[jcr:x]",
        headers={"Content-Type": "text/plain"},
    ),
    post(
        "cnd-self-super",
        "/system/nodetypes",
        "<r = 'http://r'>\n[r:a] > r:a",
        headers={"Content-Type": "text/plain"},
    ),
    post(
        "cnd-cycle",
        "/system/nodetypes",
        "<r = 'http://r'>\n[r:a] > r:b\n[r:b] > r:a",
        headers={"Content-Type": "text/plain"},
    ),
    post(
        "cnd-bad-prop-type",
        "/system/nodetypes",
        "<r = 'http://r'>\n[r:a]\n- p (bogus)",
        headers={"Content-Type": "text/plain"},
    ),
    post(
        "cnd-bad-default",
        "/system/nodetypes",
        "<r = 'http://r'>\n[r:a]\n- p (long) = 'x'",
        headers={"Content-Type": "text/plain"},
    ),
    post("cnd-form-no-field", "/system/nodetypes", [("other", "x")]),
    post(
        "cnd-deep-supers",
        "/system/nodetypes",
        "<r = 'http://r'>\n[r:a] > " + ", ".join(["nt:base"] * 3000),
        headers={"Content-Type": "text/plain"},
        ok=True,
    ),
    post("replicate-no-cmd", "/bin/replicate.json", [("path", "/rt")]),
    post("replicate-bad-cmd", "/bin/replicate.json", [("cmd", "Explode"), ("path", "/rt")]),
    post("replicate-no-path", "/bin/replicate.json", [("cmd", "Activate")]),
    post("replicate-bad-path", "/bin/replicate.json", [("cmd", "Activate"), ("path", "a|b")]),
    post("replicate-missing-path", "/bin/replicate.json", [("cmd", "Activate"), ("path", "/nope")]),
    post(
        "receive-garbage",
        "/bin/receive",
        b"\x00garbage",
        headers={"Content-Type": "application/octet-stream"},
    ),
    post("receive-json", "/bin/receive", b"{}", headers={"Content-Type": "application/json"}),
    Case("queue-missing", "GET", "/etc/replication/agents.author/nope.queue.json"),
    post(
        "queue-missing-post", "/etc/replication/agents.author/nope.queue.json", [("cmd", "clear")]
    ),
    post("queue-bad-agent-folder", "/etc/replication/agents.%ff/x.queue.json", [("cmd", "clear")]),
]


@pytest.mark.parametrize(
    "cases",
    [
        pytest.param(PATH_CASES, id="paths"),
        pytest.param(GET_CASES, id="get"),
        pytest.param(MODIFY_CASES, id="modify"),
        pytest.param(OPERATION_CASES, id="operations"),
        pytest.param(BODY_CASES, id="bodies"),
        pytest.param(PATCH_CASES, id="patch-delete"),
        pytest.param(HEADER_CASES, id="headers"),
        pytest.param(SECURITY_CASES, id="security"),
    ],
)
async def test_table(client: Client, tree: Snapshot, cases: list[Case]) -> None:
    assert len({c.id for c in cases}) == len(cases), "case ids must be unique"
    await run_table(client, cases)
