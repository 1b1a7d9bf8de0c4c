"""Pure values of the repository model: names, paths, property values, node snapshots."""
