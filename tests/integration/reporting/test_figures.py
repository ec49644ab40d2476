"""RULES 3: every figure of the monthly report, through the real handlers, counted in SQL."""
from __future__ import annotations

from pathlib import Path

import pytest

from testkit import worked_examples
from testkit.reporting import customer, order_completed


@pytest.fixture
def october(reporting):
    worked_examples.october(reporting)
    return reporting


def test_rule_3_worked_example(reporting):
    # given the events of the RULES 3 worked example, through the real handlers
    worked_examples.rules_3_worked_example(reporting)
    # when September's figures are computed
    figures = reporting.figures("2026-09")
    # then they are those of the worked example
    assert figures["callback_completion_rate"] == (3, 8)
    assert figures["product_satisfaction_rate"] == (2, 3)
    assert figures["service_satisfaction_rate"] == (2, 3)
    assert figures["touched_rate"] == (1, 4)
    assert figures["return_rate"] == (1, 4)
    assert figures["key_callback_completion_rate"] == (3, 8)
    assert figures["ordinary_callback_completion_rate"] == (0, 0)
    report = reporting.report("2026-09")
    assert report.figures["callback_completion_rate"].value == 0.375
    # and August is in the trend: A served, two callbacks due, none reached
    august = report.trend["2026-08"]
    assert (august["return_rate"].numerator, august["return_rate"].denominator) == (0, 1)
    assert (august["callback_completion_rate"].numerator, august["callback_completion_rate"].denominator) == (0, 2)


def test_rule_3_callback_completion_by_due_month_cancelled_count_nowhere(october):
    # cb1 cb2 cb3 cb4 cb5 cb6 cb11 cb12 are October's (cb7 cancelled with D3, cb8 cancelled,
    # cb9 is November's, cb10 September's); reached: cb1 cb2 cb4 cb6 cb12 (cb11 not reached)
    figures = october.figures("2026-10")
    assert figures["callback_completion_rate"] == (5, 8)


def test_rule_3_completion_for_key_and_ordinary_customers(october):
    # key: K1 vip (cb1 cb2), K2 flagged (cb3), E1 marked key by the scheduler (cb6), E2 group (cb12)
    # ordinary: O1 (cb4 reached, cb11 not), O2 (cb5 unreachable)
    figures = october.figures("2026-10")
    assert figures["key_callback_completion_rate"] == (4, 5)
    assert figures["ordinary_callback_completion_rate"] == (1, 3)


def test_rule_3_satisfaction_counts_only_callbacks_that_answered(october):
    # product: cb1 very, cb2 satisfied, cb4 very, cb6 dissatisfied, cb12 neutral -> 3/5
    # service: cb1 very, cb2 very, cb4 very, cb6 satisfied; cb12 did not answer -> 4/4
    report = october.report("2026-10")
    figures = october.figures("2026-10")
    assert figures["product_satisfaction_rate"] == (3, 5)
    assert figures["service_satisfaction_rate"] == (4, 4)
    assert report.satisfaction_answers["product"] == {"very_satisfied": 2, "satisfied": 1, "neutral": 1,
                                                      "dissatisfied": 1}
    assert report.satisfaction_answers["service"] == {"very_satisfied": 3, "satisfied": 1}


def test_rule_3_served_customers_by_order_shipment_or_commissioning_in_local_time(october):
    # served in October: K1 (twice, counted once), K2, O1 (10-01 00:30 Shanghai), E1 (commissioned
    # 10-12, the event came before the shipment), E2 (shipped 10-03); O2's order is November's
    figures = october.figures("2026-10")
    assert figures["touched_rate"][1] == 5
    assert figures["return_rate"][1] == 5


def test_rule_3_return_rate_counts_customers_served_in_an_earlier_month(october):
    # K1 (August), O1 (2026-09-30 23:30), E1 (shipped July) came back; K2 and E2 are new
    assert october.figures("2026-10")["return_rate"] == (3, 5)


def test_rule_3_touched_rate_needs_every_answer_very_satisfied(october):
    # K1 (cb1) and O1 (cb4) answered very satisfied to everything; E2 neutral, E1 dissatisfied,
    # K2 not called yet
    assert october.figures("2026-10")["touched_rate"] == (2, 5)


