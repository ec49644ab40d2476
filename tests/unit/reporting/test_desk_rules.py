"""The callback desk, pure: periods of the desk's figures (seed 004 每周、每月进行统计分析) and the agents' monthly
summary due by the 3rd with its late mark (seed 000 part 1)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from services.reporting.domain.desk import DeskPolicy, parse_period, summary_due_on, summary_state, week_of
from services.reporting.domain.kpi import KpiError
from services.reporting.domain.policy import PolicyError


def test_seed_004_a_period_is_a_month_or_an_iso_week():
    week = parse_period("2026-W45")
    assert (week.kind, week.first, week.last) == ("week", date(2026, 11, 2), date(2026, 11, 8))
    month = parse_period("2026-02")
    assert (month.kind, month.first, month.last) == ("month", date(2026, 2, 1), date(2026, 2, 28))
    assert week_of(date(2027, 1, 1)) == "2026-W53"
    for bad in ("2026-W54", "2026-13", "W45", ""):
        with pytest.raises(KpiError) as raised:
            parse_period(bad)
        assert raised.value.field == "period"


def test_seed_000_part_1_summary_due_by_the_3rd_late_or_missing_after():
    assert summary_due_on("2026-12", 3) == date(2027, 1, 3)
    assert summary_state("2026-11", 3, datetime(2026, 12, 3, 23, 0), datetime(2026, 12, 9)) == "on_time"
    assert summary_state("2026-11", 3, datetime(2026, 12, 4, 8, 0), datetime(2026, 12, 9)) == "late"
    assert summary_state("2026-11", 3, None, datetime(2026, 12, 3, 18, 0)) == "not_due"
    assert summary_state("2026-11", 3, None, datetime(2026, 12, 4, 0, 1)) == "missing"


def test_seed_004_targets_per_role_are_data_and_checked():
    policy = DeskPolicy.from_data({"targets": {"agent": {"callback_completion_rate": 0.95}}, "summary": {"due_day": 5}})
    assert policy.target("agent", "callback_completion_rate") == 0.95 and policy.target("advisor", "x") is None
    assert policy.summary_due_day == 5
    with pytest.raises(PolicyError):
        DeskPolicy.from_data({"targets": {"agent": {"callback_completion_rate": 1.5}}})
    with pytest.raises(PolicyError):
        DeskPolicy.from_data({"targets": {"janitor": {}}})
