"""HTTP Basic authentication and the author instance's refusal of anonymous requests."""

from __future__ import annotations

import base64

import pytest

from .security_client import ADMIN, SecurityClient, assert_error, basic


async def test_anonymous_requests_on_author_get_401_with_www_authenticate(
    http: SecurityClient,
) -> None:
    resp = await http.get("/content.json")
    await assert_error(resp, 401, "unauthorized")
    assert resp.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "path", ["/system/health", "/system/sling/form/login", "/libs/granite/core/content/login.html"]
)
async def test_health_and_login_pages_need_no_login_on_author(
    http: SecurityClient, path: str
) -> None:
    resp = await http.get(path)
    assert resp.status == 200


async def test_admin_basic_credentials_are_accepted(http: SecurityClient) -> None:
    resp = await http.get("/system/userManager/user/admin.json", ADMIN)
    assert resp.status == 200
    assert (await resp.json())["principalName"] == "admin"


async def test_a_wrong_password_is_401_invalid_credentials(http: SecurityClient) -> None:
    resp = await http.get("/system/userManager/user/admin.json", basic("admin", "nope"))
    await assert_error(resp, 401, "invalid-credentials")
    assert "WWW-Authenticate" in resp.headers


async def test_an_unknown_user_is_401_invalid_credentials(http: SecurityClient) -> None:
    resp = await http.get("/system/health", basic("mallory", "admin-secret"))
    await assert_error(resp, 401, "invalid-credentials")


async def test_the_anonymous_account_cannot_log_in(http: SecurityClient) -> None:
    resp = await http.get("/system/health", basic("anonymous", ""))
    await assert_error(resp, 401, "invalid-credentials")
    resp = await http.get("/system/health", basic("anonymous", "anything"))
    await assert_error(resp, 401, "invalid-credentials")


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":empty-user").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic",
    ],
)
async def test_a_malformed_basic_header_is_401_malformed_credentials(
    http: SecurityClient, header: str
) -> None:
    resp = await http.get("/content.json", {"Authorization": header})
    await assert_error(resp, 401, "malformed-credentials")


async def test_another_authorization_scheme_counts_as_anonymous(http: SecurityClient) -> None:
    resp = await http.get("/content.json", {"Authorization": "Bearer abc"})
    await assert_error(resp, 401, "unauthorized")


async def test_a_password_with_colons_and_unicode_works(http: SecurityClient) -> None:
    auth = await http.create_user("zoe", "pa:ss:wörd")
    resp = await http.get("/system/userManager/user/zoe.json", auth)
    assert resp.status == 200


async def test_repeated_basic_requests_reuse_the_verified_password(
    http: SecurityClient,
) -> None:
    for _ in range(3):
        resp = await http.get("/system/userManager/user/admin.json", ADMIN)
        assert resp.status == 200
    assert len(http.manager._verified) == 1


async def test_a_disabled_user_cannot_log_in(http: SecurityClient) -> None:
    auth = await http.create_user("dan", "pw")
    session = http.repository.session("admin")
    await session.set_property("/home/users/dan", "rep:disabled", "left the company")
    await session.save()
    resp = await http.get("/system/userManager/user/dan.json", auth)
    await assert_error(resp, 401, "invalid-credentials")


async def test_a_user_node_removed_as_content_takes_the_login_with_it(
    http: SecurityClient,
) -> None:
    auth = await http.create_user("eve", "pw")
    session = http.repository.session("admin")
    await session.remove("/home/users/eve")
    await session.save()
    await http.repository.store.drain_listeners()
    resp = await http.get("/system/health", auth)
    await assert_error(resp, 401, "invalid-credentials")
    assert await http.manager.password_hash("eve") is None


async def test_publish_serves_anonymous_requests_as_the_anonymous_user(
    publish: SecurityClient,
) -> None:
    resp = await publish.get("/system/userManager/user/anonymous.json")
    await assert_error(resp, 404, "authorizable-not-found")
    resp = await publish.get("/system/version")
    assert resp.status == 200
