"""Tests: robustness."""
