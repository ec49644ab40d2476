"""RULES 2 reminders one hour before a deadline; RULES 1.3 repeat complaints."""
from types import SimpleNamespace

from services.complaints.domain.deadlines import next_sweep_at, sweep
from services.complaints.domain.resolution import resolve
from services.complaints.domain.transitions import record_reply
from services.complaints.domain.reminders import reminders_due
from services.complaints.domain.repeat import is_repeat

from testkit.complaints_domain import at

RAISED = at(2026, 11, 20, 17, 0)


def test_rule_2_reminder_one_hour_before_the_first_reply_deadline(raise_at, policy):
    c = raise_at(RAISED)
    assert reminders_due(c, at(2026, 11, 23, 8, 29), policy) == []
    (r,) = reminders_due(c, at(2026, 11, 23, 8, 30), policy)
    assert (r.deadline, r.due_at, r.remind_at) == ("first_reply", at(2026, 11, 23, 9, 30), at(2026, 11, 23, 8, 30))
    assert r.key == reminders_due(c, at(2026, 11, 23, 9, 0), policy)[0].key  # stable: send once
    # a passed deadline is the sweep's business, not a reminder
    assert [x.deadline for x in reminders_due(c, at(2026, 11, 23, 9, 30), policy)] == []


def test_rule_2_no_reminder_for_a_met_deadline(raise_at, policy, chain):
    c = raise_at(RAISED)
    c = record_reply(c, actor="li", role="agent", message="m", at=at(2026, 11, 20, 17, 5), chain=chain).complaint
    assert [r.deadline for r in reminders_due(c, at(2026, 11, 23, 16, 0), policy)] == ["answer"]


def test_rule_2_reminders_for_investigation_and_verification(raise_at, policy, chain, calendar):
    c = sweep(raise_at(RAISED), at(2026, 11, 23, 9, 30), policy, chain, calendar).complaint
    assert "investigate" in [r.deadline for r in reminders_due(c, at(2026, 11, 23, 10, 45), policy)]
    c = resolve(c, actor="z", role="advisor", root_cause="r", corrective_action="a", at=at(2026, 11, 23, 10, 0),
                policy=policy, chain=chain, calendar=calendar).complaint
    assert [r.deadline for r in reminders_due(c, at(2026, 11, 24, 9, 30), policy)] == ["verify"]


def test_next_sweep_at_is_the_earliest_pending_deadline(raise_at, policy, chain, calendar):
    c = raise_at(RAISED)
    assert next_sweep_at(c) == at(2026, 11, 23, 9, 30)
    c = sweep(c, at(2026, 11, 23, 9, 30), policy, chain, calendar).complaint
    assert next_sweep_at(c) == at(2026, 11, 23, 11, 30)


def test_rule_1_3_same_order_within_30_days_is_a_repeat(raise_at):
    first = SimpleNamespace(order_id="WO-1", raised_at=at(2026, 11, 1, 10))
    assert is_repeat("WO-1", at(2026, 12, 1, 10), [first], 30)
    assert not is_repeat("WO-1", at(2026, 12, 1, 10, 1), [first], 30)
    assert not is_repeat("WO-2", at(2026, 11, 2, 10), [first], 30)
    assert not is_repeat(None, at(2026, 11, 2, 10), [first], 30)
    assert not is_repeat("WO-1", at(2026, 10, 31, 10), [first], 30)  # earlier ones only


def test_rule_1_3_raise_marks_a_repeat_complaint(raise_at):
    first = raise_at(at(2026, 11, 2, 10), order_id="WO-1")
    again = raise_at(at(2026, 11, 20, 10), complaint_id="C-2", order_id="WO-1", earlier=(first,))
    assert again.repeat and "repeat" in again.history[0].reason
    assert not first.repeat


def test_rule_1_3_a_repeat_found_later_is_the_repeat_it_would_have_been_in_order(raise_at, policy):
    from hypothesis import given, settings, strategies as st

    from services.complaints.domain.raising import found_repeat

    @settings(max_examples=60, deadline=None)
    @given(gap_hours=st.integers(min_value=-24 * 40, max_value=24 * 40))
    def check(gap_hours):
        from datetime import timedelta

        earlier_at = RAISED - timedelta(hours=gap_hours)
        in_order = raise_at(RAISED, order_id="SO-1", earlier=(SimpleNamespace(order_id="SO-1", raised_at=earlier_at),))
        alone = raise_at(RAISED, order_id="SO-1")
        found = found_repeat(alone, earlier_id="C-0", earlier_raised_at=earlier_at, policy=policy, now=RAISED).complaint
        # the same repeat and rework deadline whichever arrived first
        assert (found.repeat, found.rework_due_at) == (in_order.repeat, in_order.rework_due_at)
        # and found again: nothing more
        assert found_repeat(found, earlier_id="C-0", earlier_raised_at=earlier_at, policy=policy,
                            now=RAISED).complaint is found

    check()
