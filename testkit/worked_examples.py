"""Months of reporting events whose figures are worked out by hand in the tests (fed through
testkit.reporting's `Reporting.feed`)."""
from __future__ import annotations

from testkit.reporting import completed, customer, order_completed, scheduled

A, B, C, D = (customer(x, "vip") for x in "ABCD")


def rules_3_worked_example(reporting, org: str = "acme-electric") -> None:
    """RULES 3: all VIP; A served 2026-08-03; A-D served Monday 2026-09-07; callbacks due
    09-10 and 09-15; A very satisfied twice, B satisfied/neutral, C neutral/satisfied, D not called."""
    feed = lambda t, d: reporting.feed(t, d, org=org)  # noqa: E731
    feed("service_order.completed", order_completed("O-A-aug", A, "2026-08-03T10:00:00+08:00"))
    feed("callback.scheduled", scheduled("CB-A-aug-1", "A", "2026-08-06", order_id="O-A-aug"))
    feed("callback.scheduled", scheduled("CB-A-aug-2", "A", "2026-08-11", kind="second", order_id="O-A-aug"))
    for cust in (A, B, C, D):
        cid = cust["id"]
        feed("service_order.completed", order_completed(f"O-{cid}-sep", cust, "2026-09-07T10:00:00+08:00"))
        feed("callback.scheduled", scheduled(f"CB-{cid}-1", cid, "2026-09-10", key_customer=True,
                                             order_id=f"O-{cid}-sep"))
        feed("callback.scheduled", scheduled(f"CB-{cid}-2", cid, "2026-09-15", kind="second", key_customer=True,
                                             order_id=f"O-{cid}-sep"))
    feed("callback.completed", completed("CB-A-1", A, "2026-09-10", product="very_satisfied",
                                         service="very_satisfied", key_customer=True))
    feed("callback.completed", completed("CB-B-1", B, "2026-09-10", product="satisfied", service="neutral",
                                         key_customer=True))
    feed("callback.completed", completed("CB-C-1", C, "2026-09-10", product="neutral", service="satisfied",
                                         key_customer=True))


K1, K2, O1, O2 = customer("K1", "vip", "王先生", "13900001111"), customer("K2"), customer("O1"), customer("O2", phone="13722223333")
E1, E2 = customer("E1", name="华东电力"), customer("E2", "group", name="长春集团")
SUGGESTION = '<img src="file:///etc/passwd"> 希望延长保修'
CHURN = "价格偏高,转到其他服务站"


