"""Tests: commerce."""
