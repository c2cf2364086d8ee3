"""Benchmarks: ``python -m scripts.bench.eventstore`` measures the event store and runners."""
