"""Commerce integration framework on top of the content repository."""
