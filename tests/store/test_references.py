"""References and referential integrity (spec §9), identifiers across copy and move (§3, §5.3)."""

from __future__ import annotations

import sqlite3

import pytest

from repo_server.errors import ReferentialIntegrity
from repo_server.model.values import Property, PropertyType
from repo_server.session.session import ContentSession

T = PropertyType
MISSING = "01890000-0000-7000-8000-000000000000"


def ref(uuid: str) -> Property:
    return Property(T.REFERENCE, False, (uuid,))


def weak(uuid: str) -> Property:
    return Property(T.WEAKREFERENCE, False, (uuid,))


async def target(session: ContentSession, path: str) -> str:
    await session.add_node(path, mixins=["mix:referenceable"])
    await session.save()
    uuid = (await session.node(path)).uuid
    assert uuid is not None
    return uuid


def ref_rows(session: ContentSession) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(session.store.path)
    try:
        return list(conn.execute("SELECT target, source_id, name, weak FROM ref ORDER BY name"))
    finally:
        conn.close()


async def test_a_referenceable_node_gets_a_time_ordered_uuid(session: ContentSession) -> None:
    first = await target(session, "/t1")
    second = await target(session, "/t2")
    assert len(first) == 36
    assert first[14] == "7"  # version nibble of a UUIDv7-style identifier
    assert first != second
    assert (await session.node_by_uuid(first)) == await session.node("/t1")


async def test_a_reference_to_a_missing_uuid_is_refused_at_save(session: ContentSession) -> None:
    await session.add_node("/src", properties={"r": ref(MISSING)})
    head = session.store.head
    with pytest.raises(ReferentialIntegrity, match=MISSING):
        await session.save()
    assert session.store.head == head
    assert not await session.repository.session("x").exists("/src")


async def test_a_weak_reference_to_a_missing_uuid_is_allowed(session: ContentSession) -> None:
    await session.add_node("/src", properties={"w": weak(MISSING)})
    await session.save()
    assert (await session.node("/src")).properties["w"].value == MISSING


async def test_references_are_recorded_and_queried(session: ContentSession) -> None:
    uuid = await target(session, "/t")
    await session.add_node("/a", properties={"r": ref(uuid), "w": weak(uuid)})
    await session.add_node("/b", properties={"many": Property(T.REFERENCE, True, (uuid, uuid))})
    await session.save()
    assert sorted(await session.references("/t")) == ["/a/r", "/b/many"]
    assert await session.references("/t", "many") == ["/b/many"]
    assert await session.references("/t", weak=True) == ["/a/w"]
    assert len(ref_rows(session)) == 3  # one row per distinct target


async def test_deleting_a_referenced_node_fails_naming_the_referrers(
    session: ContentSession,
) -> None:
    uuid = await target(session, "/t")
    await session.add_node("/a", properties={"r": ref(uuid)})
    await session.add_node("/b", properties={"r2": ref(uuid)})
    await session.save()
    await session.remove("/t")
    head = session.store.head
    with pytest.raises(ReferentialIntegrity) as info:
        await session.save()
    assert "/a/r" in str(info.value)
    assert "/b/r2" in str(info.value)
    assert info.value.details["referrers"] == ["/a/r", "/b/r2"]
    assert session.store.head == head
    assert await session.repository.session("x").exists("/t")


async def test_deleting_an_ancestor_of_a_referenced_node_fails(session: ContentSession) -> None:
    await session.add_node("/p")
    await session.save()
    uuid = await target(session, "/p/t")
    await session.add_node("/a", properties={"r": ref(uuid)})
    await session.save()
    await session.remove("/p")
    with pytest.raises(ReferentialIntegrity, match="/a/r"):
        await session.save()


async def test_deleting_a_referenced_node_with_its_referrer_in_one_save_works(
    session: ContentSession,
) -> None:
    uuid = await target(session, "/t")
    await session.add_node("/a", properties={"r": ref(uuid)})
    await session.save()
    await session.remove("/t")
    await session.remove("/a")
    await session.save()
    assert ref_rows(session) == []


