"""Benchmarks: ``make bench`` (``python -m benchmarks [section ...]``) prints figures and ratios from one run."""
