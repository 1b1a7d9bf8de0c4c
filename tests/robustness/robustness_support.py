"""Helpers of the robustness suite: snapshots of stored content and the clean-rejection check.

A request with bad input must be answered with a 4xx (or one of the 500s that sling-http §3.13
demands) whose body is JSON or HTML carrying a stable error code and no traceback, and it must
leave the stored content exactly as it was: the store's head revision and the rendering of the
test tree are compared before and after.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from yarl import URL

from repo_server.http.keys import repository_key

from ..http_support import Client as Client

ADMIN_PASSWORD: Final = "admin-secret"
TREE: Final = "/rt"

# The 500s sling-http §3.13 demands of the POST servlet; every other 5xx is a bug.
SLING_500_CODES: Final = frozenset(
    {
        "unknown-operation",
        "missing-destination",
        "destination-not-folder",
        "invalid-order",
        "name-in-use",
    }
)
_CODE: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HTML_CODE: Final = re.compile(r'id="Code">([^<]*)<')

# A small tree: ordered children, typed properties, a multi-value, a referenceable node, a file.
TREE_CONTENT: Final[dict[str, Any]] = {
    "jcr:primaryType": "nt:unstructured",
    "title": "Robust",
    "count": 42,
    "ratio": 2.5,
    "flag": True,
    "tags": ["a", "b", "c"],
    "a": {"jcr:primaryType": "nt:unstructured", "x": "1", "deep": {"y": "2"}},
    "b": {"jcr:primaryType": "nt:unstructured", "x": "2"},
    "c": {"jcr:primaryType": "nt:unstructured"},
    "d": {"jcr:primaryType": "nt:unstructured"},
    "ref": {"jcr:primaryType": "nt:unstructured", "jcr:mixinTypes": ["mix:referenceable"]},
    "folder": {"jcr:primaryType": "sling:Folder"},
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What must not change: the head revision, the tree's and the root's renderings."""

    head: int
    tree: bytes
    root: bytes


async def snapshot(client: Client) -> Snapshot:
    app = client.app
    assert app is not None
    head = app[repository_key].store.head
    tree = await client.get(f"{TREE}.infinity.json")
    assert tree.status == 200, await tree.text()
    root = await client.get("/.1.json")
    assert root.status == 200, await root.text()
    return Snapshot(head, await tree.read(), await root.read())


def error_code(resp: aiohttp.ClientResponse, body: bytes) -> str | None:
    """The stable error code of a JSON or HTML error body, or None when there is none."""
    ctype = resp.content_type
    text = body.decode("utf-8", "replace")
    if ctype == "application/json":
        data = json.loads(text)
        code = data.get("code") if isinstance(data, dict) else None
        return code if isinstance(code, str) else None
    if ctype == "text/html":
        found = _HTML_CODE.search(text)
        return found.group(1) if found else None
    return None


async def assert_clean_error(resp: aiohttp.ClientResponse, context: object = "") -> str:
    """A 4xx (or a Sling-mandated 500) with a JSON/HTML body naming a stable code."""
    body = await resp.read()
    where = f"{resp.method} {str(resp.url)[:200]} {str(context)[:300]}"
    assert b"Traceback" not in body, f"traceback in the body of {where}"
    code = error_code(resp, body)
    assert code is not None, (
        f"no error code in {resp.status} {resp.content_type} {where}: {body[:300]!r}"
    )
    assert _CODE.match(code), f"unstable code {code!r} for {where}"
    if resp.status >= 500:
        assert code in SLING_500_CODES, f"{resp.status} {code} for {where}: {body[:300]!r}"
    else:
        assert 400 <= resp.status < 500, f"{resp.status} for {where}: {body[:300]!r}"
    return code


async def assert_unchanged(client: Client, before: Snapshot, context: object = "") -> None:
    after = await snapshot(client)
    assert after.head == before.head, f"a commit happened: {str(context)[:300]}"
    assert after.tree == before.tree, f"the tree changed: {str(context)[:300]}"
    assert after.root == before.root, f"the root changed: {str(context)[:300]}"


async def assert_rejected(
    client: Client, before: Snapshot, resp: aiohttp.ClientResponse, context: object = ""
) -> str:
    """Clean error and nothing stored; returns the error code."""
    code = await assert_clean_error(resp, context)
    await assert_unchanged(client, before, context)
    return code


async def assert_robust(
    client: Client, before: Snapshot, resp: aiohttp.ClientResponse, context: object = ""
) -> None:
    """For generated input that may be valid: never a bug-500, and an error changes nothing."""
    if resp.status >= 400:
        await assert_rejected(client, before, resp, context)
    else:
        body = await resp.read()
        assert b"Traceback" not in body, context


# --- the table runner -------------------------------------------------------------------------
Fields = list[tuple[str, str]]


@dataclass(frozen=True)
class Case:
    """One request. `ok=True`: the input may be valid (then only no bug-500 and, on error, no
    change is asserted). `status`/`code`: what the spec fixes, when it does."""

    id: str
    method: str
    path: str
    data: Fields | bytes | str | None = None
    headers: dict[str, str] | None = None
    status: int | None = None
    code: str | None = None
    ok: bool = False
    anonymous: bool = False


def url_of(client: Client, path: str) -> URL:
    """The path sent exactly as written (already percent-encoded)."""
    return URL(str(client.make_url("/")).rstrip("/") + path, encoded=True)


async def send(client: Client, case: Case) -> aiohttp.ClientResponse:
    headers = dict(case.headers or {})
    if case.method == "POST":
        headers.setdefault("Accept", "application/json")
    url = url_of(client, case.path)
    if case.anonymous:
        async with aiohttp.ClientSession() as anon:
            resp = await anon.request(
                case.method, url, data=case.data, headers=headers, allow_redirects=False
            )
            await resp.read()
            return resp
    return await client.session.request(
        case.method, url, data=case.data, headers=headers, allow_redirects=False
    )


async def check_case(client: Client, case: Case) -> None:
    before = await snapshot(client)
    resp = await send(client, case)
    if case.ok:
        await assert_robust(client, before, resp, case)
        return
    code = await assert_rejected(client, before, resp, case)
    if case.status is not None:
        assert resp.status == case.status, f"{resp.status} {code}, wanted {case.status}"
    if case.code is not None:
        assert code == case.code, f"{resp.status} {code}, wanted {case.code}"


async def run_table(client: Client, cases: Sequence[Case]) -> None:
    """Every case against one app; all failures are reported together, by case id."""
    failures: list[str] = []
    for case in cases:
        try:
            await check_case(client, case)
        except AssertionError as exc:
            failures.append(f"{case.id}: {str(exc)[:600]}")
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures)
