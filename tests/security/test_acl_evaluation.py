"""ACL evaluation through the session API: what each user can read and write where."""

from __future__ import annotations

from dataclasses import replace

import pytest

from repo_server.config import Settings
from repo_server.errors import AccessDenied, NodeNotFound
from repo_server.security import SecurityManager, access, bootstrap_security, security_of, users
from repo_server.security import privileges as PR
from repo_server.security.acl import AccessControlState, Ace, AclPolicy, controlled_path
from repo_server.session.session import ContentSession, Repository
from repo_server.store.sqlite import SQLiteNodeStore


async def add_user(manager: SecurityManager, name: str, *groups: str) -> None:
    session = manager.repository.session("admin")
    await users.create_user(manager, session, name, "pw", {})
    for group in groups:
        await users.update(manager, manager.repository.session("admin"), "group", group, {}, [name])


async def grant(
    manager: SecurityManager, path: str, principal: str, verdicts: dict[str, str]
) -> None:
    changes = {PR.mask_of([name]): verdict for name, verdict in verdicts.items()}
    await access.modify_ace(manager, manager.repository.session("admin"), path, principal, changes)


async def as_user(manager: SecurityManager, user_id: str) -> ContentSession:
    return manager.repository.session(user_id, await manager.policy_for(user_id))


@pytest.fixture
async def tree(manager: SecurityManager) -> SecurityManager:
    """/content/site/secret, /etc/commerce/products, /apps/app; alice is an author, bob not."""
    s = manager.repository.session("admin")
    await s.add_node("/content/site", "nt:unstructured", properties={"title": "Site"})
    await s.add_node("/content/site/secret", "nt:unstructured")
    await s.add_node("/content/site/secret/deeper", "nt:unstructured")
    await s.add_node("/etc/commerce/products", "sling:Folder")
    await s.add_node("/apps", "nt:unstructured")
    await s.add_node("/apps/app", "nt:unstructured")
    await s.save()
    await add_user(manager, "alice", "authors")
    await add_user(manager, "bob")
    return manager


async def test_authors_read_everything_but_write_only_content_and_commerce(
    tree: SecurityManager,
) -> None:
    alice = await tree.policy_for("alice")
    assert alice.can_read("/apps/app")
    assert alice.can_read("/")
    assert alice.can_write("/content/site/secret")
    assert alice.can_write("/etc/commerce/products")
    assert not alice.can_write("/apps/app")
    assert not alice.can_write("/etc")


async def test_a_user_in_no_group_reads_only_content(tree: SecurityManager) -> None:
    bob = await tree.policy_for("bob")
    assert bob.can_read("/content/site")
    assert not bob.can_read("/apps/app")
    assert not bob.can_read("/")
    assert not bob.can_write("/content/site")


async def test_admin_and_administrators_bypass_every_entry(tree: SecurityManager) -> None:
    await grant(tree, "/content", "admin", {"jcr:all": "denied"})
    await add_user(tree, "root2", "administrators")
    for user in ("admin", "root2"):
        policy = await tree.policy_for(user)
        assert policy.is_admin
        assert policy.can_read("/content/site")
        assert policy.can_write("/home/users/alice")


async def test_an_unreadable_node_is_missing_for_every_read(tree: SecurityManager) -> None:
    await grant(tree, "/content/site/secret", "authors", {"jcr:read": "denied"})
    alice = await as_user(tree, "alice")
    assert await alice.get_node("/content/site/secret") is None
    assert await alice.get_node("/content/site/secret/deeper") is None
    with pytest.raises(NodeNotFound):
        await alice.node("/content/site/secret")
    assert await alice.child_names("/content/site") == []
    rendered = await alice.subtree("/content", None)
    site = rendered.children[0]
    assert site.node.path == "/content/site"
    assert site.children == []


