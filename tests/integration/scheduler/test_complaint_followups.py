"""Complaint ownership in the scheduler: the follow-up callback of a promise made to a complaint's customer, and a
verification tried again after an unreachable one."""
from __future__ import annotations


def test_seed_004_a_promise_gets_its_followup_callback_on_its_day(scheduler):
    # given a promise to visit by Wednesday 2026-11-25 17:00
    data = {"complaint_id": "K-7", "promise_id": "P-1", "customer": {"id": "C-1", "name": "客户C-1"},
            "what": "周三前上门复查", "due_at": "2026-11-25T17:00:00+08:00", "followup_kind": "promise_followup"}
    scheduler.handle("complaint.promise_made", data)
    # then a follow-up callback of the policy's kind is due that day
    (followup,) = scheduler.callbacks(complaint_id="K-7")
    assert (followup["kind"], followup["due_on"], followup["status"]) == ("promise_followup", "2026-11-25", "open")
    # the same promise again changes nothing; another promise gets its own
    scheduler.handle("complaint.promise_made", data)
    scheduler.handle("complaint.promise_made", {**data, "promise_id": "P-2", "due_at": "2026-11-27T10:00:00+08:00"})
    assert sorted(c["due_on"] for c in scheduler.callbacks(complaint_id="K-7")) == ["2026-11-25", "2026-11-27"]


def test_a_verification_tried_again_gets_a_new_verification_callback(scheduler):
    scheduler.handle("complaint.verification_retried", {
        "complaint_id": "K-8", "customer": {"id": "C-2", "name": "客户C-2"},
        "verify_due_at": "2026-11-27T11:00:00+08:00"})
    (verification,) = scheduler.callbacks(complaint_id="K-8")
    assert (verification["kind"], verification["due_on"]) == ("verification", "2026-11-27")


def test_seed_002_a_complaint_closed_with_a_reason_needs_no_more_callbacks(scheduler):
    # given a resolved complaint's verification callback and a promise's follow-up, both open
    scheduler.handle("complaint.resolved", {"complaint_id": "K-9", "customer": {"id": "C-3", "name": "客户C-3"},
                                            "verify_due_at": "2026-11-27T11:00:00+08:00"})
    scheduler.handle("complaint.promise_made", {
        "complaint_id": "K-9", "promise_id": "P-9", "customer": {"id": "C-3", "name": "客户C-3"}, "what": "回电",
        "due_at": "2026-11-26T10:00:00+08:00"})
    assert {c["status"] for c in scheduler.callbacks(complaint_id="K-9")} == {"open"}
    # when it is closed as anonymous (匿名投诉无需回访), both are cancelled
    scheduler.handle("complaint.closed", {"complaint_id": "K-9", "closure_reason": "anonymous"})
    assert {c["status"] for c in scheduler.callbacks(complaint_id="K-9")} == {"cancelled"}


def test_a_complaint_closed_by_its_satisfied_verification_leaves_other_callbacks_alone(scheduler):
    scheduler.handle("complaint.promise_made", {
        "complaint_id": "K-10", "promise_id": "P-10", "customer": {"id": "C-3", "name": "客户C-3"}, "what": "回电",
        "due_at": "2026-11-26T10:00:00+08:00"})
    scheduler.handle("complaint.closed", {"complaint_id": "K-10"})
    assert [c["status"] for c in scheduler.callbacks(complaint_id="K-10")] == ["open"]
