"""RULES 3: the monthly report's figures, built from counts the SQL aggregation gives."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.reporting.domain.kpi import (
    FIGURE_NAMES,
    Figure,
    KpiError,
    MonthCounts,
    build_figures,
    callback_completion_rate,
    month_bounds,
    month_of,
    previous_months,
)
from services.reporting.domain.report import (
    CallbackListing,
    ComplaintSummary,
    Remark,
    ReportData,
    build_report,
    complaint_summary,
)


def worked_example_counts() -> MonthCounts:
    """RULES 3 worked example, September 2026, all customers VIP (key customers).

    A, B, C, D each have an order completed 2026-09-07: two callbacks each (8).
    First callbacks: A reached (very/very), B reached (satisfied/neutral),
    C reached (neutral/satisfied), D not yet called. A was also served in August.
    """
    # product: very, satisfied, neutral; service: very, neutral, satisfied -> 2 satisfied of 3 each
    return MonthCounts(
        callbacks=8,
        callbacks_reached=3,
        key_callbacks=8,
        key_callbacks_reached=3,
        product_answered=3,
        product_satisfied=2,
        service_answered=3,
        service_satisfied=2,
        customers_served=4,
        customers_touched=1,
        customers_returning=1,
    )


def test_rule_3_worked_example_september_figures():
    # given the counts of the worked example
    counts = worked_example_counts()
    # when the figures are built
    figures = build_figures(counts)
    # then
    assert figures["callback_completion_rate"] == Figure(3, 8, 0.375)
    assert figures["key_callback_completion_rate"] == Figure(3, 8, 0.375)
    assert figures["product_satisfaction_rate"] == Figure(2, 3, 0.6667)
    assert figures["service_satisfaction_rate"] == Figure(2, 3, 0.6667)
    assert figures["touched_rate"] == Figure(1, 4, 0.25)
    assert figures["return_rate"] == Figure(1, 4, 0.25)
    assert figures["ordinary_callback_completion_rate"] == Figure(0, 0, None)
    assert list(figures) == list(FIGURE_NAMES)


def test_rule_3_worked_example_report_json_has_contract_shape():
    report = build_report(
        organization="acme-auto",
        month="2026-09",
        counts=worked_example_counts(),
        trend_counts={"2026-08": MonthCounts(customers_served=1)},
        targets={"key_callback_completion_rate": 1.0},
    )
    data = report.as_dict()
    assert data["figures"]["callback_completion_rate"] == {
        "numerator": 3, "denominator": 8, "value": 0.375
    }
    assert list(data["trend"]) == ["2026-07", "2026-08"]
    assert data["trend"]["2026-08"]["return_rate"] == {"numerator": 0, "denominator": 1, "value": 0.0}
    assert data["trend"]["2026-07"]["touched_rate"]["value"] is None
    assert data["targets"]["key_callback_completion_rate"] == 1.0
    assert data["targets"]["touched_rate"] is None
    assert ReportData.from_dict(data) == report


def test_figure_of_zero_denominator_has_no_value():
    assert Figure.of(0, 0) == Figure(0, 0, None)
    assert Figure.of(0, 0).as_dict() == {"numerator": 0, "denominator": 0, "value": None}


def test_figure_rejects_impossible_counts():
    with pytest.raises(KpiError) as error:
        callback_completion_rate(reached=9, callbacks=8)
    assert error.value.field == "numerator"
    with pytest.raises(KpiError):
        Figure.of(-1, 3)


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_figure_value_is_rounded_ratio_between_0_and_1(a, b):
    numerator, denominator = min(a, b), max(a, b)
    figure = Figure.of(numerator, denominator)
    if denominator == 0:
        assert figure.value is None
    else:
        assert 0 <= figure.value <= 1
        assert abs(figure.value - numerator / denominator) <= 0.00005


def test_figure_meets_target():
    assert Figure.of(3, 8).meets(0.3) is True
    assert Figure.of(3, 8).meets(1.0) is False
    assert Figure.of(8, 8).meets(1.0) is True
    assert Figure.of(0, 0).meets(1.0) is None
    assert Figure.of(1, 2).meets(None) is None


def test_rule_3_satisfied_answers_are_the_shared_set_and_an_answer_off_the_scale_counts_nowhere():
    from services.reporting.figures import month as figures
    from services.reporting.handlers.rows import answer
    from shared.core import answers

    # the figures count the answers of the set every service uses (shared/core/answers.py)
    assert figures.SATISFIED_ANSWERS is answers.SATISFIED_ANSWERS
    # an answer off the five-point scale is kept as no answer
    assert answer("satisfied") == "satisfied" and answer("ok") is None


def test_month_bounds_are_first_and_last_day():
    assert month_bounds("2026-10") == (date(2026, 10, 1), date(2026, 10, 31))
    assert month_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert month_of(date(2026, 10, 31)) == "2026-10"


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-10", "", "2026/10", "2026-00"])
def test_month_rejects_malformed_text(bad):
    with pytest.raises(KpiError) as error:
        month_bounds(bad)
    assert error.value.field == "month"


def test_previous_months_cross_the_year():
    assert previous_months("2026-10", 2) == ["2026-08", "2026-09"]
    assert previous_months("2026-02", 2) == ["2025-12", "2026-01"]
    assert previous_months("2026-01", 1) == ["2025-12"]


def test_complaint_summary_counts_and_deadline_shares():
    summary = complaint_summary(
        by_category={"维修质量": 2, "服务态度": 5},
        by_customer_class={"group": 3, "ordinary": 4},
        by_level={1: 2, 0: 3},
        deadlines_met={"first_reply": (6, 7), "answer": (5, 7), "verify": (0, 0)},
        resolve_service_hours=25.0,
        resolved=5,
        reopened=1,
    )
    assert summary.total == 7
    assert list(summary.by_category) == ["服务态度", "维修质量"]  # largest first
    assert summary.by_level == {"0": 3, "1": 2}
    assert summary.deadlines["first_reply"] == Figure(6, 7, 0.8571)
    assert summary.deadlines["verify"].value is None
    assert summary.mean_hours_to_resolve == 5.0
    assert ComplaintSummary.from_dict(summary.as_dict()) == summary


def test_complaint_summary_without_resolutions_has_no_mean():
    summary = complaint_summary(by_category={})
    assert summary.total == 0 and summary.mean_hours_to_resolve is None


def test_complaint_summary_rejects_unknown_deadline():
    with pytest.raises(KpiError):
        complaint_summary(by_category={}, deadlines_met={"lunch": (1, 1)})


def test_build_report_rejects_target_outside_0_1_and_unknown_names():
    with pytest.raises(KpiError):
        build_report(organization="o", month="2026-10", counts=MonthCounts(), trend_counts={},
                     targets={"touched_rate": 30})
    with pytest.raises(KpiError):
        build_report(organization="o", month="2026-10", counts=MonthCounts(), trend_counts={},
                     targets={"happiness": 0.5})


def test_listings_round_trip_through_json():
    report = build_report(
        organization="o", month="2026-10", counts=MonthCounts(), trend_counts={}, targets={},
        suggestions=[Remark("甲公司", "希望周末营业", date(2026, 10, 3), "服务")],
        churn_reasons=[Remark("乙公司", "价格偏高")],
        overdue=[CallbackListing("丙公司", "13812345678", "first", date(2026, 10, 9))],
        unreachable=[CallbackListing("丁公司", None, "second", date(2026, 10, 20))],
    )
    assert ReportData.from_dict(report.as_dict()) == report


def test_rule_3_trend_length_comes_from_one_constant():
    from services.reporting.figures import month as figures
    from services.reporting.domain import kpi

    # figures/month.py aggregates the same months build_report keeps
    assert figures.TREND_MONTHS is kpi.TREND_MONTHS == 2
    report = build_report(organization="o", month="2026-10", counts=MonthCounts(), trend_counts={}, targets={})
    assert list(report.trend) == previous_months("2026-10", kpi.TREND_MONTHS) == ["2026-08", "2026-09"]
    # and a different length is honoured, not a hard-coded two
    report = build_report(organization="o", month="2026-10", counts=MonthCounts(), trend_counts={}, targets={},
                          trend_months=3)
    assert list(report.trend) == ["2026-07", "2026-08", "2026-09"]


def test_rule_1_4_satisfaction_score_is_the_mean_points_of_the_answers():
    from services.reporting.domain.kpi import satisfaction_score

    points = {"very_satisfied": 5, "satisfied": 4, "neutral": 3, "dissatisfied": 2, "very_dissatisfied": 1}
    assert satisfaction_score({"very_satisfied": 2, "neutral": 1, "very_dissatisfied": 1}, points) == 3.5
    assert satisfaction_score({}, points) is None
    with pytest.raises(KpiError):
        satisfaction_score({"satisfied": 1}, {"very_satisfied": 5})
