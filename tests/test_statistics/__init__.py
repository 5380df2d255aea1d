"""Tests: statistics."""
