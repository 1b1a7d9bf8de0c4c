"""HTTP renderings of the commerce package, mounted through the repository's extension points."""
