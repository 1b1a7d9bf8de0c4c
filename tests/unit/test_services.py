"""The OSGi-like service registry (ranking, filters) and the plugin context."""

from __future__ import annotations

from typing import Any

import pytest

from repo_server.config import Settings
from repo_server.extensions import Extensions, PluginContext
from repo_server.services import ServiceNotFound, ServiceReference, ServiceRegistry


class Named:
    def __init__(self, name: str) -> None:
        self.name = name

    def greet(self) -> str:
        return self.name


class Other:
    pass


def test_the_highest_ranked_service_wins() -> None:
    registry = ServiceRegistry()
    registry.register(Named, Named("low"), {"service.ranking": -5})
    registry.register(Named, Named("high"), {"service.ranking": 100})
    registry.register(Named, Named("default"))
    assert registry.require(Named).name == "high"
    assert [s.name for s in registry.all(Named)] == ["high", "default", "low"]


def test_among_equal_rankings_the_first_registered_wins() -> None:
    registry = ServiceRegistry()
    registry.register(Named, Named("first"), {"service.ranking": 10})
    registry.register(Named, Named("second"), {"service.ranking": 10})
    assert registry.require(Named).name == "first"


def test_a_missing_ranking_counts_as_zero() -> None:
    registry = ServiceRegistry()
    registry.register(Named, Named("negative"), {"service.ranking": -1})
    registry.register(Named, Named("unranked"))
    assert registry.require(Named).name == "unranked"


@pytest.mark.parametrize("bad", [None, "high", 1.5, [1]])
def test_a_ranking_that_is_not_an_integer_counts_as_zero(bad: Any) -> None:
    ref = ServiceReference(Named, Named("x"), {"service.ranking": bad})
    assert ref.ranking == 0


def test_services_filter_by_property() -> None:
    registry = ServiceRegistry()
    registry.register(Named, Named("geo"), {"commerceProvider": "geometrixx"})
    registry.register(Named, Named("hybris"), {"commerceProvider": "hybris", "service.ranking": 5})
    assert registry.require(Named, commerceProvider="geometrixx").name == "geo"
    assert registry.get(Named, commerceProvider="nope") is None
    assert registry.require(Named).name == "hybris"


def test_require_names_the_interface_and_the_filter_when_nothing_matches() -> None:
    registry = ServiceRegistry()
    with pytest.raises(ServiceNotFound, match="Named service with commerceProvider=x") as info:
        registry.require(Named, commerceProvider="x")
    assert info.value.status == 404
    with pytest.raises(ServiceNotFound, match=r"no Other service$"):
        registry.require(Other)


def test_services_are_kept_per_interface() -> None:
    registry = ServiceRegistry()
    registry.register(Named, Named("n"))
    assert registry.get(Other) is None
    assert registry.all(Other) == []


def test_an_unregistered_service_is_no_longer_found() -> None:
    registry = ServiceRegistry()
    top = registry.register(Named, Named("top"), {"service.ranking": 9})
    registry.register(Named, Named("next"))
    registry.unregister(top)
    assert registry.require(Named).name == "next"
    registry.unregister(top)  # twice is harmless
    assert len(registry.references(Named)) == 1


def test_listeners_hear_registrations_and_unregistrations() -> None:
    registry = ServiceRegistry()
    events: list[tuple[str, str]] = []
    registry.add_listener(lambda ref, what: events.append((ref.service.name, what)))
    ref = registry.register(Named, Named("a"))
    registry.unregister(ref)
    assert events == [("a", "registered"), ("a", "unregistered")]


def test_a_plugin_context_registers_into_the_extensions(settings: Settings) -> None:
    extensions = Extensions()
    context = PluginContext(extensions, settings)
    context.services.register(Named, Named("plugin"), {"service.ranking": 1})
    context.add_node_types("[shop:Thing] > nt:unstructured")
    context.add_commit_hook(lambda tree, writer: None)
    assert extensions.services.require(Named).name == "plugin"
    assert extensions.node_types == ["[shop:Thing] > nt:unstructured"]
    assert len(extensions.commit_hooks) == 1
