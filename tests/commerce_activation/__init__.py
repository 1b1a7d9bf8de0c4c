"""Tests: commerce_activation."""
