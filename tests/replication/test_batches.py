"""Batched delivery: several queue entries in one request, applied on publish in one commit.

The receiver takes a batch all or nothing and still checks and records every entry's receipt,
so an entry delivered again is a duplicate; the author falls back to the head alone when a
batch fails, so what blocks the queue is always the head's own result.
"""

from __future__ import annotations

import aiohttp

from repo_server.config import Settings
from repo_server.extensions import Extensions, PluginContext
from repo_server.replication import ReplicationActionType, ReplicationEvent
from repo_server.replication.agents import AgentConfig
from repo_server.replication.package import Package, encode, snapshot
from repo_server.replication.transport import (
    BATCH_CONTENT_TYPE,
    BatchDelivery,
    Delivery,
    ReplicationResult,
    TransportHandler,
    encode_batch,
)
from repo_server.security import security_of, users

from .replication_support import RECEIVER_PASSWORD, Client, Pair, StartAuthor, assert_error, basic

RECEIVER = basic("replication-receiver", RECEIVER_PASSWORD)
BATCH = {"Content-Type": BATCH_CONTENT_TYPE, "X-Replication-Origin": "test/agent"}


async def _snapshot(pair: Pair, path: str, action: str = "Activate") -> bytes:
    kind = ReplicationActionType.from_name(action)
    assert kind is not None
    return await pair.repo(pair.author).store.read(lambda r: snapshot(r, kind, path))


async def _post(
    publish: Client, entries: list[tuple[int, bytes]], **headers: str
) -> aiohttp.ClientResponse:
    return await publish.post(
        "/bin/receive", data=encode_batch(entries), headers={**BATCH, **RECEIVER, **headers}
    )


async def _title(pair: Pair, path: str) -> object:
    resp = await pair.on_publish(path + "/jcr:content")
    return (await resp.json())["jcr:title"] if resp.status == 200 else resp.status


async def test_a_batch_applies_in_order_in_one_commit_and_replays_as_duplicates(
    pair: Pair,
) -> None:
    await pair.make_page("/content/site/a", "A1")
    await pair.make_page("/content/site/b", "B")
    a1 = await _snapshot(pair, "/content/site/a")
    b = await _snapshot(pair, "/content/site/b")
    await pair.set_title("/content/site/a", "A2")
    a2 = await _snapshot(pair, "/content/site/a")
    store = pair.repo(pair.publish).store
    head = store.head
    resp = await _post(pair.publish, [(1, a1), (2, b), (3, a2)])
    body = await resp.json()
    assert resp.status == 200, body
    assert [(e["id"], e["path"], e["status"]) for e in body["entries"]] == [
        (1, "/content/site/a", "applied"),
        (2, "/content/site/b", "applied"),
        (3, "/content/site/a", "applied"),
    ]
    assert store.head == head + 1 == body["revision"]
    assert await _title(pair, "/content/site/a") == "A2"
    assert await _title(pair, "/content/site/b") == "B"
    # The author did not hear the answer: the same batch again, with one more entry.
    gone = await _snapshot(pair, "/content/site/b", "Deactivate")
    resp = await _post(pair.publish, [(1, a1), (2, b), (3, a2), (4, gone)])
    body = await resp.json()
    assert [e["status"] for e in body["entries"]] == ["duplicate"] * 3 + ["applied"]
    assert await _title(pair, "/content/site/a") == "A2"
    assert await _title(pair, "/content/site/b") == 404


async def test_a_batch_is_all_or_nothing(pair: Pair) -> None:
    await pair.make_page("/content/site/a", "A")
    good = await _snapshot(pair, "/content/site/a")
    empty = encode(Package(ReplicationActionType.ACTIVATE, "/content/site/x"))
    resp = await _post(pair.publish, [(10, good), (11, empty)])
    await assert_error(resp, 400, "invalid-replication-package")
    assert await _title(pair, "/content/site/a") == 404
    # Nothing was recorded either: the good entry is applied when it comes again.
    resp = await _post(pair.publish, [(10, good)])
    body = await resp.json()
    assert [e["status"] for e in body["entries"]] == ["applied"]
    assert await _title(pair, "/content/site/a") == "A"


async def test_malformed_or_unauthorised_batches_are_refused(pair: Pair) -> None:
    await pair.make_page("/content/site/a", "A")
    good = await _snapshot(pair, "/content/site/a")
    for entries in ([(5, good), (5, good)], [(6, good), (2, good)], [(1, b"junk")]):
        resp = await _post(pair.publish, entries)
        await assert_error(resp, 400, "invalid-replication-package")
    for raw in (b"", b"\x81\xa1v\x01", encode_batch([])):
        resp = await pair.publish.post("/bin/receive", data=raw, headers={**BATCH, **RECEIVER})
        await assert_error(resp, 400, "invalid-replication-package")
    no_origin = {"Content-Type": BATCH_CONTENT_TYPE, **RECEIVER}
    resp = await pair.publish.post(
        "/bin/receive", data=encode_batch([(1, good)]), headers=no_origin
    )
    await assert_error(resp, 400, "invalid-input")
    resp = await pair.publish.post("/bin/receive", data=encode_batch([(1, good)]), headers=BATCH)
    await assert_error(resp, 401, "unauthorized")
    repository = pair.repo(pair.publish)
    await users.create_user(
        security_of(repository), repository.session("admin"), "visitor", "pw-visitor", {}
    )
    resp = await _post(pair.publish, [(1, good)], **basic("visitor", "pw-visitor"))
    await assert_error(resp, 403, "replication-not-allowed")
    assert await _title(pair, "/content/site/a") == 404


class FlakyBatches:
    """A transport that records what it is asked; the first batch fails."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[int]]] = []

    def can_handle(self, agent: AgentConfig) -> bool:
        return True

    async def deliver(self, delivery: Delivery) -> ReplicationResult:
        self.calls.append(("one", [delivery.entry.id]))
        return ReplicationResult(True, 200, "ok")

    async def deliver_batch(self, batch: BatchDelivery) -> ReplicationResult:
        self.calls.append(("batch", [entry.id for entry, _ in batch.entries]))
        if len(self.calls) == 1:
            return ReplicationResult(False, 500, "500: the first batch fails")
        return ReplicationResult(True, 200, "ok")


class Recorder:
    def __init__(self) -> None:
        self.events: list[ReplicationEvent] = []

    async def on_event(self, event: ReplicationEvent) -> None:
        self.events.append(event)


async def test_a_failed_batch_falls_back_to_the_head_alone(start_author: StartAuthor) -> None:
    transport, recorder = FlakyBatches(), Recorder()
    ext = Extensions()
    context = PluginContext(ext, Settings())
    context.services.register(TransportHandler, transport)  # type: ignore[type-abstract]
    context.add_replication_listener(recorder)
    author = await start_author(extensions=ext)
    pair = Pair(author, author)
    for name in ("a", "b", "c"):
        await pair.make_page(f"/content/site/{name}")
    queued = await pair.activate("/content/site/a", "/content/site/b", "/content/site/c")
    ids = [q["id"] for q in queued["queued"]]
    await pair.wait_idle()
    assert transport.calls == [("batch", ids), ("one", ids[:1]), ("batch", ids[1:])]
    delivered = [e.entry_id for e in recorder.events if e.kind == "delivered"]
    assert delivered == ids
