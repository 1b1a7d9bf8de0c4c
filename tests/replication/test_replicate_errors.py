"""Bad replication requests: a clear 4xx (or 503) with a stable code, and nothing queued."""

from __future__ import annotations

import pytest

from repo_server.model.values import Property, PropertyType
from repo_server.security import privileges as PR
from repo_server.security import security_of, users
from repo_server.security.access import set_entry

from .replication_support import ADMIN, Client, Pair, StartAuthor, assert_error, basic


async def _nothing_queued(pair: Pair) -> None:
    body = await pair.queue()
    assert body["entries"] == []
    assert body["state"] == "idle"


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        ([("path", "/content/site/en")], 400, "missing-command"),
        ([("cmd", ""), ("path", "/content/site/en")], 400, "missing-command"),
        ([("cmd", "Publish"), ("path", "/content/site/en")], 400, "unknown-command"),
        ([("cmd", "Test"), ("path", "/content/site/en")], 400, "unknown-command"),
        ([("cmd", "Activate")], 400, "missing-path"),
        ([("cmd", "Activate"), ("path", "  ")], 400, "missing-path"),
        ([("cmd", "Activate"), ("path", "content/site/en")], 400, "invalid-path"),
        ([("cmd", "Activate"), ("path", "/content/../..")], 400, "invalid-path"),
        ([("cmd", "Activate"), ("path", "/content/site/none")], 404, "node-not-found"),
        ([("cmd", "Deactivate"), ("path", "/content/site/none")], 404, "node-not-found"),
        (
            [("cmd", "Activate"), ("path", "/content/site/en"), ("path", "/content/nope")],
            404,
            "node-not-found",
        ),
    ],
)
async def test_bad_requests_queue_nothing(
    pair: Pair, form: list[tuple[str, str]], status: int, code: str
) -> None:
    await pair.make_page("/content/site/en")
    resp = await pair.author.post("/bin/replicate.json", data=form, headers=ADMIN)
    await assert_error(resp, status, code)
    await _nothing_queued(pair)


async def test_commands_are_case_insensitive(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    resp = await pair.replicate("activate", "/content/site/en")
    assert resp.status == 200
    resp = await pair.replicate("DEACTIVATE", "/content/site/en")
    assert (await resp.json())["cmd"] == "Deactivate"


async def test_parameters_may_come_in_the_query_string(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    resp = await pair.author.post(
        "/bin/replicate.json?cmd=Activate&path=/content/site/en", headers=ADMIN
    )
    assert resp.status == 200, await resp.text()


async def _make_user(pair: Pair, user_id: str, replicate: bool) -> dict[str, str]:
    repository = pair.repo(pair.author)
    manager = security_of(repository)
    session = repository.session("admin")
    props = {"profile": Property(PropertyType.STRING, False, ("editor",))}
    await users.create_user(manager, session, user_id, "pw-" + user_id, props)
    await session.refresh()
    allow = PR.READ | (PR.REPLICATE if replicate else 0)
    await set_entry(manager, session, "/content/site", user_id, allow, 0)
    await session.save()
    manager.invalidate()
    return basic(user_id, "pw-" + user_id)


async def test_a_user_without_replicate_privilege_is_refused(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    headers = await _make_user(pair, "writer", replicate=False)
    resp = await pair.replicate("Activate", "/content/site/en", headers=headers)
    body = await assert_error(resp, 403, "replication-not-allowed")
    assert body["details"]["paths"] == ["/content/site/en"]
    await _nothing_queued(pair)
    node = await pair.repo(pair.author).session("admin").node("/content/site/en/jcr:content")
    assert "cq:lastReplicated" not in node.properties


async def test_a_user_with_replicate_privilege_may_activate(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    headers = await _make_user(pair, "publisher", replicate=True)
    resp = await pair.replicate("Activate", "/content/site/en", headers=headers)
    assert resp.status == 200, await resp.text()
    node = await pair.repo(pair.author).session("admin").node("/content/site/en/jcr:content")
    assert node.properties["cq:lastReplicatedBy"].value == "publisher"
    await pair.wait_idle()
    assert (await pair.on_publish("/content/site/en")).status == 200


async def test_permission_is_all_or_nothing(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    await pair.make_page("/content/other")
    headers = await _make_user(pair, "publisher", replicate=True)
    resp = await pair.replicate("Activate", "/content/site/en", "/content/other", headers=headers)
    body = await assert_error(resp, 403, "replication-not-allowed")
    assert body["details"]["paths"] == ["/content/other"]
    await _nothing_queued(pair)


async def test_deep_activation_needs_the_privilege_on_every_page(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    await pair.make_page("/content/site/en/secret")
    headers = await _make_user(pair, "publisher", replicate=True)
    session = pair.repo(pair.author).session("admin")
    manager = security_of(pair.repo(pair.author))
    await set_entry(manager, session, "/content/site/en/secret", "publisher", PR.READ, PR.REPLICATE)
    await session.save()
    manager.invalidate()
    resp = await pair.replicate(
        "Activate", "/content/site/en", headers=headers, extra={"deep": "true"}
    )
    await assert_error(resp, 403, "replication-not-allowed")
    await _nothing_queued(pair)


async def test_anonymous_requests_are_refused_on_author(author: Client) -> None:
    resp = await author.post("/bin/replicate.json", data={"cmd": "Activate", "path": "/content"})
    await assert_error(resp, 401, "unauthorized")


async def test_without_an_agent_replication_is_unavailable(start_author: StartAuthor) -> None:
    author = await start_author(publish_url=None)
    resp = await author.post(
        "/bin/replicate.json", data={"cmd": "Activate", "path": "/content"}, headers=ADMIN
    )
    body = await assert_error(resp, 503, "no-replication-agent")
    assert resp.headers["Retry-After"]
    assert body["message"]
