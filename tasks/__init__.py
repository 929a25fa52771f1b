"""Reusable Prefect tasks grouped by concern. Each is callable as plain ``.fn`` in tests."""
