"""Async rules (ASY): blocking and CPU-heavy work in async code, nested loops, lost coroutines."""
