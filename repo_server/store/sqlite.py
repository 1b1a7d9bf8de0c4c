"""SQLiteNodeStore: the default node store, on aiosqlite with WAL and one writer connection.

Reads run on a small pool of reader connections, writes on the single writer connection with
`BEGIN IMMEDIATE`. Each `read`/`write` call runs one synchronous function on the connection's
own thread, so a whole operation costs one thread hop instead of one per statement.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, Final, TypeVar, cast

import aiosqlite

from repo_server.errors import NodeExists, RepoError, StoreUnavailable
from repo_server.model import names
from repo_server.model.changes import Change
from repo_server.model.node import Node
from repo_server.model.text import stored_text
from repo_server.model.values import decode_properties, new_record, pack, unpack
from repo_server.store.base import CommitListener, GoneNode, JournalEntry, NewRow
from repo_server.store.schema import (
    DDL,
    FULLTEXT_DDL,
    FULLTEXT_MERGE,
    FULLTEXT_VIEW_DDL,
    SCHEMA_VERSION,
    TEXT_FUNCTION,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

_COLUMNS: Final = "id, path, rev, props"
# WAL checkpoints run in the background, on a connection and thread of their own (as Litestream
# and rqlite run theirs): with SQLite's automatic checkpoint the committing writer copies the
# WAL's pages into the database file and waits for both files' fsyncs, which cost a bulk load
# about a tenth of its time (docs/PERFORMANCE.md). A checkpoint starts once the WAL has grown
# by CHECKPOINT_BYTES (SQLite's own default is 1,000 pages, about as much); the WAL is
# truncated when it is reset, so its size tells how much was written since.
CHECKPOINT_BYTES: Final = 4 * 1024 * 1024
# The writer still checkpoints by itself past this many WAL pages (256 MiB): only when the
# background checkpoints fall that far behind, so the WAL cannot grow without bound.
_WRITER_CHECKPOINT_PAGES: Final = 65_536
_CACHE_LIMIT: Final = 50_000
_SQL_VARS: Final = 500  # stay well below SQLITE_MAX_VARIABLE_NUMBER on old builds


def _range(path: str) -> tuple[str, str]:
    """The half-open key range holding the strict descendants of `path`."""
    if path == "/":
        return "/\x00", "0"  # every path but the root itself ('/' + NUL sorts first)
    return path + "/", path + "0"


def _to_node(row: tuple[Any, ...]) -> Node:
    node_id, path, rev, blob = row
    props = decode_properties(blob)
    ptype = props.pop(names.JCR_PRIMARY_TYPE, None)
    mixins = props.pop(names.JCR_MIXIN_TYPES, None)
    return Node(
        id=node_id,
        path=path,
        primary_type=str(ptype.values[0]) if ptype is not None else names.NT_UNSTRUCTURED,
        mixins=tuple(str(m) for m in mixins.values) if mixins is not None else (),
        properties=props,
        revision=rev,
    )


# The sqlite3 module adapts every bound value that is not exactly an int, float or str. For
# bytes (property blobs, index keys) and None that is a failed search through three adaptation
# protocols, some 3,000 instructions a value: 3% of a bulk load. With an adapter
# registered it is one dictionary hit and a C call returning the value itself. Process-wide,
# and an identity for both types, so no other sqlite3 user sees a difference.
sqlite3.register_adapter(bytes, bytes)  # bytes(b) is b for a bytes object
sqlite3.register_adapter(type(None), {None: None}.__getitem__)

# Rows per multi-row INSERT: measured best at 250 for small and large property blobs alike
# (1000-row statements were slower than executemany); 9 variables a row.
_ROWS_PER_INSERT: Final = 250


@lru_cache(maxsize=8)
def _insert_sql(count: int) -> str:
    """INSERT of `count` node rows, nine plain `?` each (the revision last). Plain ones: the
    sqlite3 module asks each parameter's name when binding, which for numbered parameters is a
    linear search (quadratic per statement)."""
    return (
        "INSERT INTO node (id, parent_id, name, path, sort_key, ptype, uuid, props, rev) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * count)
    )


class _Reader:
    """StoreReader over one sqlite3 connection (called on that connection's thread)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _one(self, sql: str, params: Sequence[object]) -> Node | None:
        row = self.conn.execute(sql, params).fetchone()
        return _to_node(row) if row is not None else None

    def node(self, path: str) -> Node | None:
        return self._one(f"SELECT {_COLUMNS} FROM node WHERE path = ?", (path,))

    def nodes(self, paths: Sequence[str]) -> dict[str, Node]:
        out: dict[str, Node] = {}
        unique = list(dict.fromkeys(paths))
        for start in range(0, len(unique), _SQL_VARS):
            chunk = unique[start : start + _SQL_VARS]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT {_COLUMNS} FROM node WHERE path IN ({marks})", chunk
            ):
                node = _to_node(row)
                out[node.path] = node
        return out

    def node_by_id(self, node_id: int) -> Node | None:
        return self._one(f"SELECT {_COLUMNS} FROM node WHERE id = ?", (node_id,))

    def node_by_uuid(self, uuid: str) -> Node | None:
        return self._one(f"SELECT {_COLUMNS} FROM node WHERE uuid = ?", (uuid,))

    def children(self, parent_id: int, *, offset: int = 0, limit: int | None = None) -> list[Node]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM node WHERE parent_id = ? ORDER BY sort_key, name "
            "LIMIT ? OFFSET ?",
            (parent_id, -1 if limit is None else limit, offset),
        )
        return [_to_node(r) for r in rows]

    def child_names(self, parent_id: int) -> list[str]:
        rows = self.conn.execute(
            "SELECT name FROM node WHERE parent_id = ? ORDER BY sort_key, name", (parent_id,)
        )
        return [r[0] for r in rows]

    def count_children(self, parent_id: int, limit: int | None = None) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM node WHERE parent_id = ? LIMIT ?)",
            (parent_id, -1 if limit is None else limit),
        ).fetchone()
        return int(row[0])

    def descendants(self, path: str, max_depth: int | None = None) -> list[Node]:
        low, high = _range(path)
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM node WHERE path >= ? AND path < ? "
            "ORDER BY parent_id, sort_key, name",
            (low, high),
        )
        if max_depth is None:
            return [_to_node(r) for r in rows]
        base = 0 if path == "/" else path.count("/")
        return [_to_node(r) for r in rows if r[1].count("/") - base <= max_depth]

    def count_descendants(self, path: str, max_depth: int, limit: int) -> list[int]:
        low, high = _range(path)
        base = 0 if path == "/" else path.count("/")
        counts = [0] * max_depth
        seen = 0
        for (p,) in self.conn.execute(
            "SELECT path FROM node WHERE path >= ? AND path < ?", (low, high)
        ):
            level = p.count("/") - base
            if level <= max_depth:
                counts[level - 1] += 1
                seen += 1
                if seen > limit:
                    break
        return counts

    def referrers(
        self, uuids: Iterable[str], *, weak: bool | None = False
    ) -> list[tuple[str, str, str]]:
        targets = list(uuids)
        out: list[tuple[str, str, str]] = []
        for start in range(0, len(targets), _SQL_VARS):
            chunk = targets[start : start + _SQL_VARS]
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT n.path, r.name, r.target FROM ref r JOIN node n ON n.id = r.source_id "
                f"WHERE r.target IN ({marks})"
            )
            params: list[object] = list(chunk)
            if weak is not None:
                sql += " AND r.weak = ?"
                params.append(int(weak))
            out.extend(self.conn.execute(sql + " ORDER BY n.path", params))
        return out

    def blob(self, sha256: str) -> bytes | None:
        row = self.conn.execute("SELECT data FROM blob WHERE sha256 = ?", (sha256,)).fetchone()
        return bytes(row[0]) if row is not None else None

    def head_revision(self) -> int:
        row = self.conn.execute("SELECT max(rev) FROM journal").fetchone()
        return int(row[0] or 0)

    def index_lookup(self, index_name: str, value: bytes) -> list[int]:
        rows = self.conn.execute(
            "SELECT node_id FROM prop_index WHERE index_name = ? AND value = ?",
            (index_name, value),
        )
        return [r[0] for r in rows]

    def meta(self, key: str) -> bytes | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row is not None else None

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self.conn.execute(sql, params).fetchall()


