"""Concurrent saves (spec §10.4): what merges and what is a conflict; a conflict writes nothing."""

from __future__ import annotations

import asyncio

import pytest

from repo_server.errors import ConcurrentModification
from repo_server.session.session import ContentSession


@pytest.fixture
async def base(session: ContentSession) -> ContentSession:
    await session.add_node("/n", properties={"p": "base", "q": "base"})
    await session.add_node("/n/a")
    await session.add_node("/n/b")
    await session.save()
    return session


async def value(session: ContentSession, path: str, name: str) -> object:
    node = await session.node(path)
    prop = node.properties.get(name)
    return None if prop is None else prop.value


async def conflicts(loser: ContentSession) -> None:
    head = loser.store.head
    with pytest.raises(ConcurrentModification, match="refresh"):
        await loser.save()
    assert loser.store.head == head
    assert loser.has_pending_changes


async def test_the_same_property_changed_differently_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.set_property("/n", "p", "mine")
    await other.set_property("/n", "p", "theirs")
    await other.save()
    await conflicts(base)
    assert await value(other, "/n", "p") == "theirs"


async def test_the_same_property_set_to_the_same_value_is_not_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.set_property("/n", "p", "same")
    await other.set_property("/n", "p", "same")
    await other.save()
    await base.save()
    assert await value(other, "/n", "p") == "same"


async def test_different_properties_of_one_node_merge(
    base: ContentSession, other: ContentSession
) -> None:
    await base.set_property("/n", "p", "mine")
    await other.set_property("/n", "q", "theirs")
    await other.save()
    await base.save()
    assert await value(other, "/n", "p") == "mine"
    assert await value(other, "/n", "q") == "theirs"


async def test_a_property_changed_on_one_side_and_removed_on_the_other_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.set_property("/n", "p", "mine")
    await other.remove_property("/n", "p")
    await other.save()
    await conflicts(base)


async def test_a_property_removed_on_one_side_and_changed_on_the_other_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.remove_property("/n", "p")
    await other.set_property("/n", "p", "theirs")
    await other.save()
    await conflicts(base)
    assert await value(other, "/n", "p") == "theirs"


async def test_a_property_removed_on_both_sides_is_not_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.remove_property("/n", "p")
    await other.remove_property("/n", "p")
    await other.save()
    await base.save()
    assert await value(other, "/n", "p") is None


async def test_changing_a_node_the_other_side_removed_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.set_property("/n/a", "x", "mine")
    await other.remove("/n/a")
    await other.save()
    await conflicts(base)
    assert not await other.exists("/n/a")


async def test_removing_a_node_the_other_side_changed_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.remove("/n/a")
    await other.set_property("/n/a", "x", "theirs")
    await other.save()
    await conflicts(base)
    assert await value(other, "/n/a", "x") == "theirs"


async def test_both_sides_adding_a_child_with_the_same_name_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.add_node("/n/c", properties={"by": "mine"})
    await other.add_node("/n/c", properties={"by": "theirs"})
    await other.save()
    await conflicts(base)
    assert await value(other, "/n/c", "by") == "theirs"


async def test_adding_different_children_of_one_parent_merges(
    base: ContentSession, other: ContentSession
) -> None:
    await base.add_node("/n/mine")
    await other.add_node("/n/theirs")
    await other.save()
    await base.save()
    assert await other.child_names("/n") == ["a", "b", "theirs", "mine"]


async def test_adding_under_a_parent_the_other_side_removed_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.add_node("/n/a/child")
    await other.remove("/n/a")
    await other.save()
    await conflicts(base)
    assert not await other.exists("/n/a")


async def test_moving_a_node_the_other_side_removed_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.move("/n/a", "/n/b/a")
    await other.remove("/n/a")
    await other.save()
    await conflicts(base)


async def test_reordering_children_whose_set_changed_concurrently_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.order_before("/n/b", "a")
    await other.add_node("/n/c")
    await other.save()
    await conflicts(base)
    assert await other.child_names("/n") == ["a", "b", "c"]


async def test_reordering_against_a_concurrent_removal_of_a_sibling_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.order_before("/n/b", "a")
    await other.remove("/n/a")
    await other.save()
    await conflicts(base)


async def test_reordering_merges_with_changes_to_other_properties(
    base: ContentSession, other: ContentSession
) -> None:
    await base.order_before("/n/b", "a")
    await other.set_property("/n", "q", "theirs")
    await other.save()
    await base.save()
    assert await other.child_names("/n") == ["b", "a"]
    assert await value(other, "/n", "q") == "theirs"


async def test_changing_the_types_of_a_node_changed_concurrently_is_a_conflict(
    base: ContentSession, other: ContentSession
) -> None:
    await base.add_mixin("/n", "mix:title")
    await other.add_mixin("/n", "mix:referenceable")
    await other.save()
    await conflicts(base)


async def test_after_a_conflict_refresh_and_retry_succeeds(
    base: ContentSession, other: ContentSession
) -> None:
    await base.set_property("/n", "p", "mine")
    await other.set_property("/n", "p", "theirs")
    await other.save()
    await conflicts(base)
    await base.refresh()
    await base.set_property("/n", "p", "mine")
    await base.save()
    assert await value(other, "/n", "p") == "mine"


async def test_simultaneous_conflicting_saves_let_exactly_one_win(
    base: ContentSession, other: ContentSession
) -> None:
    third = base.repository.session("third")
    sessions = [base, other, third]
    for index, s in enumerate(sessions):
        await s.set_property("/n", "p", f"v{index}")
    results = await asyncio.gather(*(s.save() for s in sessions), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 2
    assert all(isinstance(f, ConcurrentModification) for f in failures)
    winner = next(i for i, r in enumerate(results) if not isinstance(r, BaseException))
    fresh = base.repository.session("reader")
    assert await value(fresh, "/n", "p") == f"v{winner}"
