"""Seed 000 part 5 「回访调查流失原因」: the churn reason a lapsed customer's "why not back" callback brings
back (its `answers`) is listed and counted with the complaints' churn reasons in the month's report."""
from __future__ import annotations

from testkit import worked_examples
from testkit.reporting import completed, customer, scheduled


def test_seed_000_part_5_lapsed_callback_churn_reasons_count_with_complaints_churn(reporting):
    # given October's events (one complaint with a churn reason), and a lapsed customer's "why not back"
    # callback due in October answered with its churn reason
    worked_examples.october(reporting)
    lapsed = customer("L1", name="流失客户甲")
    reporting.feed("callback.scheduled", scheduled("cb-l1", "L1", "2026-10-16", kind="lapsed"))
    reporting.feed("callback.completed", completed("cb-l1", lapsed, "2026-10-16", kind="lapsed",
                                                   questionnaire="lapsed",
                                                   answers={"churn_reason": "距离太远，就近维修", "went_elsewhere": True},
                                                   recorded_at="2026-10-16T10:00:00+08:00"))
    # and a November one, which belongs to November
    reporting.feed("callback.completed", completed("cb-l2", customer("L2"), "2026-11-02", kind="lapsed",
                                                   answers={"churn_reason": "暂无需要"}))
    # when October's report is made
    report = reporting.report("2026-10")
    # then the list holds the complaint's churn reason and the lapsed customer's, and the total counts both
    assert sorted((r.customer_name, r.text) for r in report.churn_reasons) == sorted([
        ("客户O1", worked_examples.CHURN), ("流失客户甲", "距离太远，就近维修")])
    assert report.as_dict()["listing_totals"]["churn_reasons"] == 2
