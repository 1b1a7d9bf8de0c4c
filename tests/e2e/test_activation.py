"""Activation between two real processes: an author and a publish instance on 127.0.0.1."""

from __future__ import annotations

import pytest

from .e2e_support import (
    StartServer,
    make_page,
    published,
    queue,
    replicate,
    set_title,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_activate_read_anonymously_on_publish_then_deactivate(start_server: StartServer) -> None:
    publish = start_server("publish")
    author = start_server("author", "--publish-url", publish.url)
    make_page(author.url, "/content/e2e", "Site")
    make_page(author.url, "/content/e2e/home", "Home")
    assert published(publish.url, "/content/e2e/home")[0] == 404

    body = replicate(author.url, "Activate", "/content/e2e/home")
    assert body["paths"] == ["/content/e2e/home"]
    _status, content = wait_for(
        lambda: (
            r if (r := published(publish.url, "/content/e2e/home/jcr:content"))[0] == 200 else None
        ),
        "the page on publish",
    )
    assert content["jcr:title"] == "Home"
    assert content["cq:lastReplicationAction"] == "Activate"
    assert published(publish.url, "/content/e2e")[0] == 200  # parent created with its type

    replicate(author.url, "Deactivate", "/content/e2e/home")
    wait_for(lambda: published(publish.url, "/content/e2e/home")[0] == 404, "deactivation")
    # Publish answers 404 as soon as it applied the batch; the author empties its queue after
    # the batch's answer arrives, a moment later.
    wait_for(lambda: queue(author.url)["state"] == "idle", "the queue to drain")
    assert author.process.poll() is None
    assert publish.process.poll() is None


def test_publish_down_then_up_gets_everything_in_order_once(start_server: StartServer) -> None:
    publish = start_server("publish")
    author = start_server("author", "--publish-url", publish.url)
    stop(publish)
    make_page(author.url, "/content/e2e", "Site")
    make_page(author.url, "/content/e2e/a", "A1")
    make_page(author.url, "/content/e2e/b", "B")
    replicate(author.url, "Activate", "/content/e2e/a", "/content/e2e/b")
    set_title(author.url, "/content/e2e/a", "A2")
    replicate(author.url, "Activate", "/content/e2e/a")
    replicate(author.url, "Deactivate", "/content/e2e/b")
    blocked = wait_for(
        lambda: q if (q := queue(author.url))["state"] == "blocked" else None, "blocked"
    )
    assert [(e["action"], e["path"]) for e in blocked["entries"]] == [
        ("Activate", "/content/e2e/a"),
        ("Activate", "/content/e2e/b"),
        ("Activate", "/content/e2e/a"),
        ("Deactivate", "/content/e2e/b"),
    ]
    assert blocked["entries"][0]["lastError"]

    publish = start_server("publish", port=publish.port)  # same data dir, same port
    wait_for(lambda: queue(author.url)["state"] == "idle", "the queue to drain")
    status, content = published(publish.url, "/content/e2e/a/jcr:content")
    assert status == 200
    assert content["jcr:title"] == "A2"
    assert published(publish.url, "/content/e2e/b")[0] == 404
