"""Properties of RULES 2 under hypothesis: one level at a time, monotonic deadlines."""
from datetime import timedelta

from hypothesis import given, settings, strategies as st

from services.complaints.domain.deadlines import sweep
from services.complaints.domain.raising import raise_complaint
from services.complaints.domain.transitions import record_reply
from services.complaints.domain.data import packaged_chain, packaged_policy
from shared.core.calendar import WorkingCalendar

from testkit.complaints_domain import at

CALENDAR = WorkingCalendar()
POLICY = packaged_policy("default")
CHAINS = [packaged_chain(n) for n in ("default", "seed004", "seed000")]

moments = st.integers(min_value=0, max_value=366 * 24 * 60).map(lambda m: at(2026, 1, 1) + timedelta(minutes=m))


def _raise(when, chain, **kw):
    return raise_complaint(complaint_id="C", customer_id="u", raised_at=when, policy=POLICY,
                           chain=chain, calendar=CALENDAR, **kw).complaint


@given(moments, moments)
@settings(max_examples=200, deadline=None)
def test_rule_2_deadlines_are_monotonic_in_raised_at(a, b):
    chain = CHAINS[0]
    early, late = sorted((a, b))
    c1, c2 = _raise(early, chain), _raise(late, chain)
    assert c1.first_reply_due_at <= c2.first_reply_due_at
    assert c1.answer_due_at <= c2.answer_due_at
    assert early < c1.first_reply_due_at <= c1.answer_due_at


@given(
    st.sampled_from(CHAINS),
    moments,
    st.lists(st.tuples(st.integers(min_value=1, max_value=3 * 24 * 60), st.booleans()), max_size=15),
)
@settings(max_examples=150, deadline=None)
def test_rule_2_escalation_never_skips_a_level(chain, raised, steps):
    c = _raise(raised, chain)
    now = raised
    for minutes, reply in steps:
        now += timedelta(minutes=minutes)
        if reply:
            c = record_reply(c, actor="x", role="admin", message="m", at=now, chain=chain).complaint
        c = sweep(c, now, POLICY, chain, CALENDAR).complaint
    escalations = [e for e in c.history if e.action == "escalated"]
    assert all(e.to_level == e.from_level + 1 for e in escalations)
    assert [e.from_level for e in escalations] == list(range(len(escalations)))
    assert 0 <= c.level <= chain.top
    # history is in time order and one sweep escalates at most once
    assert [e.at for e in c.history] == sorted(e.at for e in c.history)
    assert len({e.at for e in escalations}) == len(escalations)


@given(st.sampled_from(CHAINS), moments, st.integers(min_value=0, max_value=60 * 24 * 60))
@settings(max_examples=150, deadline=None)
def test_rule_2_late_complaint_escalates_exactly_once_per_sweep(chain, raised, late_by):
    c = _raise(raised, chain)
    out = sweep(c, c.answer_due_at + timedelta(minutes=late_by), POLICY, chain, CALENDAR)
    assert out.complaint.level == min(1, chain.top)
    assert len(out.events) == 1
