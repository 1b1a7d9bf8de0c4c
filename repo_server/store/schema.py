"""SQLite DDL of the node store (spec §11.2) and schema-version upgrades."""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = 1

# Paths are stored normalized; `path` is UNIQUE with BINARY collation so descendant scans are
# the range [p + '/', p + '0') ('0' is the code point after '/'): '/a/' never matches '/ab/'.
_TABLES: Final = """
CREATE TABLE IF NOT EXISTS node (
  id        INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES node(id),
  name      TEXT NOT NULL,
  path      TEXT NOT NULL UNIQUE,
  sort_key  INTEGER,
  ptype     TEXT NOT NULL,
  uuid      TEXT,
  rev       INTEGER NOT NULL,
  props     BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS node_child ON node(parent_id, sort_key, name);
CREATE UNIQUE INDEX IF NOT EXISTS node_uuid ON node(uuid) WHERE uuid IS NOT NULL;
CREATE INDEX IF NOT EXISTS node_ptype ON node(ptype);
CREATE TABLE IF NOT EXISTS node_mixin (
  node_id INTEGER NOT NULL, mixin TEXT NOT NULL, PRIMARY KEY (mixin, node_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS node_mixin_node ON node_mixin(node_id);
CREATE TABLE IF NOT EXISTS ref (
  target TEXT NOT NULL, source_id INTEGER NOT NULL, name TEXT NOT NULL, weak INTEGER NOT NULL,
  PRIMARY KEY (target, source_id, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ref_source ON ref(source_id);
CREATE TABLE IF NOT EXISTS prop_index (
  index_name TEXT NOT NULL, value BLOB NOT NULL, node_id INTEGER NOT NULL,
  PRIMARY KEY (index_name, value, node_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS prop_index_node ON prop_index(node_id);
CREATE TABLE IF NOT EXISTS blob (
  sha256 TEXT PRIMARY KEY, length INTEGER NOT NULL, data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal (
  rev INTEGER PRIMARY KEY, committed_at INTEGER NOT NULL, user_id TEXT NOT NULL,
  changes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS namespace (prefix TEXT PRIMARY KEY, uri TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS node_type (name TEXT PRIMARY KEY, cnd TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
"""
# The full-text index `node_fts` (issue 7): rowid = node id, `text` = the node's STRING
# property values (repo_server.model.text). It keeps no copy of the text: its content is the
# view `node_text`, which makes the text from the node's property blob with the SQL function
# `repo_text` that the store registers on each of its connections; FTS5 reads it only for
# `snippet()` excerpts. Storing a second copy of every node's text cost a third of the
# index's work on a bulk load (docs/PERFORMANCE.md). The price: a row is deleted with the
# text it was indexed with (the 'delete' command), which the store makes from the blob when
# it deletes nodes and the commit has from the node's previous state when it changes one.
# columnsize=0: no per-document size table (only bm25 ranking reads it, and the query engine
# does not rank); it is a fifth of the cost of indexing a bulk load's text.
TEXT_FUNCTION: Final = "repo_text"
FULLTEXT_VIEW_DDL: Final = f"""
CREATE VIEW IF NOT EXISTS node_text AS SELECT id, {TEXT_FUNCTION}(props) AS text FROM node
"""
FULLTEXT_DDL: Final = """
CREATE VIRTUAL TABLE IF NOT EXISTS node_fts USING fts5(
  text, content = 'node_text', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2', columnsize = 0
)
"""
# FTS5 merges a level's segments once `automerge` of them exist (default 4). 8, like the merge
# factor of Lucene's tiered policy (10), rewrites each entry fewer times as commits add
# segments: a fifth less full-text work for a catalog import, at the price of up to 8
# segments a level for a query to read. Set when the table is made (indexing rebuilds it on
# a store's first commit and whenever FULLTEXT_VERSION changes).
FULLTEXT_MERGE: Final = "INSERT INTO node_fts (node_fts, rank) VALUES ('automerge', 8)"
DDL: Final = _TABLES + FULLTEXT_VIEW_DDL + ";\n" + FULLTEXT_DDL + ";\n"
