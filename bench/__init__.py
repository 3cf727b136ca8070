"""Micro benchmarks, run by `make bench` (python -m bench.<name>), never by the test suite."""
