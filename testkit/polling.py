"""Waiting with a deadline instead of sleeping."""
from __future__ import annotations

import time


def eventually(check, *, timeout: float = 30.0, interval: float = 0.05, message: str = "condition"):
    """Polls `check` until it gives a truthy value; fails with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")