def test_rule_3_trend_holds_the_two_months_before(october):
    report = october.report("2026-10")
    assert sorted(report.trend) == ["2026-08", "2026-09"]
    september = report.trend["2026-09"]
    # September: cb10 open; O1 served 09-30 for the first time
    assert (september["callback_completion_rate"].numerator, september["callback_completion_rate"].denominator) == (0, 1)
    assert (september["return_rate"].numerator, september["return_rate"].denominator) == (0, 1)
    august = report.trend["2026-08"]
    assert (august["return_rate"].numerator, august["return_rate"].denominator) == (0, 1)


def test_rule_3_complaints_by_raised_month_category_class_and_level(october):
    complaints = october.report("2026-10").complaints
    # P1, P2 (10-31 23:00 Shanghai), P4; P3 is September's
    assert complaints.total == 3
    assert complaints.by_category == {"price": 1, "product_quality": 1, "service_quality": 1}
    assert complaints.by_customer_class == {"group": 1, "ordinary": 1, "vip": 1}
    assert complaints.by_level == {"advisor": 1, "manager": 1}
    assert complaints.reopened == 1


def test_rule_3_complaint_deadlines_met_and_mean_service_hours(october):
    complaints = october.report("2026-10").complaints
    deadlines = {k: (f.numerator, f.denominator) for k, f in complaints.deadlines.items()}
    # first reply: P1 and P2 in time, P4's passed unmet; answer: P1 late; verify: P1 closed in time
    # (P2's verification is not due yet when the report is made)
    assert deadlines == {"first_reply": (2, 3), "answer": (0, 1), "verify": (1, 1)}
    # P1: Friday 09:00-15:00 = 6 h; P2: raised Saturday night, resolved again Monday 12:30 = 4 h
    assert complaints.mean_hours_to_resolve == 5.0


def test_rule_3_listings_of_suggestions_churn_overdue_and_unreachable(october):
    report = october.report("2026-10")
    assert [(r.customer_name, r.text) for r in report.suggestions] == [("王先生", worked_examples.SUGGESTION)]
    assert [(r.customer_name, r.text) for r in report.churn_reasons] == [("客户O1", worked_examples.CHURN)]
    assert [(c.customer_name, c.kind, c.due_on.isoformat()) for c in report.overdue] == [
        ("客户K2", "first", "2026-10-09"), ("客户O1", "second", "2026-10-22")]
    assert [(c.customer_name, c.phone) for c in report.unreachable] == [("客户O2", "13722223333")]


def test_same_events_delivered_again_change_nothing(october):
    before = october.report("2026-10").as_dict()
    # when every event is handled again under a new id (an upstream replay)
    worked_examples.october(october)
    after = october.report("2026-10").as_dict()
    before.pop("generated_at"), after.pop("generated_at")
    assert after == before


def test_organisations_see_only_their_own_figures(october):
    # given another organisation with one served customer and a reached callback in October
    october.feed("service_order.completed", order_completed("X-1", customer("X"), "2026-10-05T10:00:00+08:00"),
                 org="other-org")
    figures = october.figures("2026-10", org="other-org")
    assert figures["return_rate"] == (0, 1)
    assert figures["callback_completion_rate"] == (0, 0)
    assert october.figures("2026-10")["return_rate"] == (3, 5)


def test_rule_2_time_to_resolve_counts_on_the_organisations_own_working_calendar(reporting):
    # given an organisation whose own calendar makes Friday 2026-10-09 a day off
    path = Path(reporting.settings.data_dir) / "acme-electric" / "reporting" / "calendar.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("holidays: [2026-10-09]\n", encoding="utf-8")
    # when October's complaints are resolved
    worked_examples.october(reporting)
    # then P1 (raised and resolved that Friday) took no service hours, P2 four: the mean is 2
    assert reporting.report("2026-10").complaints.mean_hours_to_resolve == 2.0
    # and another organisation keeps the packaged calendar
    worked_examples.october(reporting, org="other-org")
    assert reporting.report("2026-10", org="other-org").complaints.mean_hours_to_resolve == 5.0
