"""Persistence hooks (spec §6): headers, ranked resolution, pre/post semantics, rollback."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from commerce.engine.service.hooks import HookContext, PersistItem

PRODUCTS = "InboundProduct/Products"


@pytest.fixture(scope="module")
def calls() -> list[str]:
    return []


@pytest.fixture(autouse=True)
def hooks(engine_server: Any, calls: list[str]) -> None:
    registry = engine_server.engine.hooks

    def rename(item: PersistItem, ctx: HookContext) -> PersistItem:
        calls.append(f"pre:{item.integration_key}:{ctx.user}:{ctx.content_language}")
        item.payload["name"] = "renamed by hook"
        return item

    def skip(item: PersistItem, ctx: HookContext) -> None:
        del ctx
        calls.append(f"skip:{item.integration_key}")

    def boom(item: PersistItem, ctx: HookContext) -> None:
        del item, ctx
        raise RuntimeError("boom")

    async def record(item: PersistItem, ctx: HookContext) -> None:
        row = await ctx.connection.fetchone("SELECT 1")
        calls.append(f"post:{item.integration_key}:{item.pk is not None}:{row == (1,)}")

    registry.register_pre("renameHook", rename)
    registry.register_pre("skipHook", skip)
    registry.register_pre("failingPre", boom)
    registry.register_post("recordHook", record)
    registry.register_post("failingPost", boom)


def _url(odata_url: str, code: str, catalog: str = "Hooks") -> str:
    return f"{odata_url}/{PRODUCTS}('Staged%7C{catalog}%7C{code}')"


def test_pre_hook_may_change_the_item_and_post_hook_sees_the_saved_one(
    http: requests.Session, odata_url: str, make_product: Any, calls: list[str]
) -> None:
    r = http.post(
        f"{odata_url}/{PRODUCTS}",
        json=make_product("h1", catalog="Hooks", name="original"),
        headers={"Pre-Persist-Hook": "renameHook", "Post-Persist-Hook": "bean://recordHook"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["d"]["name"] == "renamed by hook"
    assert "pre:Staged|Hooks|h1:admin:en" in calls
    assert "post:Staged|Hooks|h1:True:True" in calls


def test_empty_hook_header_is_ignored(
    http: requests.Session, odata_url: str, make_product: Any
) -> None:
    r = http.post(
        f"{odata_url}/{PRODUCTS}",
        json=make_product("h2", catalog="Hooks"),
        headers={"Pre-Persist-Hook": "", "Post-Persist-Hook": ""},
    )
    assert r.status_code == 201, r.text


def test_pre_hook_returning_none_persists_nothing(
    http: requests.Session, odata_url: str, make_product: Any, calls: list[str]
) -> None:
    r = http.post(
        f"{odata_url}/{PRODUCTS}",
        json=make_product("h3", catalog="HooksSkip"),
        headers={"Pre-Persist-Hook": "skipHook", "Post-Persist-Hook": "recordHook"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["d"]["integrationKey"] == "Staged|HooksSkip|h3"
    assert "skip:Staged|HooksSkip|h3" in calls
    assert not any(c.startswith("post:Staged|HooksSkip") for c in calls)
    assert http.get(_url(odata_url, "h3", "HooksSkip")).status_code == 404
    assert http.get(f"{odata_url}/InboundProduct/Catalogs('HooksSkip')").status_code == 404


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Pre-Persist-Hook": "noSuchHook"}, "hook_not_found"),
        ({"Post-Persist-Hook": "noSuchHook"}, "hook_not_found"),
        ({"Pre-Persist-Hook": "dest://remote"}, "hook_not_found"),
        ({"Pre-Persist-Hook": "failingPre"}, "pre_persist_error"),
        ({"Post-Persist-Hook": "failingPost"}, "post_persist_error"),
        ({"Pre-Persist-Hook": "renameHook, skipHook"}, "invalid_hook_header"),
    ],
)
def test_hook_errors_roll_back(
    http: requests.Session,
    odata_url: str,
    make_product: Any,
    assert_error: Any,
    headers: dict[str, str],
    code: str,
) -> None:
    r = http.post(
        f"{odata_url}/{PRODUCTS}", json=make_product("h4", catalog="HooksFail"), headers=headers
    )
    err = assert_error(r, 400, code)
    if code == "hook_not_found":
        assert "does not exist. Payload will not be persisted." in err["message"]["value"]
    if code.endswith("persist_error"):
        assert "Staged|HooksFail|h4" in err["message"]["value"]
    assert http.get(_url(odata_url, "h4", "HooksFail")).status_code == 404
    assert http.get(f"{odata_url}/InboundProduct/Catalogs('HooksFail')").status_code == 404


def test_repeated_hook_header_is_refused(
    odata_url: str, engine_server: Any, make_product: Any, assert_error: Any
) -> None:
    import http.client
    import json

    conn = http.client.HTTPConnection("127.0.0.1", engine_server.port, timeout=10)
    body = json.dumps(make_product("h5", catalog="HooksTwice"))
    conn.putrequest("POST", "/odata2webservices/InboundProduct/Products")
    for name, value in [
        ("Authorization", requests.auth._basic_auth_str("admin", "admin-secret")),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Pre-Persist-Hook", "renameHook"),
        ("Pre-Persist-Hook", "skipHook"),
    ]:
        conn.putheader(name, value)
    conn.endheaders(body.encode())
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    assert response.status == 400
    assert payload["error"]["code"] == "invalid_hook_header"


def test_hooks_apply_to_patch(http: requests.Session, odata_url: str, make_product: Any) -> None:
    assert http.post(f"{odata_url}/{PRODUCTS}", json=make_product("h6", catalog="Hooks")).ok
    r = http.patch(
        _url(odata_url, "h6"), json={"name": "patched"}, headers={"Pre-Persist-Hook": "renameHook"}
    )
    assert r.status_code == 204, r.text
    assert http.get(_url(odata_url, "h6")).json()["d"]["name"] == "renamed by hook"
