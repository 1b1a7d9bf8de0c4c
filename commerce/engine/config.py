"""EngineSettings and load_settings(): the only reader of the environment for the engine."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from commerce.engine.errors import InvalidInput


class SettingsError(InvalidInput):
    code = "invalid_setting"


@dataclass(frozen=True, slots=True)
class EngineSettings:
    data_dir: Path = field(metadata={"help": "directory of the engine database and admin-password"})
    host: str = field(default="127.0.0.1", metadata={"help": "address to bind"})
    port: int = field(default=9002, metadata={"help": "port to bind"})
    admin_password: str | None = field(
        default=None,
        metadata={"help": "password of `admin` on first start (env ENGINE_ADMIN_PASSWORD)"},
    )
    definitions_file: Path | None = field(
        default=None,
        metadata={
            "help": "JSON file of integration objects loaded at start (env ENGINE_DEFINITIONS)"
        },
    )
    page_size_default: int = field(
        default=10, metadata={"help": "odata2services.page.size.default"}
    )
    page_size_max: int = field(default=1000, metadata={"help": "odata2services.page.size.max"})
    batch_limit: int = field(default=200, metadata={"help": "odata2services.batch.limit"})
    sap_status_codes: bool = field(
        default=False,
        metadata={"help": "integrationapi.compat.sapStatusCodes: PATCH 200, DELETE 200"},
    )
    access_rights: bool = field(
        default=True,
        metadata={
            "help": "integrationservices.authorization.accessrights.enabled: type-level rights"
        },
    )
    inbound_monitoring: bool = field(
        default=False,
        metadata={"help": "inboundservices.monitoring.enabled: record non-GET requests (§9)"},
    )
    inbound_success_payload: bool = field(
        default=False,
        metadata={"help": "inboundservices.monitoring.success.payload.retention"},
    )
    inbound_error_payload: bool = field(
        default=False,
        metadata={"help": "inboundservices.monitoring.error.payload.retention"},
    )
    monitoring_payload_max: int = field(
        default=65536, metadata={"help": "characters of a payload kept in a monitoring record"}
    )
    token_lifetime: int = field(default=3600, metadata={"help": "OAuth token lifetime in seconds"})
    trust_forwarded: bool = field(
        default=False, metadata={"help": "build absolute URLs from X-Forwarded-Proto/Host"}
    )
    password_iterations: int = field(
        default=200_000, metadata={"help": "PBKDF2-SHA256 iterations for stored passwords"}
    )
    max_body_bytes: int = field(
        default=32 * 1024 * 1024, metadata={"help": "largest request body accepted"}
    )

    @property
    def database(self) -> Path:
        return self.data_dir / "engine.sqlite"


# SAP's property names (spec §14) accepted by `--set name=value` next to the field names.
SAP_NAMES: Final = {
    "odata2services.page.size.default": "page_size_default",
    "odata2services.page.size.max": "page_size_max",
    "odata2services.batch.limit": "batch_limit",
    "integrationapi.compat.sapStatusCodes": "sap_status_codes",
    "integrationservices.authorization.accessrights.enabled": "access_rights",
    "inboundservices.monitoring.enabled": "inbound_monitoring",
    "inboundservices.monitoring.success.payload.retention": "inbound_success_payload",
    "inboundservices.monitoring.error.payload.retention": "inbound_error_payload",
}


def _cast(name: str, kind: object, text: str) -> object:
    try:
        if kind in (int, "int"):
            return int(text)
        if kind in (bool, "bool"):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if kind in ("Path | None", "Path"):
            return Path(text)
    except ValueError:
        raise SettingsError(f"Setting [{name}] cannot be [{text}].") from None
    return text


def load_settings(
    data_dir: Path,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
) -> EngineSettings:
    """Defaults < environment (ENGINE_*) < overrides (CLI); raises SettingsError naming the key."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    if env.get("ENGINE_ADMIN_PASSWORD"):
        values["admin_password"] = env["ENGINE_ADMIN_PASSWORD"]
    if env.get("ENGINE_DEFINITIONS"):
        values["definitions_file"] = Path(env["ENGINE_DEFINITIONS"])
    fields = {f.name: f for f in dataclasses.fields(EngineSettings)}
    for key, text in (overrides or {}).items():
        name = SAP_NAMES.get(key, key)
        if name not in fields or name == "data_dir":
            raise SettingsError(f"Unknown setting [{key}].")
        values[name] = _cast(key, fields[name].type, text)
    settings = EngineSettings(data_dir=data_dir, **values)  # type: ignore[arg-type]
    for name in ("page_size_default", "page_size_max", "batch_limit"):
        if int(getattr(settings, name)) < 1:
            raise SettingsError(f"Setting [{name}] must be positive.")
    return settings
