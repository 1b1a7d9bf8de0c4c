"""Sling's user manager over HTTP: create, update, change password, delete, read."""

from __future__ import annotations

import pytest

from .security_client import ADMIN, SecurityClient, assert_error, basic

CREATE_USER = "/system/userManager/user.create.json"
CREATE_GROUP = "/system/userManager/group.create.json"


async def test_admin_creates_a_user_who_can_then_log_in(http: SecurityClient) -> None:
    resp = await http.post(
        CREATE_USER,
        {":name": "alice", "pwd": "s3cret", "pwdConfirm": "s3cret", "email": "a@example.com"},
        ADMIN,
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["path"] == "/home/users/alice"
    assert body["location"] == "/system/userManager/user/alice"
    assert {"type": "created", "argument": "/home/users/alice"} in body["changes"]
    resp = await http.get("/system/userManager/user/alice.json", basic("alice", "s3cret"))
    assert resp.status == 200
    assert (await resp.json())["email"] == "a@example.com"


async def test_the_html_variant_answers_html(http: SecurityClient) -> None:
    resp = await http.post(
        "/system/userManager/user.create.html",
        {":name": "hal", "pwd": "x", "pwdConfirm": "x"},
        ADMIN,
    )
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert 'id="Status">200<' in await resp.text()


async def test_no_response_or_rendering_ever_contains_the_password_hash(
    http: SecurityClient,
) -> None:
    await http.create_user("alice", "s3cret")
    for path in (
        "/system/userManager/user/alice.json",
        "/home/users/alice.json",
        "/home/users/alice.infinity.json",
        "/home.infinity.json",
    ):
        resp = await http.get(path, ADMIN)
        assert resp.status == 200, path
        text = await resp.text()
        assert "scrypt" not in text
        assert "s3cret" not in text
        assert "rep:password" not in text
    stored = await http.manager.password_hash("alice")
    assert stored is not None
    assert stored.startswith("$scrypt$ln=14,r=8,p=1$")


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        ({"pwd": "x", "pwdConfirm": "x"}, 400, "missing-field"),
        ({":name": "bob", "pwdConfirm": "x"}, 400, "missing-field"),
        ({":name": "bob", "pwd": "x", "pwdConfirm": "y"}, 400, "password-mismatch"),
        ({":name": "bob", "pwd": "x"}, 400, "password-mismatch"),
        ({":name": "../evil", "pwd": "x", "pwdConfirm": "x"}, 400, "invalid-authorizable-id"),
        ({":name": "a b", "pwd": "x", "pwdConfirm": "x"}, 400, "invalid-authorizable-id"),
        ({":name": "everyone", "pwd": "x", "pwdConfirm": "x"}, 400, "invalid-authorizable-id"),
        ({":name": "admin", "pwd": "x", "pwdConfirm": "x"}, 409, "authorizable-exists"),
        ({":name": "authors", "pwd": "x", "pwdConfirm": "x"}, 409, "authorizable-exists"),
        (
            {":name": "bob", "pwd": "x", "pwdConfirm": "x", "rep:password": "x"},
            400,
            "protected-item",
        ),
        ({":name": "bob", "pwd": "x", "pwdConfirm": "x", "bad/name": "x"}, 400, "invalid-name"),
    ],
)
async def test_bad_user_creation_is_a_clear_error_and_writes_nothing(
    http: SecurityClient, form: dict[str, str], status: int, code: str
) -> None:
    head = http.head
    resp = await http.post(CREATE_USER, form, ADMIN)
    await assert_error(resp, status, code)
    assert http.head == head
    assert await http.manager.password_hash("bob") is None


async def test_only_administrators_manage_users(http: SecurityClient) -> None:
    alice = await http.create_user("alice", "pw", ("authors",))
    head = http.head
    resp = await http.post(CREATE_USER, {":name": "x", "pwd": "p", "pwdConfirm": "p"}, alice)
    await assert_error(resp, 403, "admin-required")
    resp = await http.post(CREATE_GROUP, {":name": "g"}, alice)
    await assert_error(resp, 403, "admin-required")
    resp = await http.post("/system/userManager/group/authors.update.json", {":member": "x"}, alice)
    await assert_error(resp, 404, "authorizable-not-found")
    resp = await http.post("/system/userManager/user/admin.delete.json", {}, alice)
    await assert_error(resp, 404, "authorizable-not-found")
    resp = await http.post("/system/userManager/user/alice.delete.json", {}, alice)
    await assert_error(resp, 403, "admin-required")
    assert http.head == head


