"""Tests of the `fluvius` command line tool (custom_components/fluvius/cli)."""
