"""Settings: defaults < TOML file < environment (REPO_*) < CLI flags; the only os.environ reader."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from repo_server.errors import InvalidInput


class SettingsError(InvalidInput):
    code = "invalid-setting"


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: str = field(default="./data", metadata={"help": "directory of the store and secrets"})
    role: Literal["author", "publish"] = field(default="author", metadata={"help": "instance role"})
    host: str = field(default="127.0.0.1", metadata={"help": "address to bind"})
    port: int = field(default=4502, metadata={"help": "port to bind"})
    admin_password: str | None = field(
        default=None, metadata={"help": "first-start admin password (REPO_ADMIN_PASSWORD)"}
    )
    json_max_results: int = field(default=200, metadata={"help": "Sling json.maximumresults"})
    name_max_length: int = field(default=20, metadata={"help": "generated node name length"})
    max_body_bytes: int = field(default=16 * 1024 * 1024, metadata={"help": "request body limit"})
    allowed_origins: tuple[str, ...] = field(
        default=(), metadata={"help": "origins allowed to POST from a browser (referrer filter)"}
    )
    allow_empty_referrer: bool = field(
        default=True, metadata={"help": "POSTs without Origin/Referer pass the referrer filter"}
    )
    publish_url: str | None = field(default=None, metadata={"help": "publish instance for agents"})
    replication_user: str = field(
        default="replication-receiver",
        metadata={"help": "publish: the receiver's user; author: the default agent's user"},
    )
    replication_password: str | None = field(
        default=None,
        metadata={
            "help": "the receiver user's password (REPO_REPLICATION_PASSWORD); else "
            "DATA_DIR/replication-password"
        },
    )
    replication_retry_delay_ms: int = field(
        default=60_000, metadata={"help": "retry delay of the default replication agent"}
    )
    readers: int = field(default=3, metadata={"help": "SQLite reader connections"})
    load_plugins: bool = field(
        default=True, metadata={"help": "load repo_server.plugins entry points"}
    )
    load_demo: bool = field(default=False, metadata={"help": "load fixtures on first start"})
    tables: Mapping[str, Mapping[str, Any]] = field(
        default_factory=dict,
        metadata={"help": "the settings file's other tables ([commerce], ...), for plugins"},
    )

    @property
    def store_path(self) -> str:
        return os.path.join(self.data_dir, "repository.db")


_ENV_PREFIX = "REPO_"


def _cast(name: str, raw: Any, target: Any) -> Any:
    kind = str(target)
    try:
        if "tuple" in kind:
            if isinstance(raw, str):
                return tuple(s.strip() for s in raw.split(",") if s.strip())
            return tuple(str(x) for x in raw)
        if kind in ("int", "<class 'int'>"):
            return int(raw)
        if kind in ("bool", "<class 'bool'>"):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(raw)
            return text in ("1", "true", "yes", "on")
        if "Literal" in kind:
            if raw not in ("author", "publish"):
                raise ValueError(raw)
            return raw
        return None if raw is None else str(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name}: cannot use {raw!r}", setting=name) from None


def load_settings(
    path: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Layer the sources; unknown keys and bad values fail with the key's name."""
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    tables: dict[str, Mapping[str, Any]] = {}
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc}") from exc
        # Settings live at the top level or in a [repository] table; every other table
        # ([commerce], ...) is kept for the plugin that owns it.
        flat = dict(data.get("repository", {}))
        for key, raw in data.items():
            if key == "repository":
                continue
            if isinstance(raw, dict):
                tables[key] = raw
            else:
                flat[key] = raw
        for key, raw in flat.items():
            if key not in fields or key == "tables":
                raise SettingsError(f"unknown setting {key!r} in {path}", setting=key)
            values[key] = _cast(key, raw, fields[key].type)
    env = os.environ if environ is None else environ
    for key, f in fields.items():
        if key == "tables":
            continue
        raw_env = env.get(_ENV_PREFIX + key.upper())
        if raw_env is not None:
            values[key] = _cast(key, raw_env, f.type)
    for key, raw in (overrides or {}).items():
        if raw is None:
            continue
        if key not in fields:
            raise SettingsError(f"unknown setting {key!r}", setting=key)
        values[key] = _cast(key, raw, fields[key].type)
    return Settings(**values, tables=tables)
