"""Benchmarks: each prints one JSON object. Figures come from here, never from tests."""
