"""The commerce activation rules between two real processes: an author with the demo content
(`--demo`: products under /etc/commerce/products, product pages under /content) and a publish
instance on 127.0.0.1, driven over HTTP only (issue 6, "How it is checked")."""

from __future__ import annotations

from typing import Any

import pytest

from .e2e_support import StartServer, make_page, published, queue, replicate, request, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

SHIRTS = "/content/geometrixx-outdoors/en/men/shirts"
PAGE = SHIRTS + "/harbor-polo"
PRODUCT = "/etc/commerce/products/geometrixx-outdoors/men/shirts/harbor_polo"
CAMPAIGN = "/content/e2e-campaign"


def refused(author: str, *paths: str) -> list[dict[str, Any]]:
    """Activate `paths`, expecting the rules to refuse: the reasons."""
    status, body = request(
        f"{author}/bin/replicate.json", [("cmd", "Activate"), *(("path", p) for p in paths)]
    )
    assert status == 409, body
    assert body["code"] == "activation-rejected", body
    reasons: list[dict[str, Any]] = body["details"]["reasons"]
    return reasons


def operation(author: str, path: str, name: str) -> dict[str, Any]:
    status, body = request(f"{author}{path}", [(":operation", name)])
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def drained(author: str) -> None:
    wait_for(lambda: queue(author)["state"] == "idle", "the author's queue to drain")


def price_on_publish(publish: str) -> object:
    """The price the product page shows to an anonymous visitor on publish."""
    status, body = request(f"{publish}{PAGE}.product.json", auth=False)
    assert status == 200, body
    return body["properties"]["price"]


def test_rules_sync_edit_resync_and_unsync_between_two_processes(
    start_server: StartServer,
) -> None:
    publish = start_server("publish").url
    author = start_server("author", "--publish-url", publish, "--demo").url

    # The rules: a product page whose product is not Online, product data itself, and a page
    # that references the product in any property are refused, and nothing at all is queued
    # for a request in which one path is refused.
    reasons = refused(author, PAGE)  # the product and each variant the page names
    assert {r["path"] for r in reasons} == {PAGE}
    assert reasons[0]["product"] == PRODUCT
    assert all(r["product"].startswith(PRODUCT) for r in reasons)
    assert "product page" in reasons[0]["reason"]
    assert [r["path"] for r in refused(author, PRODUCT)] == [PRODUCT]
    make_page(author, CAMPAIGN, "Campaign")
    status, body = request(f"{author}{CAMPAIGN}/jcr:content", [("featured", PRODUCT)])
    assert status == 200, body
    assert [(r["path"], r["product"]) for r in refused(author, CAMPAIGN, SHIRTS)] == [
        (CAMPAIGN, PRODUCT)
    ]
    assert queue(author)["entries"] == []
    for path in (PAGE, PRODUCT, CAMPAIGN, SHIRTS):
        assert published(publish, path)[0] == 404, path

    # A sync puts the product Online, ships its data and activates its product page.
    body = operation(author, PRODUCT, "commerce:sync")
    assert body["catalogVersion"] == "Online"
    assert body["products"] == [PRODUCT]
    assert body["activated"] == [PAGE]
    assert body["refused"] == []
    drained(author)
    status, content = published(publish, PAGE + "/jcr:content")
    assert status == 200, content
    assert price_on_publish(publish) == "41.50"
    assert request(f"{publish}{PRODUCT}.json")[0] == 200  # the Online data, at its own path
    replicate(author, "Activate", CAMPAIGN)  # its product is Online now
    drained(author)
    assert published(publish, CAMPAIGN + "/jcr:content")[0] == 200

    # An edit on author stays on author (Staged) until the next sync, even when the page
    # itself is activated again.
    status, body = request(
        f"{author}{PRODUCT}", [("price", "45.00"), ("price@TypeHint", "Decimal")]
    )
    assert status == 200, body
    status, staged = request(f"{author}{PRODUCT}.product.json?catalogVersion=Staged")
    assert (status, staged["properties"]["price"]) == (200, "45.00"), staged
    status, online = request(f"{author}{PRODUCT}.product.json?catalogVersion=Online")
    assert (status, online["properties"]["price"]) == (200, "41.50"), online
    replicate(author, "Activate", PAGE)
    drained(author)
    assert price_on_publish(publish) == "41.50"
    body = operation(author, PRODUCT, "commerce:sync")
    assert body["activated"] == []  # already Online: the data goes, the page is there
    drained(author)
    assert price_on_publish(publish) == "45.00"

    # An unsync deactivates the product page, then the data; the page is refused again.
    body = operation(author, PRODUCT, "commerce:unsync")
    assert body["left"] == [PRODUCT]
    assert body["deactivated"] == [PAGE]
    drained(author)
    assert published(publish, PAGE)[0] == 404
    assert request(f"{publish}{PRODUCT}.json")[0] == 404  # as admin: the data is gone
    status, body = request(f"{author}{PRODUCT}.product.json?catalogVersion=Online")
    assert (status, body["code"]) == (404, "not-in-catalog-version"), body
    assert {r["path"] for r in refused(author, PAGE)} == {PAGE}
    assert queue(author)["entries"] == []