async def test_writing_a_readable_but_not_writable_node_is_access_denied(
    tree: SecurityManager,
) -> None:
    alice = await as_user(tree, "alice")
    with pytest.raises(AccessDenied):
        await alice.set_property("/apps/app", "x", "1")
    bob = await as_user(tree, "bob")
    with pytest.raises(NodeNotFound):
        await bob.set_property("/apps/app", "x", "1")
    with pytest.raises(NodeNotFound):
        await bob.add_node("/apps/new", "nt:unstructured")
    with pytest.raises(AccessDenied):
        await alice.add_node("/apps/app/child", "nt:unstructured")
    assert not alice.has_pending_changes


async def test_authors_write_content_through_a_session(tree: SecurityManager) -> None:
    alice = await as_user(tree, "alice")
    await alice.set_property("/content/site", "title", "New")
    await alice.save()
    node = await tree.repository.session("admin").node("/content/site")
    assert node.properties["title"].value == "New"


async def test_the_nearest_entry_decides_down_the_tree(tree: SecurityManager) -> None:
    await grant(tree, "/content/site", "bob", {"jcr:read": "denied"})
    await grant(tree, "/content/site/secret", "bob", {"jcr:read": "granted"})
    bob = await tree.policy_for("bob")
    assert bob.can_read("/content")
    assert not bob.can_read("/content/site")
    assert bob.can_read("/content/site/secret")
    assert bob.can_read("/content/site/secret/deeper")


async def test_a_user_entry_beats_a_group_entry_at_the_same_node(tree: SecurityManager) -> None:
    await grant(tree, "/apps", "authors", {"rep:write": "granted"})
    await grant(tree, "/apps", "alice", {"rep:write": "denied"})
    assert not (await tree.policy_for("alice")).can_write("/apps/app")
    await grant(tree, "/content", "alice", {"rep:write": "granted"})
    await grant(tree, "/content", "authors", {"rep:write": "denied"})
    assert (await tree.policy_for("alice")).can_write("/content/site")


async def test_deny_beats_allow_among_groups_at_the_same_node(tree: SecurityManager) -> None:
    session = tree.repository.session("admin")
    await users.create_group(tree, session, "reviewers", ["alice"], {})
    await grant(tree, "/apps", "reviewers", {"jcr:read": "denied"})
    alice = await tree.policy_for("alice")
    # authors allow jcr:read at / only: the nearer deny at /apps wins.
    assert not alice.can_read("/apps/app")
    await grant(tree, "/apps", "authors", {"jcr:read": "granted"})
    assert not (await tree.policy_for("alice")).can_read("/apps/app")


async def test_nested_group_members_get_the_outer_groups_entries(tree: SecurityManager) -> None:
    session = tree.repository.session("admin")
    await users.create_group(tree, session, "inner", ["bob"], {})
    await users.update(tree, tree.repository.session("admin"), "group", "authors", {}, ["inner"])
    bob = await tree.policy_for("bob")
    assert "authors" in bob.principals
    assert bob.can_write("/content/site")


async def test_home_shows_a_user_only_their_own_node(tree: SecurityManager) -> None:
    alice = await as_user(tree, "alice")
    assert await alice.get_node("/home") is None
    assert await alice.get_node("/home/users") is None
    assert await alice.get_node("/home/users/bob") is None
    assert await alice.get_node("/home/groups/authors") is None
    own = await alice.node("/home/users/alice")
    assert own.primary_type == "rep:User"
    assert not alice.access.can_write("/home/users/alice")
    assert not (await tree.policy_for("anonymous")).can_read("/home/users/anonymous")


async def test_policies_are_hidden_and_locked_without_access_control_rights(
    tree: SecurityManager,
) -> None:
    alice = await as_user(tree, "alice")
    assert await alice.get_node("/content/rep:policy") is None
    assert "rep:policy" not in await alice.child_names("/content")
    with pytest.raises(NodeNotFound):
        await alice.remove("/content/rep:policy")
    await grant(tree, "/content", "alice", {"jcr:modifyAccessControl": "granted"})
    alice = await as_user(tree, "alice")
    assert await alice.get_node("/content/rep:policy") is not None
    assert alice.access.can_write("/content/rep:policy/allow")


