"""The durable queue: BLOCKED while publish is down, retries, order, restarts, commands."""

from __future__ import annotations

import asyncio

from pytest_aiohttp import AiohttpClient

from repo_server.config import Settings
from repo_server.http.app import create_app
from repo_server.replication import ReplicationActionType, replication_of
from repo_server.replication.crypto import PasswordCipher

from .replication_support import ADMIN, Client, Pair, StartAuthor, assert_error, free_port


async def _start_publish(aiohttp_client: AiohttpClient, settings: Settings, port: int) -> Client:
    """A publish instance on `port` (the one the author's agent already points at)."""
    return await aiohttp_client(create_app(settings), server_kwargs={"port": port})


async def test_queue_blocks_while_publish_is_down_and_delivers_in_order_once(
    start_author: StartAuthor,
    aiohttp_client: AiohttpClient,
    publish_settings: Settings,
) -> None:
    port = free_port()
    author = await start_author(publish_url=f"http://127.0.0.1:{port}")
    pair = Pair(author, author)
    await pair.make_page("/content/site/a", "A1")
    await pair.make_page("/content/site/b", "B")
    await pair.activate("/content/site/a")
    await pair.activate("/content/site/b")
    await pair.set_title("/content/site/a", "A2")
    await pair.activate("/content/site/a")
    await pair.deactivate("/content/site/b")
    blocked = await pair.wait_state("blocked")
    head = blocked["entries"][0]
    assert head["path"] == "/content/site/a"
    assert head["attempts"] >= 1
    assert head["lastError"]
    assert head["nextRetry"] is not None
    assert [e["action"] for e in blocked["entries"]] == [
        "Activate",
        "Activate",
        "Activate",
        "Deactivate",
    ]
    status = await replication_of(pair.repo(author)).replicator.replication_status(
        "/content/site/a"
    )
    assert status is not None
    assert not status.is_delivered
    publish = await _start_publish(aiohttp_client, publish_settings, port)
    pair = Pair(author, publish)
    await pair.wait_idle(within=15)
    content = await (await pair.on_publish("/content/site/a/jcr:content")).json()
    assert content["jcr:title"] == "A2"
    assert (await pair.on_publish("/content/site/b")).status == 404
    status = await replication_of(pair.repo(author)).replicator.replication_status(
        "/content/site/a"
    )
    assert status is not None
    assert status.is_delivered
    # Every entry was applied once, in order: the receipts end at the last entry's id.
    rows = await pair.repo(publish).store.read(
        lambda r: r.execute("SELECT origin, last_id FROM replication_received")
    )
    assert [int(str(r[1])) for r in rows] == [blocked["entries"][-1]["id"]]


async def test_deactivation_while_pending_counts_as_delivered(start_author: StartAuthor) -> None:
    author = await start_author(publish_url=f"http://127.0.0.1:{free_port()}")
    pair = Pair(author, author)
    await pair.make_page("/content/site/a")
    await pair.deactivate("/content/site/a")
    status = await replication_of(pair.repo(author)).replicator.replication_status(
        "/content/site/a"
    )
    assert status is not None
    assert status.is_deactivated
    assert status.is_pending
    assert status.is_delivered


async def test_the_queue_survives_a_restart_of_the_author(
    start_author: StartAuthor,
    aiohttp_client: AiohttpClient,
    publish_settings: Settings,
) -> None:
    port = free_port()
    first = await start_author(publish_url=f"http://127.0.0.1:{port}")
    pair = Pair(first, first)
    await pair.make_page("/content/site/a", "Kept")
    await pair.activate("/content/site/a")
    before = await pair.wait_state("blocked")
    await first.close()
    second = await start_author(publish_url=f"http://127.0.0.1:{port}")
    pair = Pair(second, second)
    after = await pair.queue()
    assert [e["id"] for e in after["entries"]] == [e["id"] for e in before["entries"]]
    pair = Pair(second, await _start_publish(aiohttp_client, publish_settings, port))
    await pair.wait_idle(within=15)
    content = await (await pair.on_publish("/content/site/a/jcr:content")).json()
    assert content["jcr:title"] == "Kept"


