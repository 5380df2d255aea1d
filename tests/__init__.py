"""Tests for the Fluvius integration."""
