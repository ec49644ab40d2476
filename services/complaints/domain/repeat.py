"""Repeat complaints: the same order complained about again within the window."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable


def is_repeat(order_id: str | None, raised_at: datetime, earlier: Iterable, window_days: int | timedelta) -> bool:
    """Gives True when an earlier complaint about `order_id` was raised within `window_days`
    calendar days before `raised_at` (RULES 1.3: a repeat gets a special callback and
    rework within 24 hours).

    `earlier` holds objects with `order_id` and `raised_at` (Complaint or rows); those
    raised after `raised_at` do not count. No order, no repeat.
    """
    if not order_id:
        return False
    window = window_days if isinstance(window_days, timedelta) else timedelta(days=window_days)
    for other in earlier:
        if other.order_id != order_id:
            continue
        gap = raised_at - other.raised_at
        if timedelta(0) <= gap <= window:
            return True
    return False
