"""ACLs seen through the Sling content API: invisible nodes, refused writes, both roles."""

from __future__ import annotations

import pytest

from .security_client import ADMIN, SecurityClient, assert_error, assert_post_error

JSON = {"Accept": "application/json"}


@pytest.fixture
async def site(http: SecurityClient) -> SecurityClient:
    s = http.repository.session("admin")
    await s.add_node("/content/site", "nt:unstructured", properties={"title": "Site"})
    await s.add_node("/content/site/secret", "nt:unstructured", properties={"pin": "1234"})
    await s.add_node("/content/site/public", "nt:unstructured")
    await s.add_node("/apps", "nt:unstructured")
    await s.add_node("/apps/app", "nt:unstructured", properties={"x": "1"})
    await s.save()
    resp = await http.post(
        "/content/site/secret.modifyAce.json",
        {"principalId": "authors", "privilege@jcr:read": "denied"},
        ADMIN,
    )
    assert resp.status == 200
    return http


async def test_an_unreadable_node_is_a_404_like_a_missing_one(site: SecurityClient) -> None:
    alice = await site.create_user("alice", "pw", ("authors",))
    hidden = await assert_error(
        await site.get("/content/site/secret.json", alice), 404, "node-not-found"
    )
    missing = await assert_error(
        await site.get("/content/site/nothing.json", alice), 404, "node-not-found"
    )
    assert hidden["message"].replace("secret", "X") == missing["message"].replace("nothing", "X")
    resp = await site.get("/content/site/secret/pin.json", alice)
    assert resp.status == 404


async def test_renderings_of_a_subtree_leave_out_unreadable_nodes(site: SecurityClient) -> None:
    alice = await site.create_user("alice", "pw", ("authors",))
    for selector in ("infinity", "1", "-1", "tidy.infinity"):
        body = await (await site.get(f"/content/site.{selector}.json", alice)).json()
        assert "public" in body, selector
        assert "secret" not in body, selector
    body = await (await site.get("/content.infinity.json", alice)).json()
    assert "secret" not in body["site"]
    assert "rep:policy" not in body
    admin = await (await site.get("/content/site.infinity.json", ADMIN)).json()
    assert admin["secret"]["pin"] == "1234"


async def test_writing_a_readable_node_without_write_is_403(site: SecurityClient) -> None:
    alice = await site.create_user("alice", "pw", ("authors",))
    head = site.head
    resp = await site.post("/apps/app", {"x": "2"}, {**alice, **JSON})
    await assert_post_error(resp, 403, "access-denied")
    assert site.head == head


async def test_authors_write_content(site: SecurityClient) -> None:
    alice = await site.create_user("alice", "pw", ("authors",))
    resp = await site.post("/content/site/public", {"title": "Hello"}, {**alice, **JSON})
    assert resp.status == 200, await resp.text()
    body = await (await site.get("/content/site/public.json", alice)).json()
    assert body["title"] == "Hello"


async def test_a_user_outside_authors_reads_content_but_not_apps(site: SecurityClient) -> None:
    bob = await site.create_user("bob", "pw")
    assert (await site.get("/content/site.json", bob)).status == 200
    await assert_error(await site.get("/apps/app.json", bob), 404, "node-not-found")
    await assert_error(await site.get("/home/users/alice.json", bob), 404, "node-not-found")
    assert (await site.get("/home/users/bob.json", bob)).status == 200


async def test_policies_are_invisible_to_authors_and_not_writable_as_content(
    site: SecurityClient,
) -> None:
    alice = await site.create_user("alice", "pw", ("authors",))
    head = site.head
    await assert_error(await site.get("/content/rep:policy.json", alice), 404, "node-not-found")
    resp = await site.post(
        "/content/site/secret/rep:policy/allow-me",
        {
            "jcr:primaryType": "rep:GrantACE",
            "rep:principalName": "alice",
            "rep:privileges": "jcr:all",
        },
        {**alice, **JSON},
    )
    await assert_post_error(resp, 404, "node-not-found")
    assert site.head == head
    assert not (await site.manager.policy_for("alice")).can_read("/content/site/secret")


async def test_anonymous_reads_content_on_publish_but_writes_nothing(
    publish: SecurityClient,
) -> None:
    s = publish.repository.session("admin")
    await s.add_node("/content/page", "nt:unstructured", properties={"title": "Home"})
    await s.save()
    body = await (await publish.get("/content/page.json")).json()
    assert body["title"] == "Home"
    await assert_error(await publish.get("/etc/commerce.json"), 404, "node-not-found")
    await assert_error(await publish.get("/home/users/admin.json"), 404, "node-not-found")
    head = publish.head
    resp = await publish.post("/content/page", {"title": "Defaced"}, JSON)
    await assert_post_error(resp, 403, "access-denied")
    assert publish.head == head


async def test_authors_cannot_write_on_publish(publish: SecurityClient) -> None:
    alice = await publish.create_user("alice", "pw", ("authors",))
    head = publish.head
    resp = await publish.post("/content", {"title": "x"}, {**alice, **JSON})
    await assert_post_error(resp, 403, "access-denied")
    assert publish.head == head


async def test_anonymous_cannot_write_on_author(http: SecurityClient) -> None:
    head = http.head
    resp = await http.post("/content", {"title": "x"})
    await assert_error(resp, 401, "unauthorized")
    assert http.head == head


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/content/site", {"secret/pin": "5"}),
        ("/content/site/secret", {"pin": "5"}),
        ("/content/site/secret", {":operation": "delete"}),
        ("/content/site/public", {":operation": "move", ":dest": "/content/site/secret"}),
        (
            "/content/site",
            {":operation": "import", ":contentType": "json", ":content": '{"secret": {}}'},
        ),
    ],
)
async def test_posts_touching_an_unreadable_node_are_404_and_write_nothing(
    site: SecurityClient, path: str, form: dict[str, str]
) -> None:
    alice = await site.create_user("alice", "pw", ("authors",))
    head = site.head
    resp = await site.post(path, form, {**alice, **JSON})
    await assert_post_error(resp, 404, "node-not-found")
    assert site.head == head


async def test_deleting_an_unreadable_node_changes_nothing_and_lists_nothing(
    site: SecurityClient,
) -> None:
    alice = await site.create_user("alice", "pw", ("authors",))
    resp = await site.post(
        "/content/site",
        {":operation": "delete", ":applyTo": "/content/site/secret"},
        {**alice, **JSON},
    )
    assert (await resp.json())["changes"] == []
    admin = await (await site.get("/content/site/secret.json", ADMIN)).json()
    assert admin["pin"] == "1234"
