"""Service layer of the engine: reads, upserts, hooks, access control over the store."""
