"""Rules fidelity, the report: key or ordinary as planned, ordinary customers' orders
called back, the verification deadline, repeat complaints, calls over the guide or outside the
windows, the satisfaction score and the callback quality pass rate."""
from __future__ import annotations

from testkit import worked_examples
from testkit.reporting import completed, customer, order_completed, scheduled

O, K = customer("O"), customer("K", "vip")


def test_rule_3_key_customer_counted_as_planned(reporting):
    # given an ordinary customer's August callbacks, planned as ordinary
    reporting.feed("service_order.completed", order_completed("O-aug", O, "2026-08-03T10:00:00+08:00"))
    reporting.feed("callback.scheduled", scheduled("cb-aug-1", "O", "2026-08-06"))
    reporting.feed("callback.scheduled", scheduled("cb-aug-2", "O", "2026-08-11", kind="second", key_customer=False))
    reporting.feed("callback.completed", completed("cb-aug-1", O, "2026-08-06", product="satisfied"))
    august = reporting.figures("2026-08")
    assert august["ordinary_callback_completion_rate"] == (1, 2) and august["key_callback_completion_rate"] == (0, 0)
    # when the customer is flagged after a complaint in October, and gets a new callback then
    reporting.feed("customer.flagged", {"customer_id": "O", "complaint_id": "P-9"})
    reporting.feed("callback.scheduled", scheduled("cb-oct", "O", "2026-10-10"))
    # then August's figures stay as they were; October's callback is a key customer's
    assert reporting.figures("2026-08") == august
    assert reporting.report("2026-10").trend["2026-08"]["ordinary_callback_completion_rate"].denominator == 2
    october = reporting.figures("2026-10")
    assert october["key_callback_completion_rate"] == (0, 1) and october["ordinary_callback_completion_rate"] == (0, 0)
    # and a later outcome of a past callback keeps its class too
    reporting.feed("callback.completed", completed("cb-aug-2", O, "2026-08-11", kind="second", product="satisfied"))
    assert reporting.figures("2026-08")["ordinary_callback_completion_rate"] == (2, 2)


def test_rule_3_key_customer_counted_as_planned_survives_a_rebuild(reporting):
    from services.reporting.jobs import rebuild

    reporting.feed("callback.scheduled", scheduled("cb-aug-1", "O", "2026-08-06"))
    reporting.feed("customer.flagged", {"customer_id": "O", "complaint_id": "P-9"})
    before = reporting.figures("2026-08")
    rebuild(reporting.service)
    assert reporting.figures("2026-08") == before == {**before, "ordinary_callback_completion_rate": (0, 1)}


def test_rule_3_ordinary_order_coverage_rate(reporting):
    # given October's orders: three of ordinary customers (one called and reached, one unreachable,
    # one not sampled), a VIP's, and an ordinary customer's accident repair (a key order kind)
    o1, o2, o3, a = customer("O1"), customer("O2"), customer("O3"), customer("A")
    for order_id, cust, kind in (("SO-1", o1, "maintenance"), ("SO-2", o2, "repair"), ("SO-3", o3, "maintenance"),
                                 ("SO-K", K, "maintenance"), ("SO-A", a, "accident")):
        reporting.feed("service_order.completed", order_completed(order_id, cust, "2026-10-05T10:00:00+08:00", kind))
    reporting.feed("callback.scheduled", scheduled("cb-1", "O1", "2026-10-08", order_id="SO-1"))
    reporting.feed("callback.completed", completed("cb-1", o1, "2026-10-08", order_id="SO-1", product="satisfied"))
    reporting.feed("callback.scheduled", scheduled("cb-2", "O2", "2026-10-08", order_id="SO-2"))
    reporting.feed("callback.unreachable", {"callback_id": "cb-2", "customer_id": "O2", "attempts": 3})
    # a customer flagged after their order still counts it as ordinary
    reporting.feed("customer.flagged", {"customer_id": "O3"})
    # then 1 of the 3 ordinary customers' orders got a callback that reached them; target: the policy's rate
    report = reporting.report("2026-10")
    coverage = report.figures["ordinary_order_coverage_rate"]
    assert (coverage.numerator, coverage.denominator, coverage.value) == (1, 3, 0.3333)
    assert report.targets["ordinary_order_coverage_rate"] == 0.3
    assert "ordinary_order_coverage_rate" in report.trend["2026-09"]
    assert report.as_dict()["figures"]["ordinary_order_coverage_rate"] == {"numerator": 1, "denominator": 3,
                                                                           "value": 0.3333}
    # the existing completion rates stay
    assert reporting.figures("2026-10")["ordinary_callback_completion_rate"] == (1, 2)


