"""The report room's status of a month (pages/room.py), from its report and its latest run."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace as Row

import pytest

from services.reporting.pages.room import _status

T0, T1 = datetime(2026, 11, 3, 0, 0), datetime(2026, 11, 4, 0, 0)


@pytest.mark.parametrize("report, run, expected", [
    (None, None, ("not_made", None)),
    (None, Row(status="pending", finished_at=None, error=None), ("making", None)),
    (Row(generated_at=T0, send_status="sent", send_error=None), Row(status="pending", finished_at=None, error=None),
     ("making", None)),  # a remake in progress
    (None, Row(status="failed", finished_at=T0, error="RenderError: x"), ("failed", "RenderError: x")),
    (Row(generated_at=T1, send_status="not_sent", send_error=None), Row(status="failed", finished_at=T0, error="x"),
     ("ready", None)),  # made since (the schedule): the old failure is over
    (Row(generated_at=T0, send_status="not_sent", send_error=None), None, ("ready", None)),
    (Row(generated_at=T0, send_status="queued", send_error=None), None, ("sending", None)),
    (Row(generated_at=T0, send_status="sending", send_error=None), None, ("sending", None)),
    (Row(generated_at=T0, send_status="sent", send_error=None), None, ("sent", None)),
    (Row(generated_at=T0, send_status="failed", send_error="SMTP 550"), None, ("failed", "SMTP 550")),
])
def test_a_months_report_is_not_made_being_made_ready_being_sent_sent_or_failed(report, run, expected):
    assert _status(report, run) == expected
