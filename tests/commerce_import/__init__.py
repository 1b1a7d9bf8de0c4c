"""Tests: commerce_import."""
