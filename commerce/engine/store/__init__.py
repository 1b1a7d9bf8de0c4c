"""Persistence of the engine: one SQLite database per data directory (aiosqlite)."""
