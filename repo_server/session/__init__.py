"""The service layer: content sessions with transient changes, commits, observation."""
