"""Deterministic generators of sample inputs (evidence PDFs, …) for tests, benchmarks and the demo."""
