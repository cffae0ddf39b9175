"""Benchmarks (``make bench``): speed and quality figures, each printed with its command."""