async def test_deleting_a_referenced_node_after_changing_the_reference_works(
    session: ContentSession,
) -> None:
    uuid = await target(session, "/t")
    await session.add_node("/a", properties={"r": ref(uuid)})
    await session.save()
    await session.remove("/t")
    await session.set_property("/a", "r", "no longer a reference")
    await session.save()
    assert await session.references("/a") == []


async def test_references_inside_a_removed_subtree_do_not_block_it(
    session: ContentSession,
) -> None:
    await session.add_node("/tree")
    await session.save()
    uuid = await target(session, "/tree/t")
    await session.add_node("/tree/src", properties={"r": ref(uuid)})
    await session.save()
    await session.remove("/tree")
    await session.save()
    assert not await session.exists("/tree")
    assert ref_rows(session) == []


async def test_weak_references_never_block_a_removal(session: ContentSession) -> None:
    uuid = await target(session, "/t")
    await session.add_node("/a", properties={"w": weak(uuid)})
    await session.save()
    await session.remove("/t")
    await session.save()
    assert await session.node_by_uuid(uuid) is None
    assert (await session.node("/a")).properties["w"].value == uuid


async def test_a_move_keeps_the_uuid_and_the_references(session: ContentSession) -> None:
    uuid = await target(session, "/t")
    await session.add_node("/a", properties={"r": ref(uuid)})
    await session.add_node("/dest")
    await session.save()
    await session.move("/t", "/dest/moved")
    await session.save()
    assert (await session.node("/dest/moved")).uuid == uuid
    assert await session.references("/dest/moved") == ["/a/r"]
    await session.rename("/dest", "renamed")
    await session.save()
    assert (await session.node_by_uuid(uuid)) == await session.node("/renamed/moved")


async def test_a_copy_gets_new_uuids_and_repoints_internal_references(
    session: ContentSession,
) -> None:
    await session.add_node("/src")
    await session.save()
    inner = await target(session, "/src/t")
    outer = await target(session, "/outside")
    await session.add_node(
        "/src/refs",
        properties={
            "inner": ref(inner),
            "outer": ref(outer),
            "weak_inner": weak(inner),
            "both": Property(T.REFERENCE, True, (inner, outer)),
        },
    )
    await session.save()
    await session.copy("/src", "/copy")
    await session.save()
    copied = await session.node("/copy/t")
    assert copied.uuid is not None
    assert copied.uuid != inner
    refs = (await session.node("/copy/refs")).properties
    assert refs["inner"].value == copied.uuid
    assert refs["weak_inner"].value == copied.uuid
    assert refs["outer"].value == outer
    assert refs["both"].values == (copied.uuid, outer)
    assert sorted(await session.references("/outside")) == [
        "/copy/refs/both",
        "/copy/refs/outer",
        "/src/refs/both",
        "/src/refs/outer",
    ]
    assert sorted(await session.references("/src/t")) == ["/src/refs/both", "/src/refs/inner"]


async def test_a_copied_uuid_never_collides_with_the_original(session: ContentSession) -> None:
    uuid = await target(session, "/t")
    await session.copy("/t", "/t2")
    await session.copy("/t", "/t3")
    await session.save()
    uuids = {(await session.node(p)).uuid for p in ("/t", "/t2", "/t3")}
    assert len(uuids) == 3
    assert uuid in uuids


async def test_removing_mix_referenceable_from_a_referenced_node_fails(
    session: ContentSession,
) -> None:
    uuid = await target(session, "/t")
    await session.add_node("/a", properties={"r": ref(uuid)})
    await session.save()
    await session.remove_mixin("/t", "mix:referenceable")
    with pytest.raises(ReferentialIntegrity, match="/a/r"):
        await session.save()
    assert (await session.repository.session("x").node("/t")).uuid == uuid


async def test_removing_mix_referenceable_drops_the_uuid(session: ContentSession) -> None:
    uuid = await target(session, "/t")
    await session.remove_mixin("/t", "mix:referenceable")
    await session.save()
    node = await session.node("/t")
    assert node.uuid is None
    assert "jcr:uuid" not in node.properties
    assert await session.node_by_uuid(uuid) is None
