"""Tests: the price timeline (pure)."""