class _Writer(_Reader):
    """StoreWriter over the writer connection, inside `BEGIN IMMEDIATE`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn)
        self.touched: set[str] = set()
        self.structural = False  # a move or subtree delete happened: drop the whole cache

    def allocate_ids(self, count: int) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'next_id'").fetchone()
        first = int(unpack(row[0])) if row is not None else 1
        self.set_meta("next_id", pack(first + count))
        return first

    def insert_nodes(
        self, rows: Sequence[NewRow], revision: int, mixins: Sequence[tuple[int, str]] = ()
    ) -> None:
        # Multi-row INSERTs of up to _ROWS_PER_INSERT rows: one statement step per chunk
        # instead of one per row (a sixth less time for bulk loads than executemany); a
        # NewRow and the revision are exactly the bound values of one row.
        try:
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                chunk = rows[start : start + _ROWS_PER_INSERT]
                values: list[object] = []
                for row in chunk:
                    values.extend(row)
                    values.append(revision)
                self.conn.execute(_insert_sql(len(chunk)), values)
        except sqlite3.IntegrityError as exc:
            clash = self._path_clash(rows) if "node.path" in str(exc) else None
            if clash is None:
                raise
            raise NodeExists(f"a node already exists at {clash}", path=clash) from exc
        if mixins:
            self.conn.executemany("INSERT INTO node_mixin (node_id, mixin) VALUES (?, ?)", mixins)
        self.touched.update(r.path for r in rows)

    def _path_clash(self, rows: Sequence[NewRow]) -> str | None:
        """The first new row whose path an older node holds (callers that add many nodes,
        such as bulk imports, leave this check to the UNIQUE index: it costs nothing until
        it fails)."""
        ids = {r.id for r in rows}
        for start in range(0, len(rows), 500):
            chunk = [r.path for r in rows[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            for node_id, path in self.conn.execute(
                f"SELECT id, path FROM node WHERE path IN ({marks})", chunk
            ):
                if node_id not in ids:
                    return str(path)
        return None

    def update_nodes(
        self, rows: Sequence[tuple[int, str, str | None, bytes, tuple[str, ...]]], revision: int
    ) -> None:
        self.conn.executemany(
            "UPDATE node SET ptype = ?, uuid = ?, props = ?, rev = ? WHERE id = ?",
            [(ptype, uuid, props, revision, node_id) for node_id, ptype, uuid, props, _ in rows],
        )
        ids = [(r[0],) for r in rows]
        self.conn.executemany("DELETE FROM node_mixin WHERE node_id = ?", ids)
        mixins = [(r[0], m) for r in rows for m in r[4]]
        if mixins:
            self.conn.executemany("INSERT INTO node_mixin (node_id, mixin) VALUES (?, ?)", mixins)
        # The hot-node cache is keyed by path: name the changed paths so only they are
        # dropped (one indexed query), instead of emptying the cache on every update.
        if len(rows) > _SQL_VARS:
            self.structural = True
        elif rows:
            marks = ",".join("?" * len(rows))
            found = self.conn.execute(
                f"SELECT path FROM node WHERE id IN ({marks})", [r[0] for r in rows]
            )
            self.touched.update(p for (p,) in found)

    def move_node(
        self, node_id: int, new_parent_id: int, new_path: str, sort_key: int | None, revision: int
    ) -> None:
        row = self.conn.execute("SELECT path FROM node WHERE id = ?", (node_id,)).fetchone()
        old_path: str = row[0]
        low, high = _range(old_path)
        cut = len(old_path) + 1
        # One statement rewrites the whole subtree's materialised paths (spec §11.1).
        self.conn.execute(
            "UPDATE node SET path = ? || substr(path, ?), rev = ? WHERE path >= ? AND path < ?",
            (new_path, cut, revision, low, high),
        )
        self.conn.execute(
            "UPDATE node SET parent_id = ?, name = ?, path = ?, sort_key = ?, rev = ? WHERE id = ?",
            (new_parent_id, new_path.rsplit("/", 1)[1], new_path, sort_key, revision, node_id),
        )
        self.structural = True

    def delete_subtree(self, node_id: int) -> list[GoneNode]:
        row = self.conn.execute("SELECT path FROM node WHERE id = ?", (node_id,)).fetchone()
        if row is None:
            return []
        low, high = _range(row[0])
        # The text of each: the full-text index keeps none, and deletes a row with the text
        # it was made of (indexing.maintain does, with the rest of the commit's index work).
        gone = [
            new_record(GoneNode, (gid, guuid, stored_text(blob)))
            for gid, guuid, blob in self.conn.execute(
                "SELECT id, uuid, props FROM node WHERE id = ? OR (path >= ? AND path < ?)",
                (node_id, low, high),
            )
        ]
        ids = [(g[0],) for g in gone]
        self.conn.executemany("DELETE FROM node_mixin WHERE node_id = ?", ids)
        self.conn.executemany("DELETE FROM prop_index WHERE node_id = ?", ids)
        self.conn.execute("DELETE FROM node WHERE path >= ? AND path < ?", (low, high))
        self.conn.execute("DELETE FROM node WHERE id = ?", (node_id,))
        self.structural = True
        return gone

    def max_sort_key(self, parent_id: int) -> int | None:
        row = self.conn.execute(
            "SELECT max(sort_key) FROM node WHERE parent_id = ?", (parent_id,)
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def set_sort_keys(self, keys: Sequence[tuple[int, int | None]]) -> None:
        self.conn.executemany(
            "UPDATE node SET sort_key = ? WHERE id = ?", [(k, i) for i, k in keys]
        )

    def put_blobs(self, blobs: Sequence[tuple[str, bytes]]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO blob (sha256, length, data) VALUES (?, ?, ?)",
            [(sha, len(data), data) for sha, data in blobs],
        )

    def replace_references(self, source_id: int, refs: Iterable[tuple[str, str, bool]]) -> None:
        self.conn.execute("DELETE FROM ref WHERE source_id = ?", (source_id,))
        self.conn.executemany(
            "INSERT OR IGNORE INTO ref (target, source_id, name, weak) VALUES (?, ?, ?, ?)",
            [(t, source_id, n, int(w)) for t, n, w in refs],
        )

    def delete_references_from(self, source_ids: Sequence[int]) -> None:
        self.conn.executemany("DELETE FROM ref WHERE source_id = ?", [(i,) for i in source_ids])

    def replace_index_entries(
        self, node_id: int, entries: Iterable[tuple[str, bytes]], index_names: Iterable[str]
    ) -> None:
        self.conn.executemany(
            "DELETE FROM prop_index WHERE node_id = ? AND index_name = ?",
            [(node_id, n) for n in index_names],
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO prop_index (index_name, value, node_id) VALUES (?, ?, ?)",
            [(n, v, node_id) for n, v in entries],
        )

    def delete_index_entries(self, node_ids: Sequence[int]) -> None:
        self.conn.executemany("DELETE FROM prop_index WHERE node_id = ?", [(i,) for i in node_ids])

    def clear_index(self, index_name: str) -> None:
        self.conn.execute("DELETE FROM prop_index WHERE index_name = ?", (index_name,))

    def insert_fulltext(self, rows: Sequence[tuple[int, str]]) -> None:
        """Index texts, each given as (node id, text)."""
        for start in range(0, len(rows), _SQL_VARS // 2):
            chunk = rows[start : start + _SQL_VARS // 2]
            self.conn.execute(
                "INSERT INTO node_fts (rowid, text) VALUES " + ",".join(["(?, ?)"] * len(chunk)),
                [x for row in chunk for x in row],
            )

    def delete_fulltext(self, rows: Sequence[tuple[int, str]]) -> None:
        """Remove full-text rows, each given as (node id, the text it was indexed with)."""
        for start in range(0, len(rows), _SQL_VARS // 2):
            chunk = rows[start : start + _SQL_VARS // 2]
            self.conn.execute(
                "INSERT INTO node_fts (node_fts, rowid, text) VALUES "
                + ",".join(["('delete', ?, ?)"] * len(chunk)),
                [x for row in chunk for x in row],
            )

    def rebuild_fulltext(self) -> None:
        """Make the full-text index anew from the stored nodes (a new store, a store written
        with an older layout, or changed text rules)."""
        self.conn.execute("DROP TABLE IF EXISTS node_fts")
        self.conn.execute(FULLTEXT_VIEW_DDL)
        self.conn.execute(FULLTEXT_DDL)
        self.conn.execute(FULLTEXT_MERGE)
        self.conn.execute(
            "INSERT INTO node_fts (rowid, text) SELECT id, text FROM node_text WHERE text != ''"
        )

    def next_revision(self) -> int:
        return self.head_revision() + 1

    def append_journal(self, user_id: str, changes: Sequence[Change], committed_at: int) -> int:
        rev = self.next_revision()
        self.conn.execute(
            "INSERT INTO journal (rev, committed_at, user_id, changes) VALUES (?, ?, ?, ?)",
            (rev, committed_at, user_id, pack(list(changes))),  # NamedTuples pack as arrays
        )
        return rev

    def set_meta(self, key: str, value: bytes) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


async def _on_thread(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    # aiosqlite runs every call on the connection's own thread; `_execute` queues one callable
    # there, so a whole repository operation costs one hop. It is aiosqlite's internal entry
    # point (stable since 0.17); the version range in setup.cfg pins it.
    return cast(T, await conn._execute(fn, conn._conn))  # type: ignore[no-untyped-call]


class SQLiteNodeStore:
    """NodeStore on one SQLite file: WAL, `synchronous=NORMAL`, one writer, pooled readers."""

    def __init__(self, path: str, *, readers: int = 3, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self._reader_count = readers
        self._busy_timeout_ms = busy_timeout_ms
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._write_lock = asyncio.Lock()
        self._head = 0
        self._cache: dict[str, Node] = {}
        self._generation = 0
        self._listeners: list[_Dispatcher] = []
        self._inline: sqlite3.Connection | None = None
        self._checkpointer: aiosqlite.Connection | None = None
        self._checkpoint: asyncio.Task[None] | None = None
        self._wal_mark = 0  # the WAL's size when the last checkpoint started
        self.checkpoints = 0  # background checkpoints run (the tests read it)

    # --- lifecycle ----------------------------------------------------------------------------
    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None, check_same_thread=False)
        await conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA cache_size = -65536")
        await conn.execute("PRAGMA temp_store = MEMORY")
        await conn.create_function(TEXT_FUNCTION, 1, stored_text, deterministic=True)
        return conn

    async def open(self) -> None:
        try:
            directory = os.path.dirname(os.path.abspath(self.path))  # noqa: ASYNC240 - once, at start
            os.makedirs(directory, exist_ok=True)
            self._writer = await self._connect()
            await self._writer.execute("PRAGMA journal_mode = WAL")
            await self._writer.execute(f"PRAGMA wal_autocheckpoint = {_WRITER_CHECKPOINT_PAGES}")
            await self._writer.execute("PRAGMA journal_size_limit = 0")
            self._checkpointer = await self._connect()
            await self._writer.executescript(DDL)
            await _on_thread(self._writer, self._init_meta)
            self._inline = sqlite3.connect(self.path, isolation_level=None)
            self._inline.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            self._inline.execute("PRAGMA query_only = 1")
            self._inline.execute("PRAGMA cache_size = -65536")
            self._inline.create_function(TEXT_FUNCTION, 1, stored_text, deterministic=True)
            for _ in range(self._reader_count):
                conn = await self._connect()
                await conn.execute("PRAGMA query_only = 1")
                self._all_readers.append(conn)
                self._readers.put_nowait(conn)
            self._head = await self.read(lambda r: r.head_revision())
        except (sqlite3.Error, OSError) as exc:
            await self.close()
            raise StoreUnavailable(f"cannot open the store at {self.path}: {exc}") from exc

    @staticmethod
    def _init_meta(conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                (pack(SCHEMA_VERSION),),
            )
        elif unpack(row[0]) > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"the store has schema version {unpack(row[0])}, newer than {SCHEMA_VERSION}"
            )
        # Stores written before 2026-11-23 kept a copy of the text in the full-text table;
        # the delete command the store now uses fails on such a table: make it anew at once.
        found = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'node_fts'").fetchone()
        if found is None or "node_text" not in str(found[0]):
            conn.execute("BEGIN IMMEDIATE")
            try:
                _Writer(conn).rebuild_fulltext()
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    async def close(self) -> None:
        for dispatcher in self._listeners:
            await dispatcher.stop()
        self._listeners.clear()
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        self._readers = asyncio.Queue()
        if self._checkpoint is not None:
            await self._checkpoint  # never raises: failures are logged
            self._checkpoint = None
        if self._checkpointer is not None:
            await self._checkpointer.close()
            self._checkpointer = None
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    @property
    def head(self) -> int:
        return self._head

    @property
    def generation(self) -> int:
        """Bumped by every commit; caches above the store compare it to stay coherent."""
        return self._generation

    # --- reads and writes ---------------------------------------------------------------------
    async def read(self, fn: Callable[[_Reader], T]) -> T:
        if self._writer is None:
            raise StoreUnavailable("the store is closed")
        conn = await self._readers.get()
        try:

            def run(raw: sqlite3.Connection) -> T:
                raw.execute("BEGIN")
                try:
                    return fn(_Reader(raw))
                finally:
                    raw.execute("COMMIT")

            return await _on_thread(conn, run)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store read failed: {exc}") from exc
        finally:
            self._readers.put_nowait(conn)

    def read_point(self, fn: Callable[[_Reader], T]) -> T:
        """Run a small read (a few indexed rows) on the event loop's own connection.

        A point read from SQLite's page cache takes 10-30 us; a hop to a reader thread costs
        150-250 us on the dev VM (scripts/bench_store: 5,700 reads/s with a hop each against
        43,000/s raw). Point reads therefore run inline, like a short computation; anything
        that may touch many rows (subtrees, queries) goes through `read`.
        """
        conn = self._inline
        if conn is None:
            raise StoreUnavailable("the store is closed")
        try:
            conn.execute("BEGIN")
            try:
                return fn(_Reader(conn))
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"store read failed: {exc}") from exc

    async def write(self, fn: Callable[[_Writer], T]) -> T:
        if self._writer is None:
            raise StoreUnavailable("the store is closed")
        async with self._write_lock:
            writer: list[_Writer] = []
            head: list[int] = []

            def run(raw: sqlite3.Connection) -> T:
                raw.execute("BEGIN IMMEDIATE")
                w = _Writer(raw)
                writer.append(w)
                try:
                    result = fn(w)
                except BaseException:
                    raw.execute("ROLLBACK")
                    raise
                raw.execute("COMMIT")
                # The new head, read here: a hop of its own per commit cost more than the read.
                head.append(w.head_revision())
                return result

            try:
                result = await _on_thread(self._writer, run)
            except sqlite3.IntegrityError as exc:
                raise StoreUnavailable(f"store integrity error: {exc}") from exc
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"store write failed: {exc}") from exc
            finally:
                if writer:
                    self._invalidate(writer[0])
            self._maybe_checkpoint()
            entries = await self._new_entries(head[0])
            for entry in entries:
                for dispatcher in self._listeners:
                    dispatcher.push(entry)
            return result

    def _maybe_checkpoint(self) -> None:
        """Start a background checkpoint when the WAL grew by CHECKPOINT_BYTES since the last."""
        if self._checkpointer is None or (
            self._checkpoint is not None and not self._checkpoint.done()
        ):
            return
        try:
            size = os.stat(self.path + "-wal").st_size  # a few microseconds per commit
        except OSError:
            return  # no WAL (an in-memory store) or not yet created
        if size < self._wal_mark:
            self._wal_mark = 0  # the WAL was reset and truncated
        if size - self._wal_mark < CHECKPOINT_BYTES:
            return
        self._wal_mark = size
        self._checkpoint = asyncio.create_task(self._run_checkpoint(self._checkpointer))

    async def _run_checkpoint(self, conn: aiosqlite.Connection) -> None:
        # PASSIVE: copies what no reader still needs and never waits for the writer or readers.
        try:
            await _on_thread(conn, lambda raw: raw.execute("PRAGMA wal_checkpoint(PASSIVE)"))
            self.checkpoints += 1
        except sqlite3.Error as exc:  # the next one retries; the writer's own is the backstop
            log.warning("background WAL checkpoint of %s failed: %s", self.path, exc)

    def _invalidate(self, writer: _Writer) -> None:
        self._generation += 1
        if writer.structural:
            self._cache.clear()
        else:
            for path in writer.touched:
                self._cache.pop(path, None)

    async def _new_entries(self, head: int) -> list[JournalEntry]:
        if not self._listeners:
            self._head = head
            return []
        entries = await self.journal(self._head)
        if entries:
            self._head = entries[-1].revision
        return entries

    async def get_node(self, path: str) -> Node | None:
        node = self._cache.get(path)
        if node is not None:
            return node
        generation = self._generation
        node = self.read_point(lambda r: r.node(path))
        # Only a result read with no commit in between may enter the cache: a commit that
        # raced the read has already invalidated what it changed.
        if node is not None and generation == self._generation:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[path] = node
        return node

    def clear_cache(self) -> None:
        self._cache.clear()

    def cached(self, path: str) -> Node | None:
        return self._cache.get(path)

    def remember(self, nodes: Iterable[Node], generation: int) -> None:
        """Cache nodes read elsewhere, unless a commit happened since `generation`."""
        if generation != self._generation:
            return
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        for node in nodes:
            self._cache[node.path] = node

    async def journal(self, since: int, limit: int = 1000) -> list[JournalEntry]:
        def run(r: _Reader) -> list[JournalEntry]:
            rows = r.conn.execute(
                "SELECT rev, committed_at, user_id, changes FROM journal WHERE rev > ? "
                "ORDER BY rev LIMIT ?",
                (since, limit),
            )
            return [
                JournalEntry(rev, at, user, tuple(Change.from_wire(c) for c in unpack(blob)))
                for rev, at, user, blob in rows
            ]

        return await self.read(run)

    # --- observation --------------------------------------------------------------------------
    def add_listener(self, listener: CommitListener) -> None:
        """Call `listener` with every committed JournalEntry, in revision order, after commit.

        A listener that raises is logged and never breaks a commit; async listeners are awaited
        one entry at a time so each sees the journal in order.
        """
        self._listeners.append(_Dispatcher(listener))

    def remove_listener(self, listener: CommitListener) -> None:
        for dispatcher in list(self._listeners):
            if dispatcher.listener is listener:
                dispatcher.cancel()
                self._listeners.remove(dispatcher)

    async def drain_listeners(self) -> None:
        """Wait until every listener has seen every committed entry (tests, shutdown)."""
        for dispatcher in self._listeners:
            await dispatcher.queue.join()


class _Dispatcher:
    def __init__(self, listener: CommitListener) -> None:
        self.listener = listener
        self.queue: asyncio.Queue[JournalEntry] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    def push(self, entry: JournalEntry) -> None:
        self.queue.put_nowait(entry)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            entry = await self.queue.get()
            try:
                result = self.listener(entry)
                if inspect.isawaitable(result):
                    await cast(Awaitable[object], result)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "observation listener %r failed on revision %s", self.listener, entry.revision
                )
            finally:
                self.queue.task_done()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, RepoError):
                pass


def now_ms() -> int:
    return int(time.time() * 1000)
