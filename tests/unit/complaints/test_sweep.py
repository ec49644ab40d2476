"""RULES 2: a missed deadline escalates one level and restarts the 2-hour investigation."""
from services.complaints.domain.complaint import FLAG_CUSTOMER, NOTIFY_MANAGERS
from services.complaints.domain.deadlines import sweep
from services.complaints.domain.resolution import resolve, verification_result
from services.complaints.domain.transitions import record_investigation, record_reply

from testkit.complaints_domain import at

RAISED = at(2026, 11, 20, 17, 0)  # first reply due Mon 09:30, answer due Mon 17:00


def test_rule_2_nothing_due_nothing_changes(raise_at, policy, chain, calendar):
    c = raise_at(RAISED)
    out = sweep(c, at(2026, 11, 23, 9, 29), policy, chain, calendar)
    assert out.complaint is c and out.events == () and out.actions == ()


def test_rule_2_missed_first_reply_escalates_one_level_and_starts_investigation(raise_at, policy, chain, calendar):
    # given no first reply by Monday 09:30
    c = raise_at(RAISED)
    # when the sweep runs at 09:30
    out = sweep(c, at(2026, 11, 23, 9, 30), policy, chain, calendar)
    # then the complaint is at the advisor, who must investigate by 11:30
    new = out.complaint
    assert new.level == 1
    assert new.investigate_due_at == at(2026, 11, 23, 11, 30)
    entry = new.history[-1]
    assert (entry.actor, entry.action, entry.from_level, entry.to_level) == ("system", "escalated", 0, 1)
    assert "first reply" in entry.reason and "2026-11-23T09:30:00+08:00" in entry.reason
    ((kind, data),) = out.events
    assert kind == "complaint.escalated" and data["automatic"] is True
    assert data["to_role"] == "advisor"


def test_rule_2_a_missed_deadline_escalates_only_once(raise_at, policy, chain, calendar):
    c = sweep(raise_at(RAISED), at(2026, 11, 23, 9, 30), policy, chain, calendar).complaint
    again = sweep(c, at(2026, 11, 23, 9, 45), policy, chain, calendar)
    assert again.complaint is c and again.events == ()


def test_rule_2_missed_investigation_escalates_again(raise_at, policy, chain, calendar):
    c = sweep(raise_at(RAISED), at(2026, 11, 23, 9, 30), policy, chain, calendar).complaint
    out = sweep(c, at(2026, 11, 23, 11, 30), policy, chain, calendar)
    assert out.complaint.level == 2
    assert "investigation" in out.complaint.history[-1].reason
    assert out.complaint.investigate_due_at == at(2026, 11, 23, 13, 30)


def test_rule_2_investigation_in_time_stops_the_escalation(raise_at, policy, chain, calendar):
    c = sweep(raise_at(RAISED), at(2026, 11, 23, 9, 30), policy, chain, calendar).complaint
    c = record_investigation(c, actor="zhao", role="advisor", findings="found it", at=at(2026, 11, 23, 10), chain=chain).complaint
    c = record_reply(c, actor="zhao", role="advisor", message="we fix it today", at=at(2026, 11, 23, 10, 5), chain=chain, answer=True).complaint
    out = sweep(c, at(2026, 11, 23, 17, 30), policy, chain, calendar)
    assert out.complaint is c


def test_rule_2_missed_answer_escalates_after_a_timely_first_reply(raise_at, policy, chain, calendar):
    c = raise_at(RAISED)
    c = record_reply(c, actor="li", role="agent", message="noted", at=at(2026, 11, 20, 17, 30), chain=chain).complaint
    assert sweep(c, at(2026, 11, 23, 16, 59), policy, chain, calendar).complaint is c
    out = sweep(c, at(2026, 11, 23, 17, 0), policy, chain, calendar)
    assert out.complaint.level == 1
    assert "answer" in out.complaint.history[-1].reason


