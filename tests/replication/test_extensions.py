"""Preprocessors veto, listeners hear: the extension points plugins (commerce) build on."""

from __future__ import annotations

from repo_server.config import Settings
from repo_server.extensions import Extensions, PluginContext
from repo_server.replication import (
    ActivationRejected,
    RejectionReason,
    ReplicationAction,
    ReplicationActionType,
    ReplicationEvent,
    ReplicationOptions,
    ReplicationPreprocessor,
)

from .replication_support import Pair, StartAuthor, assert_error


class RefuseBlocked:
    """Refuses to activate a page whose content has `blocked` (naming its `product`)."""

    def __init__(self) -> None:
        self.seen: list[ReplicationAction] = []

    async def preprocess(self, action: ReplicationAction, options: ReplicationOptions) -> None:
        self.seen.append(action)
        if action.type is not ReplicationActionType.ACTIVATE:
            return
        reasons: list[RejectionReason] = []
        for path in action.paths:
            node = await action.session.get_node(path + "/jcr:content")
            if node is not None and "blocked" in node.properties:
                product = str(node.properties["blocked"].value)
                reasons.append({"path": path, "product": product, "reason": "not Online"})
        if reasons:
            raise ActivationRejected("a product is not Online", reasons=reasons)


class RefuseEverything:
    async def preprocess(self, action: ReplicationAction, options: ReplicationOptions) -> None:
        if action.type is ReplicationActionType.ACTIVATE:
            raise ActivationRejected(
                "closed",
                reasons=[{"path": p, "product": None, "reason": "closed"} for p in action.paths],
            )


class Recorder:
    def __init__(self) -> None:
        self.events: list[ReplicationEvent] = []

    async def on_event(self, event: ReplicationEvent) -> None:
        self.events.append(event)


class Broken:
    async def on_event(self, event: ReplicationEvent) -> None:
        raise RuntimeError("a listener bug")


def _extensions(*preprocessors: object, listeners: tuple[object, ...] = ()) -> Extensions:
    ext = Extensions()
    context = PluginContext(ext, Settings())
    for i, preprocessor in enumerate(preprocessors):
        context.add_replication_preprocessor(preprocessor, ranking=i)
    for listener in listeners:
        context.add_replication_listener(listener)
    return ext


async def test_a_refusal_answers_409_with_reasons_and_queues_nothing(
    start_author: StartAuthor, publish: object
) -> None:
    rules = RefuseBlocked()
    author = await start_author(extensions=_extensions(rules))
    pair = Pair(author, author)
    await pair.make_page("/content/site/ok")
    await pair.make_page("/content/site/bad")
    session = pair.repo(author).session("admin")
    await session.set_property(
        "/content/site/bad/jcr:content", "blocked", "/etc/commerce/products/x"
    )
    await session.save()
    resp = await pair.replicate("Activate", "/content/site/ok", "/content/site/bad")
    body = await assert_error(resp, 409, "activation-rejected")
    assert body["details"]["reasons"] == [
        {"path": "/content/site/bad", "product": "/etc/commerce/products/x", "reason": "not Online"}
    ]
    assert (await pair.queue())["entries"] == []
    node = await pair.repo(author).session("admin").node("/content/site/ok/jcr:content")
    assert "cq:lastReplicated" not in node.properties
    assert rules.seen[0].paths == ("/content/site/ok", "/content/site/bad")
    assert rules.seen[0].user_id == "admin"
    resp = await pair.replicate("Deactivate", "/content/site/bad")
    assert resp.status == 200


async def test_reasons_of_every_preprocessor_are_reported_together(
    start_author: StartAuthor,
) -> None:
    author = await start_author(extensions=_extensions(RefuseBlocked(), RefuseEverything()))
    pair = Pair(author, author)
    await pair.make_page("/content/site/bad")
    session = pair.repo(author).session("admin")
    await session.set_property("/content/site/bad/jcr:content", "blocked", "/p")
    await session.save()
    resp = await pair.replicate("Activate", "/content/site/bad")
    body = await assert_error(resp, 409, "activation-rejected")
    assert {r["reason"] for r in body["details"]["reasons"]} == {"not Online", "closed"}


async def test_deep_activation_runs_the_preprocessors_on_every_page(
    start_author: StartAuthor,
) -> None:
    author = await start_author(extensions=_extensions(RefuseBlocked()))
    pair = Pair(author, author)
    await pair.make_page("/content/site/en")
    await pair.make_page("/content/site/en/bad")
    session = pair.repo(author).session("admin")
    await session.set_property("/content/site/en/bad/jcr:content", "blocked", "/p")
    await session.save()
    resp = await pair.replicate("Activate", "/content/site/en", extra={"deep": "true"})
    body = await assert_error(resp, 409, "activation-rejected")
    assert [r["path"] for r in body["details"]["reasons"]] == ["/content/site/en/bad"]
    assert (await pair.queue())["entries"] == []


async def test_listeners_hear_queued_and_delivered(start_author: StartAuthor) -> None:
    recorder = Recorder()
    author = await start_author(extensions=_extensions(listeners=(Broken(), recorder)))
    pair = Pair(author, author)
    await pair.make_page("/content/site/en")
    await pair.activate("/content/site/en")
    await pair.wait_idle()
    kinds = [e.kind for e in recorder.events]
    assert kinds == ["queued", "delivered"]
    queued, delivered = recorder.events
    assert queued.paths == ("/content/site/en",)
    assert queued.type is ReplicationActionType.ACTIVATE
    assert queued.user_id == "admin"
    assert delivered.agent == "publish"
    assert delivered.entry_id is not None


async def test_preprocessors_are_services_ranked_best_first() -> None:
    ext = _extensions(RefuseBlocked(), RefuseEverything())
    found = ext.services.all(ReplicationPreprocessor)  # type: ignore[type-abstract]
    assert [type(p).__name__ for p in found] == ["RefuseEverything", "RefuseBlocked"]
