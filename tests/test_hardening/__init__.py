"""Hardening: soak, fault matrix, security review and benchmarks against the simulator."""
