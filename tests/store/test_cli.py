"""`repo-server` load, export and check through `cli.main(argv)`; bad input exits 2."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from repo_server.cli import main

DOC: dict[str, Any] = {
    ":path": "/catalog",
    "jcr:primaryType": "sling:OrderedFolder",
    "jcr:title": "Catalog",
    "zeta": {
        "jcr:primaryType": "nt:unstructured",
        "price": "12.50",
        "price@TypeHint": "Decimal",
        "released": "2024-03-01T10:00:00.123+01:00",
        "released@TypeHint": "Date",
        "tags": ["a", "b"],
        "empty": [],
        "count": 3,
        "ratio": 0.25,
        "onSale": False,
        "kind": "cq:Page",
        "kind@TypeHint": "Name",
        "link": "/catalog/alpha",
        "link@TypeHint": "Path",
        "sizes": [1, 2],
        "days": ["2024-03-01T00:00:00.000+00:00", "2024-03-02T00:00:00.000-05:00"],
        "days@TypeHint": "Date[]",
        "child": {"jcr:primaryType": "nt:unstructured", "x": "y"},
    },
    "alpha": {"jcr:primaryType": "nt:unstructured", "jcr:mixinTypes": ["mix:title"]},
}

AUTO = {"jcr:created", "jcr:createdBy", "jcr:uuid"}


def write(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def export(data_dir: str, path: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["export", path, "--data-dir", data_dir]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def strip(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        k: strip(v) if isinstance(v, dict) else v
        for k, v in doc.items()
        if k not in AUTO and k.rsplit("@", 1)[0] not in AUTO
    }


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    return str(tmp_path / "data")


def test_load_then_export_gives_the_content_back(
    tmp_path: Path, data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", write(tmp_path, "doc.json", DOC), "--data-dir", data_dir]) == 0
    assert "loaded 4 nodes" in capsys.readouterr().out
    doc = export(data_dir, "/catalog", capsys)
    assert list(strip(doc)) == [":path", "jcr:primaryType", "jcr:title", "zeta", "alpha"]
    assert strip(doc) == DOC


def test_an_exported_tree_loads_into_a_new_store_unchanged(
    tmp_path: Path, data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["load", write(tmp_path, "doc.json", DOC), "--data-dir", data_dir, "--quiet"])
    first = export(data_dir, "/catalog", capsys)
    second_dir = str(tmp_path / "second")
    assert main(["load", write(tmp_path, "export.json", first), "--data-dir", second_dir]) == 0
    second = export(second_dir, "/catalog", capsys)
    assert strip(second) == strip(first)


def test_a_file_without_path_loads_where_path_says(
    tmp_path: Path, data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = {"jcr:primaryType": "nt:unstructured", "x": 1}
    assert (
        main(["load", write(tmp_path, "d.json", doc), "--path", "/here", "--data-dir", data_dir])
        == 0
    )
    assert export(data_dir, "/here", capsys)["x"] == 1


def test_check_passes_on_a_good_store(
    tmp_path: Path, data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["load", write(tmp_path, "doc.json", DOC), "--data-dir", data_dir, "--quiet"])
    capsys.readouterr()
    assert main(["check", "--data-dir", data_dir]) == 0
    assert capsys.readouterr().out.strip() == "ok"


def test_check_of_a_directory_without_a_store_exits_2_and_creates_nothing(
    data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--data-dir", data_dir]) == 2
    assert "no repository at" in capsys.readouterr().err
    assert not Path(data_dir, "repository.db").exists()


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        (
            "UPDATE node SET path = '/catalog/renamed' WHERE path = '/catalog/alpha'",
            "does not match",
        ),
        ("UPDATE node SET ptype = 'nt:folder' WHERE path = '/catalog/zeta'", "jcr:primaryType"),
        ("UPDATE node SET parent_id = 999999 WHERE path = '/catalog/zeta/child'", "parent 999999"),
        ("UPDATE node SET props = x'c1' WHERE path = '/catalog/zeta'", "cannot be decoded"),
        ("INSERT INTO ref VALUES ('no-such-uuid', 1, 'r', 0)", "dangling REFERENCE"),
        ("UPDATE node SET rev = 999999 WHERE path = '/catalog'", "newer than the journal"),
        ("UPDATE node SET uuid = 'u-1' WHERE path = '/catalog/alpha'", "jcr:uuid"),
        (
            "UPDATE node SET sort_key = (SELECT sort_key FROM node WHERE path = '/catalog/zeta') "
            "WHERE path = '/catalog/alpha'",
            "same position",
        ),
    ],
)
def test_check_finds_a_planted_problem(
    tmp_path: Path, data_dir: str, capsys: pytest.CaptureFixture[str], sql: str, problem: str
) -> None:
    main(["load", write(tmp_path, "doc.json", DOC), "--data-dir", data_dir, "--quiet"])
    conn = sqlite3.connect(str(Path(data_dir) / "repository.db"))
    with conn:
        conn.execute(sql)
    conn.close()
    capsys.readouterr()
    assert main(["check", "--data-dir", data_dir]) == 1
    out = capsys.readouterr().out
    assert problem in out
    assert "problem(s)" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read"),
        ("[1, 2]", "one JSON object"),
        (b"\xff\xfe".decode("latin-1"), "cannot read"),
        ({":path": "/x", "bad|name": 1}, "bad|name"),
        ({":path": "/x", "n": "abc", "n@TypeHint": "Long"}, "abc"),
        ({":path": "/x", "n": "1", "n@TypeHint": "Integer"}, "Integer"),
        ({":path": "/x", "n": None}, "null"),
        ({":path": "relative/path"}, "relative/path"),
        ({":path": "/missing/parent/x"}, "/missing/parent"),
        ({"no": "path"}, ":path"),
        ({":path": "/x", "jcr:primaryType": "nt:nope"}, "nt:nope"),
        ({":path": "/x", "jcr:primaryType": "nt:file"}, "jcr:content"),
    ],
)
def test_bad_input_files_exit_2_with_a_clear_message(
    tmp_path: Path,
    data_dir: str,
    capsys: pytest.CaptureFixture[str],
    content: Any,
    message: str,
) -> None:
    filename = write(tmp_path, "bad.json", content)
    capsys.readouterr()
    assert main(["load", filename, "--data-dir", data_dir, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert main(["check", "--data-dir", data_dir]) == 0


def test_a_missing_file_exits_2_naming_it(
    tmp_path: Path, data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.json")
    assert main(["load", missing, "--data-dir", data_dir]) == 2
    assert missing in capsys.readouterr().err


def test_a_bad_file_loads_nothing(
    tmp_path: Path, data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = {":path": "/x", "a": {}, "b": {}, "c": {"n": "abc", "n@TypeHint": "Long"}}
    assert main(["load", write(tmp_path, "bad.json", doc), "--data-dir", data_dir]) == 2
    capsys.readouterr()
    assert main(["export", "/x", "--data-dir", data_dir]) == 2
    assert "/x" in capsys.readouterr().err


def test_exporting_a_missing_path_exits_2(
    data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "/nothing", "--data-dir", data_dir]) == 2
    assert "no node at /nothing" in capsys.readouterr().err
