"""Benchmarks: every figure with a target is measured here, never in timed tests.

Each `bench_*.py` module exposes `run() -> list[dict]`; a row has `figure`, `value`,
`unit`, and optionally `target` (a floor, in the same unit) and `note` (hardware,
sizes). `python -m benchmarks [name ...]` runs them.
"""