def test_rule_2_verification_deadline_met_when_the_customer_was_reached_in_time_whatever_the_answer(reporting):
    # given a complaint resolved with its verification due 2026-10-10 15:00
    reporting.feed("complaint.raised", {"complaint_id": "P1", "customer": K, "description": "等待太久",
                                        "raised_at": "2026-10-09T09:00:00+08:00"})
    reporting.feed("complaint.resolved", {"complaint_id": "P1", "customer_id": "K", "level": 1,
                                          "resolved_at": "2026-10-09T15:00:00+08:00",
                                          "verify_due_at": "2026-10-10T15:00:00+08:00"})
    # when the verification callback reaches the customer in time and finds them still dissatisfied
    reporting.feed("callback.completed", completed(
        "cb-v", K, "2026-10-10", kind="verification", complaint_id="P1", product="dissatisfied",
        dissatisfied_reason="仍有噪音", completed_at="2026-10-10T11:00:00+08:00", verification=True))
    reporting.feed("complaint.reopened", {"complaint_id": "P1", "customer_id": "K", "level": 1})
    # then the verification deadline (the last "1" of 2-1-1) counts as met
    verify = reporting.report("2026-10").complaints.deadlines["verify"]
    assert (verify.numerator, verify.denominator) == (1, 1)
    # and a special callback of the complaint is no verification
    reporting.feed("complaint.resolved", {"complaint_id": "P1", "customer_id": "K", "level": 1,
                                          "resolved_at": "2026-10-12T15:00:00+08:00",
                                          "verify_due_at": "2026-10-13T15:00:00+08:00"})
    reporting.feed("callback.completed", completed(
        "cb-s", K, "2026-10-13", kind="repeat_special", complaint_id="P1", product="satisfied",
        completed_at="2026-10-13T10:00:00+08:00", verification=False))
    reporting.at(2026, 11, 3, 8, 0)
    verify = reporting.report("2026-10").complaints.deadlines["verify"]
    assert (verify.numerator, verify.denominator) == (0, 1)


def test_rule_1_3_repeat_complaints_their_rework_and_special_callbacks_are_counted(reporting):
    reporting.feed("complaint.raised", {"complaint_id": "P2", "customer": O, "description": "又漏水了",
                                        "raised_at": "2026-10-20T17:00:00+08:00", "order_id": "SO-9"})
    reporting.feed("complaint.repeated", {"complaint_id": "P2", "customer": O, "order_id": "SO-9",
                                          "raised_at": "2026-10-20T17:00:00+08:00",
                                          "rework_due_at": "2026-10-21T17:00:00+08:00"})
    reporting.feed("callback.scheduled", scheduled("cb-r", "O", "2026-10-21", kind="repeat_special", complaint_id="P2"))
    reporting.feed("callback.completed", completed("cb-r", O, "2026-10-21", kind="repeat_special", complaint_id="P2",
                                                   product="satisfied", verification=False))
    reporting.feed("complaint.resolved", {"complaint_id": "P2", "customer_id": "O", "level": 0, "repeat": True,
                                          "resolved_at": "2026-10-22T10:00:00+08:00",
                                          "reworked_at": "2026-10-21T15:00:00+08:00",
                                          "rework_due_at": "2026-10-21T17:00:00+08:00"})
    complaints = reporting.report("2026-10").complaints
    assert complaints.repeat == 1
    assert (complaints.deadlines["rework"].numerator, complaints.deadlines["rework"].denominator) == (1, 1)
    assert (complaints.special_callbacks.numerator, complaints.special_callbacks.denominator) == (1, 1)
    assert complaints.as_dict()["special_callbacks"] == {"numerator": 1, "denominator": 1, "value": 1.0}


def test_rule_1_2_report_gives_the_share_of_calls_over_the_guide_and_outside_the_windows(reporting):
    # given October's calls: one long without complaint, two within the guide (one recorded at night)
    reporting.feed("callback.completed", completed("c1", O, "2026-10-08", product="satisfied", over_time_limit=True,
                                                   outside_call_window=False))
    reporting.feed("callback.completed", completed("c2", O, "2026-10-09", product="satisfied", over_time_limit=False,
                                                   outside_call_window=True))
    reporting.feed("callback.completed", completed("c3", O, "2026-10-10", product="satisfied", over_time_limit=False,
                                                   outside_call_window=False))
    reporting.feed("callback.completed", completed("c4", O, "2026-10-11", product="satisfied"))  # said nothing
    figures = reporting.figures("2026-10")
    assert figures["over_time_limit_rate"] == (1, 3)
    assert figures["outside_call_window_rate"] == (1, 3)


def test_rule_1_4_satisfaction_score_and_callback_quality_not_reviewed(reporting):
    worked_examples.october(reporting)
    report = reporting.report("2026-10")
    # product: very 2, satisfied 1, neutral 1, dissatisfied 1 -> (10 + 4 + 3 + 2) / 5; service: (15 + 4) / 4
    assert report.satisfaction_scores == {"product": 3.8, "service": 4.75}
    # the callback quality pass rate needs reviews of callback records: "not reviewed", never 100%
    assert report.callback_quality == {"status": "not_reviewed", "pass_rate": None}
    body = report.as_dict()
    assert body["satisfaction_scores"]["service"] == 4.75 and body["callback_quality"]["status"] == "not_reviewed"