async def test_a_group_with_members_shows_them_and_their_memberships(
    http: SecurityClient,
) -> None:
    await http.create_user("alice", "pw")
    resp = await http.post(CREATE_GROUP, {":name": "editors", ":member": "alice"}, ADMIN)
    assert resp.status == 200
    resp = await http.post(
        "/system/userManager/group/authors.update.json", {":member": "../group/editors"}, ADMIN
    )
    assert resp.status == 200
    group = await (await http.get("/system/userManager/group/editors.json", ADMIN)).json()
    assert group["declaredMembers"] == ["/system/userManager/user/alice"]
    assert group["memberOf"] == ["/system/userManager/group/authors"]
    user = await (await http.get("/system/userManager/user/alice.json", ADMIN)).json()
    assert user["declaredMemberOf"] == ["/system/userManager/group/editors"]
    assert user["memberOf"] == [
        "/system/userManager/group/authors",
        "/system/userManager/group/editors",
    ]
    policy = await http.manager.policy_for("alice")
    assert policy.can_write("/content")


async def test_members_are_removed_with_member_delete(http: SecurityClient) -> None:
    alice = await http.create_user("alice", "pw", ("authors",))
    assert (await http.manager.policy_for("alice")).can_write("/content")
    resp = await http.post(
        "/system/userManager/group/authors.update.json", {":member@Delete": "alice"}, ADMIN
    )
    assert resp.status == 200
    assert not (await http.manager.policy_for("alice")).can_write("/content")
    resp = await http.get("/system/userManager/user/alice.json", alice)
    assert (await resp.json())["memberOf"] == []


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({":member": "nobody"}, "unknown-principal"),
        ({":member": "authors"}, "cyclic-membership"),
    ],
)
async def test_bad_membership_changes_are_refused_and_write_nothing(
    http: SecurityClient, form: dict[str, str], code: str
) -> None:
    head = http.head
    resp = await http.post("/system/userManager/group/authors.update.json", form, ADMIN)
    await assert_error(resp, 400, code)
    assert http.head == head


async def test_a_cycle_through_nested_groups_is_refused(http: SecurityClient) -> None:
    resp = await http.post(CREATE_GROUP, {":name": "inner", ":member": "authors"}, ADMIN)
    assert resp.status == 200
    resp = await http.post(
        "/system/userManager/group/authors.update.json", {":member": "inner"}, ADMIN
    )
    await assert_error(resp, 400, "cyclic-membership")


async def test_creating_a_group_twice_is_409(http: SecurityClient) -> None:
    resp = await http.post(CREATE_GROUP, {":name": "authors"}, ADMIN)
    await assert_error(resp, 409, "authorizable-exists")
    resp = await http.post(CREATE_GROUP, {}, ADMIN)
    await assert_error(resp, 400, "missing-field")


async def test_user_properties_are_updated_and_deleted(http: SecurityClient) -> None:
    alice = await http.create_user("alice", "pw")
    resp = await http.post(
        "/system/userManager/user/alice.update.json", {"city": "Basel", "tags": ["a", "b"]}, alice
    )
    assert resp.status == 200
    body = await (await http.get("/system/userManager/user/alice.json", alice)).json()
    assert body["city"] == "Basel"
    assert body["tags"] == ["a", "b"]
    resp = await http.post("/system/userManager/user/alice.update.json", {"city@Delete": ""}, ADMIN)
    assert resp.status == 200
    body = await (await http.get("/system/userManager/user/alice.json", alice)).json()
    assert "city" not in body


