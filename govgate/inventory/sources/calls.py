"""Counting the API calls a source makes, so a sync can report them against the minimum."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class CountingClient:
    """Wraps a client: every method call is counted by name (``calls``), then passed through unchanged."""

    def __init__(self, client: Any):
        self._client = client
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def counted(*args, **kwargs):
            with self._lock:
                self.calls[name] += 1
            return attr(*args, **kwargs)

        return counted

    @property
    def total(self) -> int:
        return sum(self.calls.values())