def test_rule_2_already_late_complaint_escalates_once_then_runs_on_the_new_clock(raise_at, policy, chain4, calendar):
    # given a complaint that arrives (or is first swept) with both 2-1-1 deadlines past
    c = raise_at(RAISED, chain=chain4)
    now = at(2026, 11, 25, 10, 0)
    # when swept
    out = sweep(c, now, policy, chain4, calendar)
    # then it moves up ONE level, naming both missed deadlines
    new = out.complaint
    assert new.level == 1
    assert len(out.events) == 1
    reason = new.history[-1].reason
    assert "first reply" in reason and "answer" in reason
    # and the new level's 2-hour clock runs from now
    assert new.investigate_due_at == at(2026, 11, 25, 12, 0)
    assert sweep(new, at(2026, 11, 25, 11, 59), policy, chain4, calendar).complaint is new
    assert sweep(new, at(2026, 11, 25, 12, 0), policy, chain4, calendar).complaint.level == 2


def test_rule_2_escalation_outside_service_hours_starts_the_clock_next_morning(raise_at, policy, chain, calendar):
    c = raise_at(RAISED)
    out = sweep(c, at(2026, 11, 23, 19, 0), policy, chain, calendar)
    assert out.complaint.investigate_due_at == at(2026, 11, 24, 10, 30)


def test_rule_2_top_level_breach_notifies_managers_once(raise_at, policy, chain, calendar):
    # given a manufacturer complaint, at the top level from the start
    c = raise_at(RAISED, source="manufacturer")
    # when its first reply is missed
    out = sweep(c, at(2026, 11, 23, 9, 30), policy, chain, calendar)
    # then managers are notified instead of an escalation
    assert out.events == ()
    (action,) = out.actions
    assert action.kind == NOTIFY_MANAGERS and action.deadline == "first_reply"
    assert out.complaint.level == chain.top
    assert out.complaint.history[-1].action == "managers_notified"
    # and only once for that deadline
    again = sweep(out.complaint, at(2026, 11, 23, 10, 0), policy, chain, calendar)
    assert again.complaint is out.complaint and again.actions == ()
    # but the answer deadline is another deadline
    later = sweep(out.complaint, at(2026, 11, 23, 17, 0), policy, chain, calendar)
    assert [a.deadline for a in later.actions] == ["answer"]


def test_rule_2_escalated_to_the_top_then_missed_investigation_notifies(raise_at, policy, chain, calendar):
    c = raise_at(RAISED)
    c = sweep(c, at(2026, 11, 23, 9, 30), policy, chain, calendar).complaint   # -> 1
    c = sweep(c, at(2026, 11, 23, 11, 30), policy, chain, calendar).complaint  # -> 2 (top)
    out = sweep(c, at(2026, 11, 23, 13, 30), policy, chain, calendar)
    assert out.complaint.level == 2
    assert [a.deadline for a in out.actions] == ["investigate"]


def test_rule_2_resolved_complaint_is_not_escalated(raise_at, policy, chain, calendar):
    c = raise_at(RAISED)
    c = resolve(c, actor="li", role="agent", root_cause="r", corrective_action="a", at=at(2026, 11, 20, 17, 30),
                policy=policy, chain=chain, calendar=calendar).complaint
    out = sweep(c, at(2026, 11, 23, 12, 0), policy, chain, calendar)
    assert out.complaint.level == 0 and not any(k == "complaint.escalated" for k, _ in out.events)


def test_rule_2_customer_flagged_the_day_after_resolution(raise_at, policy, chain, calendar):
    c = raise_at(RAISED)
    c = resolve(c, actor="li", role="agent", root_cause="r", corrective_action="a", at=at(2026, 11, 23, 10, 0),
                policy=policy, chain=chain, calendar=calendar).complaint
    assert sweep(c, at(2026, 11, 24, 9, 59), policy, chain, calendar).complaint is c
    # verified satisfied before the flag is due: the flag still comes
    c = verification_result(c, satisfied=True, at=at(2026, 11, 24, 9, 0), policy=policy, chain=chain, calendar=calendar).complaint
    out = sweep(c, at(2026, 11, 24, 10, 0), policy, chain, calendar)
    assert [a.kind for a in out.actions] == [FLAG_CUSTOMER]
    ((kind, data),) = out.events
    assert kind == "customer.flagged" and data == {
        "customer_id": "cust-1", "complaint_id": "C-1",
        "flagged_at": "2026-11-24T10:00:00+08:00", "reason": "complaint_resolved",
        "remark": "r", "flagged_by": "li"}
    assert sweep(out.complaint, at(2026, 11, 25, 10, 0), policy, chain, calendar).complaint is out.complaint
