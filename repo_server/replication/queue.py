"""Durable replication queues: one FIFO per agent in the repository's own database.

Entries are rows of `replication_queue`; their ids come from AUTOINCREMENT, so they only grow
and the publish side can recognise an entry it already applied by (origin, id). Delivery
takes the head of an agent's queue; a failed head blocks the queue until it is retried
successfully, cleared or, with `max_retries`, dropped (spec §15).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from repo_server.store.base import StoreReader, StoreWriter
from repo_server.store.sqlite import SQLiteNodeStore, now_ms

QUEUE_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS replication_queue ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, agent TEXT NOT NULL, action TEXT NOT NULL,"
    " path TEXT NOT NULL, user_id TEXT NOT NULL, created_at INTEGER NOT NULL,"
    " package BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
    " next_retry INTEGER, last_attempt INTEGER)",
    "CREATE INDEX IF NOT EXISTS replication_queue_agent ON replication_queue(agent, id)",
    "CREATE INDEX IF NOT EXISTS replication_queue_path ON replication_queue(path)",
)
_COLUMNS: Final = (
    "id, agent, action, path, user_id, created_at, attempts, last_error, next_retry, last_attempt"
)

QueueState = Literal["idle", "active", "blocked"]


@dataclass(frozen=True, slots=True)
class QueueEntry:
    id: int
    agent: str
    action: str
    path: str
    user_id: str
    created_at: int
    attempts: int
    last_error: str | None
    next_retry: int | None
    last_attempt: int | None

    @property
    def is_failed(self) -> bool:
        return self.attempts > 0 and self.last_error is not None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "action": self.action,
            "path": self.path,
            "userId": self.user_id,
            "created": self.created_at,
            "attempts": self.attempts,
            "lastError": self.last_error,
            "nextRetry": self.next_retry,
        }


@dataclass(frozen=True, slots=True)
class QueueStatus:
    state: QueueState
    status_time: int
    next_retry_time: int | None
    processing_since: int | None
    last_process_time: int | None


def _entry(row: Sequence[object]) -> QueueEntry:
    def opt_int(v: object) -> int | None:
        return None if v is None else int(str(v))

    return QueueEntry(
        id=int(str(row[0])),
        agent=str(row[1]),
        action=str(row[2]),
        path=str(row[3]),
        user_id=str(row[4]),
        created_at=int(str(row[5])),
        attempts=int(str(row[6])),
        last_error=None if row[7] is None else str(row[7]),
        next_retry=opt_int(row[8]),
        last_attempt=opt_int(row[9]),
    )


def create_tables(writer: StoreWriter) -> None:
    for statement in QUEUE_DDL:
        writer.execute(statement)


def insert_entry(
    writer: StoreWriter, agent: str, action: str, path: str, user_id: str, package: bytes
) -> int:
    """Append an entry to `agent`'s queue inside the caller's write; returns its id."""
    writer.execute(
        "INSERT INTO replication_queue (agent, action, path, user_id, created_at, package) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (agent, action, path, user_id, now_ms(), package),
    )
    row = writer.execute("SELECT last_insert_rowid()")
    return int(str(row[0][0]))


class ReplicationQueue:
    """The queue of one agent (a view on the shared table)."""

    def __init__(self, store: SQLiteNodeStore, agent: str) -> None:
        self.store = store
        self.agent = agent
        self.paused = False
        self.processing_since: int | None = None
        self.last_process_time: int | None = None

    async def entries(self, path: str | None = None) -> list[QueueEntry]:
        """The entries in delivery order (optionally only those of `path`)."""
        agent = self.agent

        def run(reader: StoreReader) -> list[QueueEntry]:
            sql = f"SELECT {_COLUMNS} FROM replication_queue WHERE agent = ?"
            params: list[object] = [agent]
            if path is not None:
                sql += " AND path = ?"
                params.append(path)
            return [_entry(r) for r in _execute(reader, sql + " ORDER BY id", params)]

        return await self.store.read(run)

    async def head(self) -> tuple[QueueEntry, bytes] | None:
        """The first entry with its package, or None when the queue is empty."""
        agent = self.agent

        def run(reader: StoreReader) -> tuple[QueueEntry, bytes] | None:
            rows = _execute(
                reader,
                f"SELECT {_COLUMNS}, package FROM replication_queue WHERE agent = ? "
                "ORDER BY id LIMIT 1",
                (agent,),
            )
            if not rows:
                return None
            row = rows[0]
            data = row[10]
            assert isinstance(data, bytes)
            return _entry(row), data

        return await self.store.read(run)

    async def head_batch(self, max_entries: int, max_bytes: int) -> list[tuple[QueueEntry, bytes]]:
        """The first entries with their packages, in order: at most `max_entries`, and no more
        than `max_bytes` of packages unless the head alone is larger (it still comes)."""
        agent = self.agent

        def run(reader: StoreReader) -> list[tuple[QueueEntry, bytes]]:
            sizes = _execute(
                reader,
                "SELECT id, length(package) FROM replication_queue WHERE agent = ? "
                "ORDER BY id LIMIT ?",
                (agent, max(1, max_entries)),
            )
            if not sizes:
                return []
            last, total = int(str(sizes[0][0])), 0
            for row_id, size in sizes:
                total += int(str(size))
                if total > max_bytes and row_id != sizes[0][0]:
                    break
                last = int(str(row_id))
            rows = _execute(
                reader,
                f"SELECT {_COLUMNS}, package FROM replication_queue WHERE agent = ? AND id <= ? "
                "ORDER BY id LIMIT ?",
                (agent, last, max(1, max_entries)),
            )
            out = []
            for row in rows:
                data = row[10]
                assert isinstance(data, bytes)
                out.append((_entry(row), data))
            return out

        return await self.store.read(run)

    async def remove_many(self, entry_ids: Sequence[int]) -> None:
        """Entries delivered together: gone in one write."""
        ids = list(entry_ids)

        def run(writer: StoreWriter) -> None:
            for entry_id in ids:
                writer.execute("DELETE FROM replication_queue WHERE id = ?", (entry_id,))

        await self.store.write(run)

    async def remove(self, entry_id: int) -> None:
        """The entry was delivered (or dropped)."""
        await self.store.write(
            lambda w: w.execute("DELETE FROM replication_queue WHERE id = ?", (entry_id,))
        )

    async def failed(self, entry_id: int, error: str, next_retry: int) -> None:
        stamp = now_ms()
        await self.store.write(
            lambda w: w.execute(
                "UPDATE replication_queue SET attempts = attempts + 1, last_error = ?, "
                "next_retry = ?, last_attempt = ? WHERE id = ?",
                (error[:500], next_retry, stamp, entry_id),
            )
        )

    async def clear(self, ids: Sequence[int] | None = None) -> int:
        """Remove the given entries (all when None); returns how many went."""
        agent = self.agent

        def run(writer: StoreWriter) -> int:
            if ids is None:
                rows = writer.execute(
                    "DELETE FROM replication_queue WHERE agent = ? RETURNING id", (agent,)
                )
            else:
                rows = []
                for entry_id in ids:
                    rows += writer.execute(
                        "DELETE FROM replication_queue WHERE agent = ? AND id = ? RETURNING id",
                        (agent, entry_id),
                    )
            return len(rows)

        return await self.store.write(run)

    async def force_retry(self) -> None:
        """Retry the head now instead of after the agent's retry delay."""
        agent = self.agent
        await self.store.write(
            lambda w: w.execute(
                "UPDATE replication_queue SET next_retry = NULL WHERE agent = ? AND id = "
                "(SELECT min(id) FROM replication_queue WHERE agent = ?)",
                (agent, agent),
            )
        )

    async def status(self) -> QueueStatus:
        found = await self.head()
        stamp = now_ms()
        if found is None:
            return QueueStatus("idle", stamp, None, None, self.last_process_time)
        entry = found[0]
        state: QueueState = "blocked" if entry.is_failed else "active"
        return QueueStatus(
            state, stamp, entry.next_retry, self.processing_since, self.last_process_time
        )


async def pending_entries(store: SQLiteNodeStore, path: str) -> list[QueueEntry]:
    """Entries of every agent still waiting for `path`, oldest first."""

    def run(reader: StoreReader) -> list[QueueEntry]:
        rows = _execute(
            reader, f"SELECT {_COLUMNS} FROM replication_queue WHERE path = ? ORDER BY id", (path,)
        )
        return [_entry(r) for r in rows]

    return await store.read(run)


def _execute(reader: StoreReader, sql: str, params: Sequence[object]) -> list[tuple[object, ...]]:
    # StoreReader has no `execute` in its protocol; the SQLite reader has the same hatch as
    # the writer, used read-only here.
    run = getattr(reader, "execute")  # noqa: B009
    rows: list[tuple[object, ...]] = run(sql, params)
    return rows