async def test_acl_changes_written_as_content_reach_policies_through_the_journal(
    tree: SecurityManager,
) -> None:
    assert (await tree.policy_for("bob")).can_read("/content/site")
    admin = tree.repository.session("admin")
    await admin.add_mixin("/content/site", "rep:AccessControllable")
    await admin.add_node("/content/site/rep:policy", "rep:ACL")
    await admin.add_node(
        "/content/site/rep:policy/deny-bob",
        "rep:DenyACE",
        properties={"rep:principalName": "bob", "rep:privileges": ["jcr:read"]},
    )
    await admin.save()
    await tree.repository.store.drain_listeners()
    assert not (await tree.policy_for("bob")).can_read("/content/site")
    s = tree.repository.session("admin")
    await s.remove("/content/site/rep:policy")
    await s.save()
    await tree.repository.store.drain_listeners()
    assert (await tree.policy_for("bob")).can_read("/content/site")


async def test_moving_a_node_moves_its_acl_with_it(tree: SecurityManager) -> None:
    await grant(tree, "/content/site/secret", "bob", {"jcr:read": "denied"})
    s = tree.repository.session("admin")
    await s.move("/content/site/secret", "/content/moved")
    await s.save()
    await tree.repository.store.drain_listeners()
    bob = await tree.policy_for("bob")
    assert not bob.can_read("/content/moved")
    assert bob.can_read("/content/site")


async def test_a_publish_instance_lets_anonymous_read_content_and_nobody_write(
    repository: Repository, settings: Settings
) -> None:
    await bootstrap_security(repository, replace(settings, role="publish"))
    manager = security_of(repository)
    anonymous = await manager.policy_for("anonymous")
    assert anonymous.can_read("/content")
    assert not anonymous.can_read("/etc/commerce")
    assert not anonymous.can_write("/content")
    await add_user(manager, "carol", "authors")
    assert not (await manager.policy_for("carol")).can_write("/content")


async def test_the_replication_hook_lets_its_user_write_on_publish(
    repository: Repository, settings: Settings
) -> None:
    await bootstrap_security(repository, replace(settings, role="publish"))
    manager = security_of(repository)
    await add_user(manager, "receiver", "authors")
    manager.replication_check = lambda user, _principals: user == "receiver"
    manager.invalidate()
    receiver = await manager.policy_for("receiver")
    assert receiver.is_replication_user
    assert receiver.can_write("/content")


def test_the_acl_of_a_path_belongs_to_the_node_holding_rep_policy() -> None:
    assert controlled_path("/content/rep:policy/allow") == "/content"
    assert controlled_path("/rep:policy") == "/"
    assert controlled_path("/content/rep:policyx") is None
    assert controlled_path("/content/page") is None


def test_evaluation_memoizes_per_path_and_respects_precedence_without_a_store() -> None:
    read, write = PR.READ, PR.WRITE
    state = AccessControlState(
        {
            "/": [Ace("a", "g", True, ("jcr:read",), read)],
            "/x": [
                Ace("b", "g", True, ("rep:write",), write),
                Ace("c", "u", False, ("rep:write",), write),
            ],
        },
        {"g": ("u",)},
    )
    policy = AclPolicy(state, "u")
    assert policy.can_read("/x/y")
    assert not policy.can_write("/x/y")
    other = AclPolicy(state, "v")
    assert not other.can_read("/x")
    assert AclPolicy(state, "u2").principals == frozenset({"u2", "everyone"})


async def test_a_second_start_keeps_acls_that_an_admin_removed(settings: Settings) -> None:
    repo = Repository(SQLiteNodeStore(settings.store_path))
    await repo.open()
    try:
        await bootstrap_security(repo, settings)
        manager = security_of(repo)
        await access.delete_aces(manager, repo.session("admin"), "/content", ["everyone"])
    finally:
        await repo.close()
    repo = Repository(SQLiteNodeStore(settings.store_path))
    await repo.open()
    try:
        await bootstrap_security(repo, settings)
        assert not (await security_of(repo).policy_for("bob")).can_read("/content")
    finally:
        await repo.close()