async def test_retry_and_clear_commands(start_author: StartAuthor) -> None:
    author = await start_author(
        publish_url=f"http://127.0.0.1:{free_port()}", replication_retry_delay_ms=600_000
    )
    pair = Pair(author, author)
    await pair.make_page("/content/site/a")
    await pair.activate("/content/site/a")
    await pair.activate("/content/site/a")
    blocked = await pair.wait_state("blocked")
    assert blocked["entries"][0]["attempts"] == 1
    url = "/etc/replication/agents.author/publish.queue.json"
    resp = await author.post(url, data={"cmd": "retry"}, headers=ADMIN)
    assert resp.status == 200
    for _ in range(200):
        body = await pair.queue()
        if body["entries"][0]["attempts"] == 2:
            break
        await asyncio.sleep(0.02)
    assert body["entries"][0]["attempts"] == 2
    first = body["entries"][0]["id"]
    resp = await author.post(url, data={"cmd": "clear", "id": str(first)}, headers=ADMIN)
    assert (await resp.json())["removed"] == 1
    resp = await author.post(url, data={"cmd": "clear"}, headers=ADMIN)
    assert (await resp.json())["removed"] == 1
    assert (await pair.queue())["state"] == "idle"
    await assert_error(await author.post(url, headers=ADMIN), 400, "missing-command")
    await assert_error(
        await author.post(url, data={"cmd": "x"}, headers=ADMIN), 400, "unknown-command"
    )


async def test_unknown_agent_queue_is_404(author: Client) -> None:
    resp = await author.get("/etc/replication/agents.author/nope.queue.json", headers=ADMIN)
    await assert_error(resp, 404, "node-not-found")
    resp = await author.get("/etc/replication/agents.publish/publish.queue.json", headers=ADMIN)
    await assert_error(resp, 404, "node-not-found")


async def test_default_agent_is_content_with_an_encrypted_password(
    pair: Pair, author_settings: Settings
) -> None:
    body = await pair.queue()
    assert body["agent"]["transportUri"] == f"{author_settings.publish_url}/bin/receive"
    assert body["agent"]["transportUser"] == "replication-receiver"
    assert body["agent"]["enabled"] is True
    assert "transportPassword" not in body["agent"]
    session = pair.repo(pair.author).session("admin")
    node = await session.node("/etc/replication/agents.author/publish/jcr:content")
    stored = str(node.properties["transportPassword"].value)
    assert stored.startswith("{v1:")
    assert "receiver-secret" not in stored
    cipher = PasswordCipher.load_or_create(author_settings.data_dir)
    assert cipher.unprotect(stored) == "receiver-secret"


async def test_a_password_written_in_clear_is_stored_encrypted(pair: Pair) -> None:
    resp = await pair.author.post(
        "/etc/replication/agents.author/publish/jcr:content",
        data={"transportPassword": "changed"},
        headers=ADMIN,
    )
    assert resp.status in (200, 201), await resp.text()
    node = (
        await pair.repo(pair.author)
        .session("admin")
        .node("/etc/replication/agents.author/publish/jcr:content")
    )
    stored = str(node.properties["transportPassword"].value)
    assert stored.startswith("{v1:")
    agent = await replication_of(pair.repo(pair.author)).agents.get("publish")
    assert agent is not None
    assert replication_of(pair.repo(pair.author)).agents.password(agent) == "changed"


async def test_an_agent_added_as_content_starts_delivering(
    pair: Pair, publish: Client, author_settings: Settings
) -> None:
    session = pair.repo(pair.author).session("admin")
    await session.add_node("/etc/replication/agents.author/second", "cq:Page")
    await session.add_node(
        "/etc/replication/agents.author/second/jcr:content",
        "cq:PageContent",
        properties={
            "enabled": True,
            "transportUri": f"{author_settings.publish_url}/bin/receive",
            "transportUser": "replication-receiver",
            "transportPassword": "receiver-secret",
            "retryDelay": 100,
        },
    )
    await session.save()
    await pair.make_page("/content/site/a")
    body = await pair.activate("/content/site/a")
    assert sorted(q["agent"] for q in body["queued"]) == ["publish", "second"]
    await pair.wait_idle("second")
    await pair.wait_idle("publish")
    assert (await pair.on_publish("/content/site/a")).status == 200


async def test_programmatic_replication_uses_the_same_queue(pair: Pair) -> None:
    await pair.make_page("/content/site/a")
    service = replication_of(pair.repo(pair.author))
    queued = await service.replicator.replicate(
        "admin", ReplicationActionType.ACTIVATE, "/content/site/a"
    )
    assert [q.path for q in queued] == ["/content/site/a"]
    await pair.wait_idle()
    assert (await pair.on_publish("/content/site/a")).status == 200
