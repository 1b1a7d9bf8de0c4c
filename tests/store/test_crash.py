"""A process killed (SIGKILL) in the middle of one large save leaves the store consistent:
all of the save or none of it, no tree problems, and `repo-server check` exits 0."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repo_server.check import find_problems
from repo_server.store.sqlite import SQLiteNodeStore

NODES = 20_000  # one save; ~100 parents of ~200 children each
BUDGET_S = 20.0

WORKER = """
import asyncio, sys
from repo_server.model.values import Property, PropertyType
from repo_server.session.operations import AddNode
from repo_server.session.session import Repository
from repo_server.store.sqlite import SQLiteNodeStore

async def main(db, root, count):
    repo = Repository(SQLiteNodeStore(db))
    await repo.open()
    session = repo.session("admin")
    session.queue(AddNode(root, "nt:unstructured"))
    for i in range(count):
        parent = f"{root}/p{i // 200}"
        path = parent if i % 200 == 0 else f"{parent}/c{i % 200}"
        props = {"i": Property(PropertyType.LONG, False, (i,)),
                 "s": Property(PropertyType.STRING, False, ("payload " * 8,))}
        session.queue(AddNode(path, "nt:unstructured", props=props))
    print("saving", flush=True)
    await session.save()
    print("saved", flush=True)
    await repo.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def wal_size(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def inspect(db: Path, root: str) -> tuple[int, list[str]]:
    store = SQLiteNodeStore(str(db))
    await store.open()
    try:
        count = await store.read(
            lambda r: r.execute(
                "SELECT count(*) FROM node WHERE path = ? OR (path >= ? AND path < ?)",
                (root, root + "/", root + "0"),
            )
        )
        problems = await store.read(find_problems)
    finally:
        await store.close()
    return int(str(count[0][0])), problems


def run_and_kill(script: Path, db: Path, root: str, wait_for_writes: bool) -> str:
    """Start the worker, kill it with SIGKILL mid-save; returns how the kill was timed."""
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db), root, str(NODES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "saving"
        if wait_for_writes:
            # The commit spills its pages into the WAL: kill while they are being written.
            before = wal_size(db)
            deadline = time.monotonic() + 60
            while wal_size(db) <= before and proc.poll() is None:
                assert time.monotonic() < deadline, "the save never started writing"
                time.sleep(0.002)
            time.sleep(random.uniform(0, 0.02))
            how = "while writing"
        else:
            time.sleep(random.uniform(0.05, 1.0))
            how = "early"
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        else:
            how = "after it finished"
        proc.wait(timeout=30)
        return how
    finally:
        if proc.poll() is None:  # only ever the process started here, by its pid
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.slow
def test_a_save_killed_midway_leaves_all_or_nothing_and_a_consistent_store(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = data_dir / "repository.db"
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    started = time.monotonic()
    outcomes: list[tuple[str, int]] = []
    iteration = 0
    longest = 0.0
    # At least an early kill and one during the writes; more while they fit in the budget.
    while iteration < 2 or (time.monotonic() - started + longest < BUDGET_S and iteration < 6):
        began = time.monotonic()
        root = f"/bulk{iteration}"
        how = run_and_kill(script, db, root, wait_for_writes=iteration % 3 != 0)
        count, problems = asyncio.run(inspect(db, root))
        assert count in (0, NODES + 1), f"partial save after a kill {how}: {count} nodes"
        assert problems == []
        outcomes.append((how, count))
        longest = max(longest, time.monotonic() - began)
        iteration += 1
    check = subprocess.run(
        [sys.executable, "-m", "repo_server", "check", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip().endswith("ok")
    assert any(how != "after it finished" for how, _ in outcomes), outcomes
