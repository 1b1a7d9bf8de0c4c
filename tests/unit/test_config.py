"""Settings: layering of defaults, file, environment and flags; plugin tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo_server.config import SettingsError, load_settings


def test_file_environment_and_flags_layer_in_that_order(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[repository]\nport = 4600\nrole = "publish"\n', encoding="utf-8")
    settings = load_settings(str(path), environ={"REPO_PORT": "4700"}, overrides={"host": "::1"})
    assert (settings.port, settings.role, settings.host) == (4700, "publish", "::1")


def test_other_tables_are_kept_for_plugins(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("port = 4601\n[commerce]\njcr_ranking = 5\n", encoding="utf-8")
    settings = load_settings(str(path), environ={})
    assert settings.port == 4601
    assert settings.tables == {"commerce": {"jcr_ranking": 5}}


def test_unknown_key_fails_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[repository]\nprot = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="prot"):
        load_settings(str(path), environ={})


def test_bad_environment_value_fails_with_the_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="port"):
        load_settings(None, environ={"REPO_PORT": "many"})
