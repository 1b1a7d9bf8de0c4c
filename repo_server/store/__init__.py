"""Persistence: the NodeStore protocol and its SQLite backend."""
