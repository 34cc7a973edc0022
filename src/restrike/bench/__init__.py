"""Benchmarks behind `restrike bench ...`; each prints figures next to its targets."""
