"""CommerceSettings: the `[commerce]` table of the settings file (typed, defaulted, validated)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from repo_server.config import Settings, SettingsError


@dataclass(frozen=True, slots=True)
class CommerceSettings:
    providers: tuple[str, ...] = field(
        default=("jcr", "geometrixx"),
        metadata={"help": "names under which the generic JCR provider is registered"},
    )
    jcr_ranking: int = field(
        default=0, metadata={"help": "service.ranking of the generic JCR provider"}
    )
    sku_property: str = field(
        default="identifier", metadata={"help": "property holding a product's SKU"}
    )
    inherit_from_folders: bool = field(
        default=False,
        metadata={"help": "base products inherit from folders up to the provider root"},
    )
    render_cache: int = field(
        default=256, metadata={"help": ".product.json bodies kept per store revision (0: off)"}
    )
    products_root: str = field(
        default="/etc/commerce/products", metadata={"help": "root of the product data"}
    )

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> CommerceSettings:
        """Build from a `[commerce]` table; unknown keys and bad values fail with the key name."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in table.items():
            if key not in fields:
                raise SettingsError(f"unknown setting commerce.{key}", setting=f"commerce.{key}")
            default = fields[key].default
            ok = (
                isinstance(raw, list | tuple) and all(isinstance(x, str) for x in raw)
                if isinstance(default, tuple)
                else isinstance(raw, type(default))
                and not (isinstance(raw, bool) and not isinstance(default, bool))
            )
            if not ok:
                raise SettingsError(
                    f"setting commerce.{key}: cannot use {raw!r}", setting=f"commerce.{key}"
                )
            values[key] = tuple(raw) if isinstance(default, tuple) else raw
        return cls(**values)


def commerce_settings(settings: Settings) -> CommerceSettings:
    """The commerce settings that go with `settings`.

    The `[commerce]` table of the settings file arrives in `settings.tables`.
    """
    table = settings.tables.get("commerce")
    if isinstance(table, Mapping):
        return CommerceSettings.from_mapping(table)
    return CommerceSettings()
