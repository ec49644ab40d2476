"""Seed 003 三(一)1 (年度、季度和月度): the periods a summary of the report's findings covers, and the
yes/no answers and complaint sources counted (domain/summary.py)."""
from __future__ import annotations

from datetime import date

import pytest

from services.reporting.domain.summary import (is_summary_period, months_of, parse_summary_period, source_rows,
                                               yes_no_counts)
from services.reporting.errors import KpiError


def test_seed_003_a_quarter_and_a_year_cover_their_days_and_months():
    quarter, year = parse_summary_period("2026-Q4"), parse_summary_period("2026")
    assert (quarter.kind, quarter.first, quarter.last) == ("quarter", date(2026, 10, 1), date(2026, 12, 31))
    assert months_of(quarter) == ["2026-10", "2026-11", "2026-12"]
    assert (year.kind, year.first, year.last, len(months_of(year))) == ("year", date(2026, 1, 1), date(2026, 12, 31), 12)
    assert is_summary_period("2026-Q1") and is_summary_period("2026") and not is_summary_period("2026-11")


@pytest.mark.parametrize("text", ["2026-Q5", "2026-Q0", "26", "2026-11", "", "0001"])
def test_seed_003_anything_else_is_refused_naming_the_period(text):
    with pytest.raises(KpiError) as refused:
        parse_summary_period(text)
    assert refused.value.field == "period"


def test_seed_000_6_3_1_yes_no_answers_are_counted_per_question_in_the_labels_order():
    labels = {"transport_damage": ("运输损伤", "Transport damage"), "ozone": ("臭氧味", "Ozone smell")}
    counted = yes_no_counts([{"ozone": True, "transport_damage": False}, {"transport_damage": True}, None],
                            labels)
    assert [(r["question_id"], r["yes"], r["no"], r["label_zh"]) for r in counted] == [
        ("transport_damage", 1, 1, "运输损伤"), ("ozone", 1, 0, "臭氧味")]


def test_seed_001_complaints_by_source_most_first_with_the_hand_over_share():
    rows = source_rows({"callback": (1, 0, 0), "hotline": (3, 2, 1)})
    assert [(r["source"], r["complaints"]) for r in rows] == [("hotline", 3), ("callback", 1)]
    assert rows[0]["handover"]["value"] == 0.5 and rows[1]["handover"]["denominator"] == 0
