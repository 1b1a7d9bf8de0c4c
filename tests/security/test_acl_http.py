"""Editing and reading ACLs over HTTP: .modifyAce, .deleteAce, :operation, .acl/.eacl.json."""

from __future__ import annotations

import pytest

from .security_client import ADMIN, SecurityClient, assert_error


@pytest.fixture
async def site(http: SecurityClient) -> SecurityClient:
    s = http.repository.session("admin")
    await s.add_node("/content/site", "nt:unstructured", properties={"title": "Site"})
    await s.add_node("/content/site/page", "nt:unstructured")
    await s.save()
    return http


async def test_admin_grants_and_denies_privileges(site: SecurityClient) -> None:
    bob = await site.create_user("bob", "pw")
    resp = await site.post(
        "/content/site.modifyAce.json",
        {"principalId": "bob", "privilege@jcr:read": "denied", "privilege@rep:write": "granted"},
        ADMIN,
    )
    assert resp.status == 200
    body = await resp.json()
    assert {"type": "created", "argument": "/content/site/rep:policy"} in body["changes"]
    acl = await (await site.get("/content/site.acl.json", ADMIN)).json()
    assert acl["bob"]["granted"] == ["rep:write"]
    assert acl["bob"]["denied"] == ["jcr:read"]
    assert acl["bob"]["privileges"] == {"rep:write": {"allow": True}, "jcr:read": {"deny": True}}
    resp = await site.get("/content/site.json", bob)
    await assert_error(resp, 404, "node-not-found")
    resp = await site.get("/content.json", bob)
    assert resp.status == 200


async def test_a_second_modify_merges_into_the_principals_entries(site: SecurityClient) -> None:
    await site.create_user("bob", "pw")
    for form in (
        {"principalId": "bob", "privilege@jcr:read": "granted"},
        {"principalId": "bob", "privilege@rep:write": "granted"},
        {"principalId": "bob", "privilege@jcr:read": "none"},
    ):
        resp = await site.post("/content/site.modifyAce.json", form, ADMIN)
        assert resp.status == 200
    acl = await (await site.get("/content/site.acl.json", ADMIN)).json()
    assert acl == {
        "bob": {
            "principal": "bob",
            "granted": ["rep:write"],
            "denied": [],
            "order": 0,
            "privileges": {"rep:write": {"allow": True}},
        }
    }
    policy = site.repository.session("admin")
    assert len(await policy.child_names("/content/site/rep:policy")) == 1


async def test_the_effective_acl_includes_inherited_entries(site: SecurityClient) -> None:
    await site.create_user("bob", "pw")
    await site.post(
        "/content/site/page.modifyAce.json",
        {"principalId": "bob", "privilege@jcr:all": "granted"},
        ADMIN,
    )
    eacl = await (await site.get("/content/site/page.eacl.json", ADMIN)).json()
    assert eacl["bob"]["granted"] == ["jcr:all"]
    assert eacl["bob"]["declaredAt"] == ["/content/site/page"]
    assert eacl["authors"]["granted"] == ["rep:write", "jcr:read"]
    assert eacl["authors"]["declaredAt"] == ["/content"]
    assert eacl["everyone"]["granted"] == ["jcr:read"]
    root = await (await site.get("/.acl.json", ADMIN)).json()
    assert root["authors"]["granted"] == ["jcr:read"]


