"""The login form: POST /j_security_check, the login-token cookie, logout."""

from __future__ import annotations

import base64

import pytest

from repo_server.security.tokens import COOKIE_NAME, LoginTokens

from .security_client import SecurityClient, assert_error


async def login(http: SecurityClient, user: str, password: str, **extra: str) -> str:
    resp = await http.post(
        "/j_security_check",
        {"j_username": user, "j_password": password, **extra},
        allow_redirects=False,
    )
    assert resp.status in (200, 302), await resp.text()
    return resp.headers["Set-Cookie"]


async def test_a_successful_login_sets_an_httponly_samesite_cookie(http: SecurityClient) -> None:
    resp = await http.post(
        "/j_security_check", {"j_username": "admin", "j_password": "admin-secret"}
    )
    assert resp.status == 200
    assert (await resp.json())["user"] == "admin"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/" in cookie


async def test_the_cookie_authenticates_later_requests(http: SecurityClient) -> None:
    await http.create_user("alice", "pw1")
    await login(http, "alice", "pw1")
    resp = await http.get("/system/userManager/user/alice.json")
    assert resp.status == 200


async def test_a_tampered_cookie_is_401_and_cleared(http: SecurityClient) -> None:
    await http.create_user("alice", "pw1")
    await login(http, "alice", "pw1")
    cookie = http.client.session.cookie_jar.filter_cookies(http.client.make_url("/"))[COOKIE_NAME]
    payload, mac = cookie.value.split(".")
    forged = LoginTokens.claims(cookie.value)
    assert forged is not None

    admin_payload = base64.urlsafe_b64encode(f"admin|{forged.expires}|00".encode()).decode()
    http.client.session.cookie_jar.clear()
    for bad in (f"{admin_payload.rstrip('=')}.{mac}", f"{payload}.{mac[:-2]}AA", "garbage"):
        resp = await http.get(
            "/system/userManager/user/admin.json", headers={"Cookie": f"{COOKIE_NAME}={bad}"}
        )
        await assert_error(resp, 401, "invalid-login-token")
        assert f"{COOKIE_NAME}=" in resp.headers["Set-Cookie"]
        assert "Max-Age=0" in resp.headers["Set-Cookie"]


async def test_an_expired_token_does_not_verify() -> None:
    tokens = LoginTokens(b"s" * 32, lifetime_s=10)
    token = tokens.issue("alice", "$scrypt$hash", now=1000.0)
    assert tokens.verify(token, "$scrypt$hash", now=1005.0)
    assert not tokens.verify(token, "$scrypt$hash", now=1011.0)
    assert not tokens.verify(token, "$scrypt$other-hash", now=1005.0)
    assert not LoginTokens(b"t" * 32).verify(token, "$scrypt$hash", now=1005.0)


async def test_a_stale_cookie_does_not_block_the_login_page(http: SecurityClient) -> None:
    resp = await http.get("/system/sling/form/login", headers={"Cookie": f"{COOKIE_NAME}=garbage"})
    assert resp.status == 200
    assert "j_security_check" in await resp.text()


async def test_wrong_credentials_are_401_with_a_json_body_and_no_cookie(
    http: SecurityClient,
) -> None:
    resp = await http.post("/j_security_check", {"j_username": "admin", "j_password": "x"})
    await assert_error(resp, 401, "invalid-credentials")
    assert "Set-Cookie" not in resp.headers


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"j_username": "admin"},
        {"j_password": "admin-secret"},
        {"j_username": "", "j_password": "x"},
    ],
)
async def test_missing_login_fields_are_400_missing_field(
    http: SecurityClient, form: dict[str, str]
) -> None:
    resp = await http.post("/j_security_check", form)
    await assert_error(resp, 400, "missing-field")


async def test_login_redirects_to_a_same_site_resource(http: SecurityClient) -> None:
    resp = await http.post(
        "/j_security_check",
        {"j_username": "admin", "j_password": "admin-secret", "resource": "/content.html"},
        allow_redirects=False,
    )
    assert resp.status == 302
    assert resp.headers["Location"] == "/content.html"
    assert COOKIE_NAME in resp.headers["Set-Cookie"]


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
async def test_login_never_redirects_off_site(http: SecurityClient, target: str) -> None:
    resp = await http.post(
        "/j_security_check",
        {"j_username": "admin", "j_password": "admin-secret", "resource": target},
        allow_redirects=False,
    )
    assert resp.status == 200
    assert "Location" not in resp.headers


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_logout_clears_the_cookie(http: SecurityClient, method: str) -> None:
    await login(http, "admin", "admin-secret")
    resp = await http.client.request(method, "/system/sling/logout")
    assert resp.status == 200
    assert "Max-Age=0" in resp.headers["Set-Cookie"]
    resp = await http.get("/system/userManager/user/admin.json")
    await assert_error(resp, 401, "unauthorized")


async def test_changing_the_password_ends_existing_login_tokens(http: SecurityClient) -> None:
    await http.create_user("alice", "pw1")
    await login(http, "alice", "pw1")
    resp = await http.post(
        "/system/userManager/user/alice.changePassword.json",
        {"oldPwd": "pw1", "newPwd": "pw2", "newPwdConfirm": "pw2"},
    )
    assert resp.status == 200
    resp = await http.get("/system/userManager/user/alice.json")
    await assert_error(resp, 401, "invalid-login-token")
