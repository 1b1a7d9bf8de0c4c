"""Tests: commerce_session."""
