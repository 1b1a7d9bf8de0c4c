"""Layers go one way (STYLE §1): walk every import with `ast` and fail on an upward one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> packages it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "repo_server": ("commerce",),
    "repo_server.model": (
        "repo_server.store",
        "repo_server.session",
        "repo_server.http",
        "repo_server.nodetypes",
        "aiohttp",
        "aiosqlite",
        "sqlite3",
    ),
    "repo_server.nodetypes": ("repo_server.store", "repo_server.session", "repo_server.http"),
    "repo_server.store": ("repo_server.session", "repo_server.http", "repo_server.nodetypes"),
    "repo_server.session": ("repo_server.http", "aiohttp"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _sources() -> list[Path]:
    return sorted((ROOT / "repo_server").rglob("*.py"))


def test_the_layer_table_names_real_packages() -> None:
    for package in FORBIDDEN:
        assert (ROOT / package.replace(".", "/")).is_dir(), package


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_no_upper_layer(path: Path) -> None:
    module = _module_name(path)
    imports = _imports(path)
    for package, banned in FORBIDDEN.items():
        if module != package and not module.startswith(package + "."):
            continue
        for name in imports:
            for bad in banned:
                upward = name == bad or name.startswith(bad + ".")
                assert not upward, f"{module} imports {name} ({package} must not use {bad})"


def test_only_config_reads_the_environment() -> None:
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        if path.name == "config.py" and path.parent.name == "repo_server":
            continue
        assert "os.environ" not in text, f"{path} reads os.environ"
        assert "getenv(" not in text, f"{path} reads the environment"
