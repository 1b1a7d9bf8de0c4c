"""pyodata's async client (aiohttp) against the engine over real HTTP (spec §15.1)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pyodata  # type: ignore[import-untyped]

from commerce.engine.model.values import JSONValue


async def test_async_client_creates_reads_filters_and_deletes(engine_server: Any) -> None:
    auth = {"Authorization": aiohttp.encode_basic_auth("admin", "admin-secret")}
    async with aiohttp.ClientSession(headers=auth) as session:
        url = f"{engine_server.url}/odata2webservices/InboundProduct"
        service = await pyodata.Client.build_async_client(url, session)
        cv: dict[str, JSONValue] = {"version": "Online", "catalog": {"id": "Async"}}
        for code in ("as|1", "as/2"):
            await (
                service.entity_sets.Products.create_entity()
                .set(code=code, name=code, catalogVersion=cv)
                .async_execute()
            )
        fetched = await service.entity_sets.Products.get_entity(
            "Online|Async|as%7C1"
        ).async_execute()
        assert fetched.code == "as|1"
        found = await (
            service.entity_sets.Products.get_entities()
            .filter("catalogVersion/integrationKey eq 'Online|Async'")
            .expand("catalogVersion")
            .async_execute()
        )
        assert sorted(p.code for p in found) == ["as/2", "as|1"]
        assert found[0].catalogVersion.version == "Online"
        await service.entity_sets.Products.delete_entity("Online|Async|as/2").async_execute()
        count = await (
            service.entity_sets.Products.get_entities()
            .filter("catalogVersion/integrationKey eq 'Online|Async'")
            .count()
            .async_execute()
        )
        assert count == 1
