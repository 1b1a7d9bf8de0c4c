"""EngineStore on aiosqlite: one serialised write connection, one reader, WAL."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeAlias, TypeVar, cast

import aiosqlite

from commerce.engine.errors import EngineError, StoreUnavailable
from commerce.engine.model.types import TypeSystem
from commerce.engine.store.schema import SCHEMA_VERSION, ddl

log = logging.getLogger(__name__)

Param: TypeAlias = "str | int | float | bytes | None"
Row: TypeAlias = "tuple[Any, ...]"
T = TypeVar("T")


def run_inline(coro: Coroutine[Any, Any, T]) -> T:
    """Drive a coroutine that never suspends to its end, synchronously (see ``Connection.run``)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    coro.close()
    raise RuntimeError("a coroutine run on the database thread tried to suspend")


class Connection:
    """A connection as the service layer sees it: SQL in, tuples out, driver errors wrapped."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, params: Sequence[Param] = ()) -> list[Row]:
        try:
            rows = await self._conn.execute_fetchall(sql, params)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"The store failed: {exc}") from exc
        return [tuple(r) for r in rows]

    async def fetchone(self, sql: str, params: Sequence[Param] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Sequence[Param] = ()) -> int:
        """Run one statement; returns lastrowid (0 when none)."""
        try:
            cursor = await self._conn.execute(sql, params)
            rowid = cursor.lastrowid or 0
            await cursor.close()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"The store failed: {exc}") from exc
        return rowid

    async def executemany(self, sql: str, params: Iterable[Sequence[Param]]) -> None:
        try:
            await self._conn.executemany(sql, params)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"The store failed: {exc}") from exc

    async def run(self, fn: Callable[[Connection], Coroutine[Any, Any, T]]) -> T:
        """Run ``fn`` as one call on the database thread, so its statements cost one hop.

        ``fn`` gets a ``ThreadConnection`` whose methods execute inline: the service code stays
        the same async code, but nothing in it suspends, so the coroutine is driven to its end
        right there. ``fn`` may only await that connection (no sleeps, no other I/O).
        """

        def on_thread(raw: sqlite3.Connection) -> T:
            return run_inline(fn(ThreadConnection(raw)))

        # aiosqlite runs every call on the connection's own thread; ``_execute`` queues one
        # callable there (its internal entry point, also used by repo_server/store/sqlite.py).
        return cast(T, await self._conn._execute(on_thread, self._conn._conn))  # type: ignore[no-untyped-call]


class ThreadConnection(Connection):
    """The same interface over the raw sqlite3 connection, used on aiosqlite's thread only."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def fetchall(self, sql: str, params: Sequence[Param] = ()) -> list[Row]:
        try:
            return [tuple(r) for r in self._raw.execute(sql, params).fetchall()]
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"The store failed: {exc}") from exc

    async def execute(self, sql: str, params: Sequence[Param] = ()) -> int:
        try:
            cursor = self._raw.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"The store failed: {exc}") from exc
        rowid = cursor.lastrowid or 0
        cursor.close()
        return rowid

    async def executemany(self, sql: str, params: Iterable[Sequence[Param]]) -> None:
        try:
            self._raw.executemany(sql, params)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"The store failed: {exc}") from exc

    async def run(self, fn: Callable[[Connection], Coroutine[Any, Any, T]]) -> T:
        return await fn(self)


class EngineStore:
    """The engine database. Writes go through ``transaction()`` one at a time (BEGIN IMMEDIATE)."""

    def __init__(self, path: Path, types: TypeSystem) -> None:
        self.path = path
        self.types = types
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> bool:
        """Open (creating tables when needed); returns True when the database was new."""
        try:
            self._writer = await aiosqlite.connect(self.path, isolation_level=None)
            await self._writer.execute("PRAGMA journal_mode=WAL")
            await self._writer.execute("PRAGMA synchronous=NORMAL")
            rows = list(
                await self._writer.execute_fetchall(
                    "SELECT name FROM sqlite_master WHERE name = 'engine_meta'"
                )
            )
            created = not rows
            await self._writer.execute("BEGIN IMMEDIATE")
            for statement in ddl(self.types):
                await self._writer.execute(statement)
            await self._writer.execute(
                "INSERT OR REPLACE INTO engine_meta VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            await self._writer.execute("COMMIT")
            self._reader = await aiosqlite.connect(self.path, isolation_level=None)
            await self._reader.execute("PRAGMA query_only=ON")
        except sqlite3.Error as exc:
            await self.close()
            raise StoreUnavailable(f"Cannot open the engine store {self.path}: {exc}") from exc
        return created

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @property
    def reader(self) -> Connection:
        if self._reader is None:
            raise StoreUnavailable("The engine store is closed.")
        return Connection(self._reader)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One atomic write: commits on success, rolls back on any exception (then re-raises)."""
        async with self._lock:
            if self._writer is None:
                raise StoreUnavailable("The engine store is closed.")
            writer = self._writer
            try:
                await writer.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"Cannot start a transaction: {exc}") from exc
            try:
                yield Connection(writer)
            except BaseException:
                await _rollback(writer)
                raise
            try:
                await writer.execute("COMMIT")
            except sqlite3.Error as exc:
                await _rollback(writer)
                raise StoreUnavailable(f"Cannot commit: {exc}") from exc


async def _rollback(writer: aiosqlite.Connection) -> None:
    try:
        await writer.execute("ROLLBACK")
    except sqlite3.Error:
        # Nothing left to undo (SQLite already rolled back); the original error matters more.
        log.debug("rollback after a failed write found no open transaction")


__all__ = ["Connection", "EngineError", "EngineStore", "Row"]