async def test_delete_ace_removes_the_principals_entries(site: SecurityClient) -> None:
    bob = await site.create_user("bob", "pw")
    await site.post(
        "/content/site.modifyAce.json",
        {"principalId": "bob", "privilege@jcr:read": "denied"},
        ADMIN,
    )
    resp = await site.post("/content/site.deleteAce.json", {":applyTo": "bob"}, ADMIN)
    assert resp.status == 200
    assert await (await site.get("/content/site.acl.json", ADMIN)).json() == {}
    resp = await site.get("/content/site.json", bob)
    assert resp.status == 200


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        ({"privilege@jcr:read": "granted"}, 400, "missing-field"),
        ({"principalId": "ghost", "privilege@jcr:read": "granted"}, 400, "unknown-principal"),
        ({"principalId": "authors", "privilege@jcr:fly": "granted"}, 400, "invalid-privilege"),
        ({"principalId": "authors", "privilege@jcr:read": "maybe"}, 400, "invalid-value"),
    ],
)
async def test_bad_modify_ace_requests_are_refused_and_write_nothing(
    site: SecurityClient, form: dict[str, str], status: int, code: str
) -> None:
    head = site.head
    resp = await site.post("/content/site.modifyAce.json", form, ADMIN)
    await assert_error(resp, status, code)
    assert site.head == head


async def test_delete_ace_without_apply_to_is_400(site: SecurityClient) -> None:
    resp = await site.post("/content/site.deleteAce.json", {}, ADMIN)
    await assert_error(resp, 400, "missing-field")


async def test_acls_of_missing_nodes_and_of_policies_themselves_are_refused(
    site: SecurityClient,
) -> None:
    resp = await site.post("/content/nothing.modifyAce.json", {"principalId": "authors"}, ADMIN)
    await assert_error(resp, 404, "node-not-found")
    resp = await site.get("/content/nothing.acl.json", ADMIN)
    await assert_error(resp, 404, "node-not-found")
    resp = await site.post(
        "/content/rep:policy.modifyAce.json",
        {"principalId": "authors", "privilege@jcr:read": "granted"},
        ADMIN,
    )
    await assert_error(resp, 400, "invalid-value")


async def test_authors_may_neither_read_nor_edit_acls(site: SecurityClient) -> None:
    alice = await site.create_user("alice", "pw", ("authors",))
    head = site.head
    resp = await site.get("/content/site.acl.json", alice)
    await assert_error(resp, 403, "admin-required")
    resp = await site.post(
        "/content/site.modifyAce.json",
        {"principalId": "alice", "privilege@jcr:all": "granted"},
        alice,
    )
    await assert_error(resp, 403, "admin-required")
    assert site.head == head


async def test_a_user_without_read_gets_404_not_403_for_acl_requests(
    site: SecurityClient,
) -> None:
    bob = await site.create_user("bob", "pw")
    resp = await site.get("/etc/commerce.acl.json", bob)
    await assert_error(resp, 404, "node-not-found")


async def test_modify_access_control_lets_a_non_admin_edit_that_subtree(
    site: SecurityClient,
) -> None:
    alice = await site.create_user("alice", "pw", ("authors",))
    bob = await site.create_user("bob", "pw")
    await site.post(
        "/content/site.modifyAce.json",
        {"principalId": "alice", "privilege@jcr:modifyAccessControl": "granted"},
        ADMIN,
    )
    resp = await site.post(
        "/content/site/page.modifyAce.json",
        {"principalId": "bob", "privilege@jcr:read": "denied"},
        alice,
    )
    assert resp.status == 200
    resp = await site.get("/content/site/page.acl.json", alice)
    assert "bob" in await resp.json()
    resp = await site.get("/content/site/page.json", bob)
    await assert_error(resp, 404, "node-not-found")
    resp = await site.get("/content.acl.json", alice)
    await assert_error(resp, 403, "admin-required")


async def test_modify_ace_through_the_post_servlet_operation(site: SecurityClient) -> None:
    await site.create_user("bob", "pw")
    resp = await site.post(
        "/content/site",
        {":operation": "modifyAce", "principalId": "bob", "privilege@jcr:read": "denied"},
        ADMIN,
    )
    assert resp.status == 200, await resp.text()
    assert not (await site.manager.policy_for("bob")).can_read("/content/site")
    resp = await site.post("/content/site", {":operation": "deleteAce", ":applyTo": "bob"}, ADMIN)
    assert resp.status == 200, await resp.text()
    assert (await site.manager.policy_for("bob")).can_read("/content/site")
