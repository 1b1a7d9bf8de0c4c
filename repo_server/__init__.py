"""A JCR-style content repository served over HTTP in Apache Sling's conventions."""

__version__ = "0.1.0"
