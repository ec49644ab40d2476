"""RULES 3: the report's populations. Follow-up calls count in no survey rate and have figures of their
own; the touched rate counts the month's customers, and says while it can still rise."""
from __future__ import annotations

from services.reporting.render import render_report_pdf
from services.reporting.schemas import ReportSchema
from testkit.reporting import completed, customer, order_completed, pdf_text, scheduled

A, B = customer("A", "vip"), customer("B", "vip")


def _september(reporting):
    # A served 09-07, first callback due 09-10, reached, satisfied with everything
    reporting.feed("service_order.completed", order_completed("O-A", A, "2026-09-07T10:00:00+08:00"))
    reporting.feed("callback.scheduled", scheduled("CB-A", "A", "2026-09-10", order_id="O-A"))
    reporting.feed("callback.completed", completed("CB-A", A, "2026-09-10", product="satisfied",
                                                   service="satisfied", order_id="O-A"))


def test_rule_3_follow_up_calls_count_in_no_survey_rate_and_have_their_own_figures(reporting):
    # given a survey callback of September, and three follow-up calls due in September
    _september(reporting)
    reporting.feed("callback.scheduled", scheduled("V-1", "A", "2026-09-11", kind="verification", complaint_id="K-1"))
    reporting.feed("callback.completed", {**completed("V-1", A, "2026-09-11", kind="verification",
                                                      service="dissatisfied", complaint_id="K-1"),
                                          "completed_at": "2026-09-11T10:00:00+08:00"})
    reporting.feed("callback.scheduled", scheduled("V-2", "B", "2026-09-14", kind="verification", complaint_id="K-2"))
    reporting.feed("callback.completed", {**completed("V-2", B, "2026-09-14", kind="verification",
                                                      service="very_satisfied", complaint_id="K-2"),
                                          "completed_at": "2026-09-16T10:00:00+08:00"})  # two days late
    reporting.feed("callback.scheduled", scheduled("F-1", "B", "2026-09-20", kind="promise_followup",
                                                   complaint_id="K-2"))
    reporting.feed("callback.scheduled", scheduled("S-1", "B", "2026-09-21", kind="repeat_special",
                                                   complaint_id="K-3"))
    # when September's figures are computed
    figures = reporting.figures("2026-09")
    # then the completion and satisfaction rates count the survey callback only
    assert figures["callback_completion_rate"] == (1, 1)
    assert figures["product_satisfaction_rate"] == (1, 1)
    assert figures["service_satisfaction_rate"] == (1, 1)
    # and the verifications have their own: reached on time 1 of 2; satisfied with the handling 1 of 2
    assert figures["verification_on_time_rate"] == (1, 2)
    assert figures["verification_satisfied_rate"] == (1, 2)
    # the repeat complaint's special callback is still counted with the complaints
    assert reporting.report("2026-09").complaints.special_callbacks.denominator == 1


def test_rule_3_a_customer_served_at_the_month_end_counts_in_the_month_served(reporting):
    # given B served on Tuesday 2026-09-29, whose first callback is due Friday 2026-10-02
    reporting.at(2026, 9, 30, 9, 0)
    reporting.feed("service_order.completed", order_completed("O-B", B, "2026-09-29T16:00:00+08:00"))
    reporting.feed("callback.scheduled", scheduled("CB-B", "B", "2026-10-02", order_id="O-B"))
    # then September counts B among its customers, not touched yet, and says the figure can still rise
    september = reporting.report("2026-09")
    touched = september.figures["touched_rate"]
    assert (touched.numerator, touched.denominator) == (0, 1)
    assert ReportSchema().dump(september.as_dict())["touched_rate_can_rise"] is True  # the month's JSON says so
    # when the callback reaches B in October, very satisfied with everything
    reporting.at(2026, 10, 2, 10, 0)
    reporting.feed("callback.completed", completed("CB-B", B, "2026-10-02", product="very_satisfied",
                                                   service="very_satisfied", order_id="O-B"))
    # then September's touched rate rose to 1/1 and can rise no more; October touches nobody (B was not served then)
    september = reporting.report("2026-09")
    touched = september.figures["touched_rate"]
    assert (touched.numerator, touched.denominator) == (1, 1)
    assert september.touched_rate_can_rise is False
    october = reporting.report("2026-10")
    assert (october.figures["touched_rate"].numerator, october.figures["touched_rate"].denominator) == (0, 0)
    # while the callback itself is October's, in October's completion rate
    assert (october.figures["callback_completion_rate"].numerator,
            october.figures["callback_completion_rate"].denominator) == (1, 1)


def test_rule_3_a_follow_up_call_very_satisfied_does_not_touch_a_customer(reporting):
    reporting.feed("service_order.completed", order_completed("O-C", customer("C"), "2026-09-07T10:00:00+08:00"))
    reporting.feed("callback.scheduled", scheduled("Q-C", "C", "2026-09-09", kind="question_followup", order_id="O-C"))
    reporting.feed("callback.completed", completed("Q-C", customer("C"), "2026-09-09", kind="question_followup",
                                                   service="very_satisfied", order_id="O-C"))
    assert reporting.figures("2026-09")["touched_rate"] == (0, 1)


def test_rule_3_the_pdf_states_the_populations_and_that_the_touched_rate_can_rise(reporting):
    reporting.at(2026, 9, 30, 9, 0)
    _september(reporting)
    reporting.feed("service_order.completed", order_completed("O-B", B, "2026-09-29T16:00:00+08:00"))
    reporting.feed("callback.scheduled", scheduled("CB-B", "B", "2026-10-02", order_id="O-B"))
    for language, expected in (("zh-CN", ("说明", "只统计满意度调查回访", "投诉回访及时率", "本月感动率仍可能上升")),
                               ("en", ("Notes", "count the survey callbacks only", "Verifications reached on time",
                                       "touched rate can still rise"))):
        text = " ".join(pdf_text(render_report_pdf(reporting.report("2026-09", language=language),
                                                   language)).split())
        for words in expected:
            assert words in text, (language, words)
