"""Benchmarks: they print figures and assert correctness only, never a timing (see each module)."""
