"""Benchmarks, runnable as modules (python -m tests.benchmarks.<name>)."""
