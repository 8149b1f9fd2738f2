"""Benchmarks for the template's generated service: round trips and test-fixture overhead."""
