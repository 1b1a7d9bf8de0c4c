"""Tests: commerce_search."""
