"""Activation and deactivation between a real author and a real publish server."""

from __future__ import annotations

from repo_server.model.values import Binary, PropertyType
from repo_server.replication import replication_of

from .replication_support import ADMIN, Client, Pair, assert_error


async def test_activated_page_is_readable_anonymously_on_publish(pair: Pair) -> None:
    await pair.make_page("/content/site/en", "English", children={"par": {"text": "hi"}})
    body = await pair.activate("/content/site/en")
    assert body["paths"] == ["/content/site/en"]
    assert body["queued"] == [
        {
            "agent": "publish",
            "id": body["queued"][0]["id"],
            "action": "Activate",
            "path": "/content/site/en",
        }
    ]
    await pair.wait_idle()
    resp = await pair.on_publish("/content/site/en/jcr:content")
    assert resp.status == 200
    content = await resp.json()
    assert content["jcr:title"] == "English"
    resp = await pair.on_publish("/content/site/en/jcr:content/par")
    assert (await resp.json())["text"] == "hi"


async def test_activation_records_the_status_on_the_page_content(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    await pair.activate("/content/site/en")
    node = await pair.repo(pair.author).session("admin").node("/content/site/en/jcr:content")
    assert "cq:ReplicationStatus" in node.mixins or node.primary_type == "cq:PageContent"
    assert node.properties["cq:lastReplicationAction"].value == "Activate"
    assert node.properties["cq:lastReplicatedBy"].value == "admin"
    assert node.properties["cq:lastReplicated"].type is PropertyType.DATE
    page = await pair.repo(pair.author).session("admin").node("/content/site/en")
    assert "cq:lastReplicated" not in page.properties


async def test_status_of_a_node_that_is_not_a_page_is_on_the_node(pair: Pair) -> None:
    session = pair.repo(pair.author).session("admin")
    await session.add_node("/content/files", "sling:Folder")
    await session.add_node("/content/files/doc", "nt:unstructured", properties={"a": 1})
    await session.save()
    await pair.activate("/content/files/doc")
    node = await pair.repo(pair.author).session("admin").node("/content/files/doc")
    assert node.mixins == ("cq:ReplicationStatus",)
    assert node.properties["cq:lastReplicationAction"].value == "Activate"
    await pair.wait_idle()
    resp = await pair.on_publish("/content/files/doc")
    assert (await resp.json())["a"] == 1


async def test_missing_parents_are_created_with_their_types(pair: Pair) -> None:
    await pair.make_page("/content/site/en/products/shirts")
    await pair.activate("/content/site/en/products/shirts")
    await pair.wait_idle()
    session = pair.repo(pair.publish).session("admin")
    for parent in ("/content/site", "/content/site/en", "/content/site/en/products"):
        node = await session.node(parent)
        assert node.primary_type == "cq:Page"
        assert not await session.exists(parent + "/jcr:content")
    assert (await pair.on_publish("/content/site/en")).status == 200


async def test_child_pages_are_not_activated_with_their_parent(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    await pair.make_page("/content/site/en/child", "Child")
    await pair.activate("/content/site/en")
    await pair.wait_idle()
    assert (await pair.on_publish("/content/site/en/jcr:content")).status == 200
    assert (await pair.on_publish("/content/site/en/child")).status == 404


async def test_deep_activation_activates_the_tree(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    await pair.make_page("/content/site/en/a")
    await pair.make_page("/content/site/en/a/b")
    body = await pair.activate("/content/site/en", deep="true")
    assert body["paths"] == ["/content/site/en", "/content/site/en/a", "/content/site/en/a/b"]
    await pair.wait_idle()
    for path in body["paths"]:
        assert (await pair.on_publish(path + "/jcr:content")).status == 200
    node = await pair.repo(pair.author).session("admin").node("/content/site/en/a/b/jcr:content")
    assert node.properties["cq:lastReplicationAction"].value == "Activate"


async def test_reactivation_replaces_the_content_and_keeps_child_pages(pair: Pair) -> None:
    await pair.make_page("/content/site/en", "One", children={"old": {"x": "1"}})
    await pair.make_page("/content/site/en/child", "Child")
    await pair.activate("/content/site/en", "/content/site/en/child")
    await pair.wait_idle()
    session = pair.repo(pair.author).session("admin")
    await session.remove("/content/site/en/jcr:content/old")
    await session.add_node("/content/site/en/jcr:content/new", "nt:unstructured")
    await session.set_property("/content/site/en/jcr:content", "jcr:title", "Two")
    await session.save()
    await pair.activate("/content/site/en")
    await pair.wait_idle()
    content = await (await pair.on_publish("/content/site/en/jcr:content")).json()
    assert content["jcr:title"] == "Two"
    assert (await pair.on_publish("/content/site/en/jcr:content/old")).status == 404
    assert (await pair.on_publish("/content/site/en/jcr:content/new")).status == 200
    assert (await pair.on_publish("/content/site/en/child/jcr:content")).status == 200
    names = await pair.repo(pair.publish).session("admin").child_names("/content/site/en")
    assert names == ["jcr:content", "child"]


async def test_the_package_is_the_content_as_it_was_when_queued(pair: Pair) -> None:
    await pair.make_page("/content/site/en", "Queued")
    service = replication_of(pair.repo(pair.author))
    service.queue("publish").paused = True
    await pair.activate("/content/site/en")
    await pair.set_title("/content/site/en", "Edited later")
    assert len((await pair.queue())["entries"]) == 1
    service.queue("publish").paused = False
    service.notify("publish")
    await pair.wait_idle()
    content = await (await pair.on_publish("/content/site/en/jcr:content")).json()
    assert content["jcr:title"] == "Queued"


async def test_a_disabled_agent_takes_nothing(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    await pair.set_agent("enabled", False)
    resp = await pair.replicate("Activate", "/content/site/en")
    await assert_error(resp, 503, "no-replication-agent")
    assert (await pair.queue())["entries"] == []


async def test_binaries_and_identifiers_arrive_unchanged(pair: Pair) -> None:
    data = bytes(range(256)) * 40  # above the inline limit: stored as a blob
    session = pair.repo(pair.author).session("admin")
    await pair.make_page("/content/site/en")
    await session.add_node(
        "/content/site/en/jcr:content/file",
        "nt:unstructured",
        mixins=["mix:referenceable"],
        properties={"data": Binary.of(data), "small": Binary.of(b"tiny")},
    )
    await session.save()
    uuid = (await session.node("/content/site/en/jcr:content/file")).uuid
    await pair.activate("/content/site/en")
    await pair.wait_idle()
    published = pair.repo(pair.publish).session("admin")
    node = await published.node("/content/site/en/jcr:content/file")
    assert node.uuid == uuid
    big = node.properties["data"].value
    small = node.properties["small"].value
    assert isinstance(big, Binary)
    assert isinstance(small, Binary)
    assert await published.read_binary(big) == data
    assert await published.read_binary(small) == b"tiny"


async def test_deactivation_removes_the_page_from_publish(pair: Pair) -> None:
    await pair.make_page("/content/site/en")
    await pair.activate("/content/site/en")
    await pair.wait_idle()
    assert (await pair.on_publish("/content/site/en")).status == 200
    body = await pair.deactivate("/content/site/en")
    assert body["cmd"] == "Deactivate"
    await pair.wait_idle()
    assert (await pair.on_publish("/content/site/en")).status == 404
    assert (await pair.on_publish("/content/site/en", anonymous=False)).status == 404
    node = await pair.repo(pair.author).session("admin").node("/content/site/en/jcr:content")
    assert node.properties["cq:lastReplicationAction"].value == "Deactivate"


async def test_deactivating_a_page_publish_never_had_succeeds(pair: Pair) -> None:
    await pair.make_page("/content/site/never")
    await pair.deactivate("/content/site/never")
    await pair.wait_idle()
    assert (await pair.queue())["state"] == "idle"


async def test_several_paths_in_one_request(pair: Pair) -> None:
    await pair.make_page("/content/site/a")
    await pair.make_page("/content/site/b")
    body = await pair.activate("/content/site/a", "/content/site/b")
    assert body["paths"] == ["/content/site/a", "/content/site/b"]
    await pair.wait_idle()
    for path in body["paths"]:
        assert (await pair.on_publish(path)).status == 200


async def test_replication_status_endpoint_reports_delivery(pair: Pair, author: Client) -> None:
    await pair.make_page("/content/site/en")
    resp = await author.get("/bin/replication/status.json?path=/content/site/en", headers=ADMIN)
    assert (await resp.json())["replicated"] is False
    await pair.activate("/content/site/en")
    await pair.wait_idle()
    resp = await author.get("/bin/replication/status.json?path=/content/site/en", headers=ADMIN)
    body = await resp.json()
    assert body["lastReplicationAction"] == "Activate"
    assert body["isDelivered"] is True
    assert body["pending"] == []