async def test_admin_changes_a_password_without_the_old_one(http: SecurityClient) -> None:
    await http.create_user("alice", "old")
    resp = await http.post(
        "/system/userManager/user/alice.changePassword.json",
        {"newPwd": "new", "newPwdConfirm": "new"},
        ADMIN,
    )
    assert resp.status == 200
    resp = await http.get("/system/userManager/user/alice.json", basic("alice", "old"))
    await assert_error(resp, 401, "invalid-credentials")
    resp = await http.get("/system/userManager/user/alice.json", basic("alice", "new"))
    assert resp.status == 200


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        ({"oldPwd": "wrong", "newPwd": "n", "newPwdConfirm": "n"}, 401, "invalid-credentials"),
        ({"newPwd": "n", "newPwdConfirm": "n"}, 400, "missing-field"),
        ({"oldPwd": "old", "newPwd": "n", "newPwdConfirm": "m"}, 400, "password-mismatch"),
        ({"oldPwd": "old", "newPwdConfirm": "m"}, 400, "missing-field"),
    ],
)
async def test_a_user_changing_their_own_password_must_get_everything_right(
    http: SecurityClient, form: dict[str, str], status: int, code: str
) -> None:
    alice = await http.create_user("alice", "old")
    before = await http.manager.password_hash("alice")
    resp = await http.post("/system/userManager/user/alice.changePassword.json", form, alice)
    await assert_error(resp, status, code)
    assert await http.manager.password_hash("alice") == before


async def test_nobody_but_admin_changes_another_users_password(http: SecurityClient) -> None:
    await http.create_user("alice", "pw")
    bob = await http.create_user("bob", "pw")
    resp = await http.post(
        "/system/userManager/user/alice.changePassword.json",
        {"oldPwd": "pw", "newPwd": "n", "newPwdConfirm": "n"},
        bob,
    )
    await assert_error(resp, 404, "authorizable-not-found")


async def test_deleting_a_user_ends_its_login_and_memberships(http: SecurityClient) -> None:
    alice = await http.create_user("alice", "pw", ("authors",))
    resp = await http.post("/system/userManager/user/alice.delete.json", {}, ADMIN)
    assert resp.status == 200
    resp = await http.get("/system/health", alice)
    await assert_error(resp, 401, "invalid-credentials")
    group = await (await http.get("/system/userManager/group/authors.json", ADMIN)).json()
    assert group["declaredMembers"] == []
    assert await http.manager.password_hash("alice") is None


async def test_deleting_a_group_and_a_missing_account(http: SecurityClient) -> None:
    resp = await http.post(CREATE_GROUP, {":name": "temp"}, ADMIN)
    assert resp.status == 200
    resp = await http.post("/system/userManager/group/temp.delete.json", {}, ADMIN)
    assert resp.status == 200
    resp = await http.get("/system/userManager/group/temp.json", ADMIN)
    await assert_error(resp, 404, "authorizable-not-found")
    resp = await http.post("/system/userManager/user/ghost.delete.json", {}, ADMIN)
    await assert_error(resp, 404, "authorizable-not-found")


@pytest.mark.parametrize("name", ["admin", "anonymous"])
async def test_built_in_users_cannot_be_deleted(http: SecurityClient, name: str) -> None:
    resp = await http.post(f"/system/userManager/user/{name}.delete.json", {}, ADMIN)
    await assert_error(resp, 403, "protected-authorizable")


async def test_a_user_sees_only_their_own_account(http: SecurityClient) -> None:
    alice = await http.create_user("alice", "pw", ("authors",))
    await http.create_user("bob", "pw")
    resp = await http.get("/system/userManager/user/bob.json", alice)
    await assert_error(resp, 404, "authorizable-not-found")
    resp = await http.get("/system/userManager/group/authors.json", alice)
    await assert_error(resp, 404, "authorizable-not-found")
    resp = await http.get("/system/userManager/user/alice.json", alice)
    assert resp.status == 200


async def test_ids_with_dots_and_unknown_extensions(http: SecurityClient) -> None:
    await http.create_user("john.doe", "pw")
    resp = await http.get("/system/userManager/user/john.doe.json", ADMIN)
    assert (await resp.json())["principalName"] == "john.doe"
    resp = await http.get("/system/userManager/user/john.doe.xml", ADMIN)
    await assert_error(resp, 404, "authorizable-not-found")
