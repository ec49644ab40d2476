"""Complaint ownership in the monthly report: complaints closed by each closure reason (seed 002), and
verification callbacks that found nobody, counted for the month the complaints were raised in."""
from __future__ import annotations

from testkit.tokens import bearer, user_token
from testkit.reporting import ORG, customer


def _raised(reporting, complaint_id: str, raised_at: str) -> None:
    reporting.feed("complaint.raised", {"complaint_id": complaint_id, "customer": customer("C-1"),
                                        "description": "d", "category": "price", "raised_at": raised_at})


def test_seed_002_closure_reasons_unreachable_verifications_and_broken_promises_counted_in_the_report(reporting):
    from services.reporting.app import create_app

    # given four complaints raised in October: two closed as anonymous, one answered in writing,
    # one whose verification found nobody (still waiting), one raised in November (not counted)
    for n in range(1, 5):
        _raised(reporting, f"K-{n}", f"2026-10-0{n}T10:00:00+08:00")
    _raised(reporting, "K-9", "2026-11-02T10:00:00+08:00")
    for complaint_id, reason in (("K-1", "anonymous"), ("K-2", "anonymous"), ("K-3", "written_reply"),
                                 ("K-9", "not_valid")):
        reporting.feed("complaint.closed", {"complaint_id": complaint_id, "closure_reason": reason,
                                            "closed_at": "2026-11-02T12:00:00+08:00"})
    reporting.feed("complaint.verification_unreachable", {"complaint_id": "K-4", "callback_id": "CB-4",
                                                          "unreachable_at": "2026-10-20T10:00:00+08:00"})
    # and two promises to K-4's customer broken (seed 004 在对客户承诺的时间内: not kept)
    for promise_id in ("P-1", "P-2"):
        reporting.feed("complaint.promise_broken", {"complaint_id": "K-4", "promise_id": promise_id})
    # when the manager reads October's report
    app = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings, "REPORTING_GENERATE_INLINE": True})
    body = app.test_client().get("/api/v1/reports/2026-10", headers=bearer(user_token("manager", org=ORG))).get_json()
    # then the closures are counted by reason, and the unreachable verification waits
    assert body["closures"] == {"by_reason": {"anonymous": 2, "written_reply": 1}, "closed_with_reason": 3,
                                "verification_unreachable": 1, "unreachable_waiting": 1,
                                "promises_broken": 2, "complaints_with_broken_promises": 1}


def test_seed_003_corrective_actions_listed_in_the_monthly_report_with_the_overdue_ones(reporting):
    from services.reporting.app import create_app

    def action(action_id, status, due_on, updated_at="2026-10-20T10:00:00+08:00", **extra):
        reporting.feed("corrective_action.updated", {
            "action_id": action_id, "title": f"整改 {action_id}", "owner": "zhang", "due_on": due_on, "status": status,
            "complaint_ids": ["K-1"], "callback_ids": [], "updated_at": updated_at, **extra})

    action("CA-1", "open", "2026-10-25")                 # overdue (the report is read on Nov 3)
    action("CA-2", "in_progress", "2026-11-30")          # due later
    action("CA-3", "effective", "2026-10-10", effectiveness="无复发")  # checked in October: listed
    action("CA-4", "effective", "2026-09-10", updated_at="2026-09-20T10:00:00+08:00")  # checked before: not listed
    action("CA-2", "open", "2026-11-30", updated_at="2026-10-01T10:00:00+08:00")  # older news: ignored
    app = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings, "REPORTING_GENERATE_INLINE": True})
    body = app.test_client().get("/api/v1/reports/2026-10", headers=bearer(user_token("manager", org=ORG))).get_json()
    actions = body["corrective_actions"]
    assert [(a["id"], a["status"], a["overdue"]) for a in actions["listed"]] == [
        ("CA-3", "effective", False), ("CA-1", "open", True), ("CA-2", "in_progress", False)]
    assert actions["overdue"] == ["CA-1"] and actions["total"] == 3