def october(reporting, org: str = "acme-electric") -> None:
    """The formula fixture of test_figures.py (month 2026-10, report made 2026-11-03 08:00)."""
    feed = lambda t, d: reporting.feed(t, d, org=org)  # noqa: E731
    # served
    feed("service_order.completed", order_completed("O-K1-aug", K1, "2026-08-15T10:00:00+08:00"))
    feed("service_order.completed", order_completed("O-K1-a", K1, "2026-10-05T10:00:00+08:00"))
    feed("service_order.completed", order_completed("O-K1-b", K1, "2026-10-20T10:00:00+08:00"))
    feed("service_order.completed", order_completed("O-K2", K2, "2026-10-06T10:00:00+08:00"))
    feed("customer.flagged", {"customer_id": "K2"})
    feed("service_order.completed", order_completed("O-O1-sep", O1, "2026-09-30T23:30:00+08:00"))
    feed("service_order.completed", order_completed("O-O1-oct", O1, "2026-09-30T16:30:00+00:00"))  # 10-01 00:30 local
    feed("service_order.completed", order_completed("O-O2-nov", O2, "2026-11-01T09:00:00+08:00"))
    feed("equipment.commissioned", {"delivery_id": "D1", "commissioned_on": "2026-10-12"})  # before its shipment
    feed("delivery.shipped", {"delivery_id": "D1", "customer": E1, "shipped_on": "2026-07-01"})
    feed("delivery.shipped", {"delivery_id": "D2", "customer": E2, "shipped_on": "2026-10-03"})
    # callbacks
    feed("callback.scheduled", scheduled("cb1", "K1", "2026-10-08", order_id="O-K1-a"))
    feed("callback.completed", completed("cb1", K1, "2026-10-08", product="very_satisfied", service="very_satisfied",
                                         key_customer=True, suggestions=SUGGESTION))
    feed("callback.completed", completed("cb2", K1, "2026-10-13", kind="second", product="satisfied",
                                         service="very_satisfied", key_customer=True))  # never seen scheduled
    feed("callback.scheduled", scheduled("cb3", "K2", "2026-10-09", order_id="O-K2"))
    feed("callback.scheduled", scheduled("cb4", "O1", "2026-10-04", order_id="O-O1-oct"))
    feed("callback.completed", completed("cb4", O1, "2026-10-04", product="very_satisfied", service="very_satisfied"))
    feed("callback.scheduled", scheduled("cb5", "O2", "2026-10-20"))
    feed("callback.unreachable", {"callback_id": "cb5", "customer_id": "O2", "attempts": 3})
    feed("callback.scheduled", scheduled("cb6", "E1", "2026-10-15", kind="trial_run", delivery_id="D1"))
    feed("callback.completed", completed("cb6", E1, "2026-10-15", kind="trial_run", product="dissatisfied",
                                         service="satisfied", key_customer=True, dissatisfied_reason="噪音大"))
    feed("callback.scheduled", scheduled("cb7", "E2", "2026-10-10", kind="installation", delivery_id="D3"))
    feed("delivery.cancelled", {"delivery_id": "D3"})
    feed("callback.scheduled", scheduled("cb8", "O2", "2026-10-25", status="cancelled"))
    feed("callback.scheduled", scheduled("cb9", "K1", "2026-11-02"))
    feed("callback.scheduled", scheduled("cb10", "E2", "2026-09-28", kind="installation", delivery_id="D2"))
    feed("callback.scheduled", scheduled("cb11", "O1", "2026-10-22", kind="second", order_id="O-O1-oct"))
    feed("callback.completed", completed("cb11", O1, "2026-10-22", kind="second", reached=False))
    feed("callback.scheduled", scheduled("cb12", "E2", "2026-10-21", kind="installation", delivery_id="D2"))
    feed("callback.completed", completed("cb12", E2, "2026-10-21", kind="installation", product="neutral"))
    # complaints
    feed("complaint.raised", {"complaint_id": "P1", "customer": K1, "description": "等待时间太长",
                              "category": "service_quality", "raised_at": "2026-10-09T09:00:00+08:00"})
    feed("complaint.resolved", {"complaint_id": "P1", "customer_id": "K1", "level": 1, "level_role": "advisor",
                                "resolved_at": "2026-10-09T15:00:00+08:00",
                                "verify_due_at": "2026-10-10T15:00:00+08:00",
                                "first_reply_due_at": "2026-10-09T11:00:00+08:00",
                                "first_reply_at": "2026-10-09T10:00:00+08:00",
                                "answer_due_at": "2026-10-10T09:00:00+08:00",
                                "answered_at": "2026-10-10T10:00:00+08:00"})
    feed("complaint.closed", {"complaint_id": "P1", "customer_id": "K1", "level": 1, "level_role": "advisor",
                              "closed_at": "2026-10-10T11:00:00+08:00"})
    feed("complaint.raised", {"complaint_id": "P2", "customer": O1, "description": "价格贵", "category": "price",
                              "raised_at": "2026-10-31T23:00:00+08:00"})
    feed("complaint.escalated", {"complaint_id": "P2", "customer_id": "O1", "from_level": 0, "to_level": 1})
    feed("complaint.escalated", {"complaint_id": "P2", "customer_id": "O1", "from_level": 1, "to_level": 2})
    feed("complaint.resolved", {"complaint_id": "P2", "customer_id": "O1", "level": 2, "level_role": "manager",
                                "resolved_at": "2026-11-02T10:30:00+08:00",
                                "verify_due_at": "2026-11-03T10:30:00+08:00",
                                "first_reply_due_at": "2026-11-02T10:30:00+08:00",
                                "first_reply_at": "2026-11-02T09:00:00+08:00"})
    feed("complaint.reopened", {"complaint_id": "P2", "customer_id": "O1", "level": 2, "level_role": "manager"})
    feed("complaint.resolved", {"complaint_id": "P2", "customer_id": "O1", "level": 2, "level_role": "manager",
                                "resolved_at": "2026-11-02T12:30:00+08:00",
                                "verify_due_at": "2026-11-03T12:30:00+08:00", "churn_reason": CHURN})
    feed("complaint.raised", {"complaint_id": "P3", "customer": O2, "description": "九月的", "category": "other",
                              "raised_at": "2026-09-30T20:00:00+08:00"})
    feed("complaint.raised", {"complaint_id": "P4", "customer": E2, "description": "设备异响",
                              "category": "product_quality", "raised_at": "2026-10-15T10:00:00+08:00",
                              "first_reply_due_at": "2026-10-15T12:00:00+08:00"})


def week_of_november(reporting):
    """Four callbacks due in ISO week 2026-W45 (Mon 11-02 .. Sun 11-08), one due in W46: li made two
    calls (one reached satisfied, one unreachable), wang one (reached, dissatisfied), one is open,
    assigned to wang. Orders by advisor zhang (two) and zhou (one)."""
    for order_id, advisor in (("O-1", "zhang"), ("O-2", "zhang"), ("O-3", "zhou")):
        reporting.feed("service_order.completed", {**order_completed(order_id, customer("A"), "2026-10-30T10:00:00+08:00"),
                                                   "advisor_id": advisor})
    reporting.feed("callback.scheduled", scheduled("K-1", "A", "2026-11-02", order_id="O-1", assigned_to="li"))
    reporting.feed("callback.scheduled", scheduled("K-2", "B", "2026-11-03", order_id="O-2", assigned_to="li"))
    reporting.feed("callback.scheduled", scheduled("K-3", "C", "2026-11-04", order_id="O-3", assigned_to="wang"))
    reporting.feed("callback.scheduled", scheduled("K-4", "D", "2026-11-05", assigned_to="wang"))
    reporting.feed("callback.scheduled", scheduled("K-5", "E", "2026-11-10", assigned_to="li"))
    reporting.feed("callback.completed", completed("K-1", customer("A"), "2026-11-02", product="satisfied",
                                                   service="very_satisfied", agent="li", advisor_id="zhang"))
    reporting.feed("callback.unreachable", {"callback_id": "K-2", "customer_id": "B", "kind": "first",
                                            "due_on": "2026-11-03", "agent": "li", "advisor_id": "zhang"})
    # a supervisor made wang's call: the figures count who really called
    reporting.feed("callback.completed", completed("K-3", customer("C"), "2026-11-04", product="satisfied",
                                                   service="dissatisfied", dissatisfied_reason="慢", agent="zhao"))
