"""RULES 2: each transition of a complaint, and each refusal."""
from dataclasses import FrozenInstanceError

import pytest

from services.complaints.domain.complaint import CLOSED, OPEN, RESOLVED
from services.complaints.domain.raising import raise_complaint
from services.complaints.domain.resolution import resolve, verification_result
from services.complaints.domain.transitions import escalate, record_investigation, record_reply
from services.complaints.errors import (
    ComplaintsError, Forbidden, InvalidInput, InvalidTransition,
)

from testkit.complaints_domain import at

RAISED = at(2026, 11, 20, 17, 0)  # Friday


@pytest.fixture
def complaint(raise_at):
    return raise_at(RAISED, order_id="WO-9")


def _escalate(c, policy, chain, calendar, when=at(2026, 11, 23, 9, 0), role="agent"):
    return escalate(c, actor="li", role=role, reason="needs a goodwill repair", at=when,
                    policy=policy, chain=chain, calendar=calendar)


def _resolve(c, policy, chain, calendar, when=at(2026, 11, 23, 10, 0), role="manager", **kw):
    kw.setdefault("root_cause", "wrong part fitted")
    kw.setdefault("corrective_action", "part replaced; parts check added")
    return resolve(c, actor="wang", role=role, at=when, policy=policy, chain=chain, calendar=calendar, **kw)


def test_rule_2_raised_complaint_starts_open_at_level_0(complaint):
    assert complaint.state == OPEN
    assert complaint.level == 0
    assert complaint.investigate_due_at is None and complaint.verify_due_at is None
    (entry,) = complaint.history
    assert (entry.action, entry.from_level, entry.to_level) == ("raised", None, 0)


def test_rule_2_manufacturer_complaint_starts_at_the_top_level(raise_at, chain4, chain):
    c = raise_at(RAISED, source="manufacturer")
    assert c.level == chain.top == 2
    c4 = raise_at(RAISED, source="manufacturer", chain=chain4)
    assert c4.level == 3
    assert "manufacturer" in c4.history[0].reason


def test_raise_refuses_naive_time_and_unknown_source(policy, chain, calendar):
    from datetime import datetime
    with pytest.raises(InvalidInput) as err:
        raise_complaint(complaint_id="C", customer_id="u", raised_at=datetime(2026, 11, 20, 17),
                        policy=policy, chain=chain, calendar=calendar)
    assert err.value.field == "raised_at"
    with pytest.raises(InvalidInput) as err:
        raise_complaint(complaint_id="C", customer_id="u", raised_at=RAISED, source="fax",
                        policy=policy, chain=chain, calendar=calendar)
    assert err.value.field == "source"


def test_rule_2_first_reply_then_answer(complaint, chain):
    out = record_reply(complaint, actor="li", role="agent", message="we are on it",
                       at=at(2026, 11, 20, 17, 30), chain=chain)
    c = out.complaint
    assert c.first_reply_at == at(2026, 11, 20, 17, 30) and c.answered_at is None
    assert out.events == ()
    c = record_reply(c, actor="li", role="agent", message="part arrives Tuesday",
                     at=at(2026, 11, 23, 10), chain=chain).complaint
    assert c.answered_at == at(2026, 11, 23, 10)
    assert [e.action for e in c.history] == ["raised", "replied", "replied"]
    assert complaint.first_reply_at is None  # the input is never changed


def test_complaint_state_is_immutable(complaint):
    with pytest.raises(FrozenInstanceError):
        complaint.level = 2


def test_rule_2_reply_refused_for_a_role_below_the_level(complaint, policy, chain, calendar):
    c = _escalate(complaint, policy, chain, calendar).complaint  # now at advisor
    with pytest.raises(Forbidden) as err:
        record_reply(c, actor="li", role="agent", message="hello", at=at(2026, 11, 23, 9, 5), chain=chain)
    assert "advisor" in err.value.message


def test_reply_refused_without_message(complaint, chain):
    with pytest.raises(InvalidInput) as err:
        record_reply(complaint, actor="li", role="agent", message="  ", at=RAISED, chain=chain)
    assert err.value.field == "message"


def test_rule_2_escalate_moves_exactly_one_level_and_starts_investigation(complaint, policy, chain, calendar):
    out = _escalate(complaint, policy, chain, calendar, when=at(2026, 11, 23, 9, 0))
    c = out.complaint
    assert c.level == 1
    assert c.investigate_due_at == at(2026, 11, 23, 11, 0)
    entry = c.history[-1]
    assert (entry.actor, entry.action, entry.from_level, entry.to_level, entry.reason) == (
        "li", "escalated", 0, 1, "needs a goodwill repair")
    ((kind, data),) = out.events
    assert kind == "complaint.escalated"
    assert data["from_role"] == "agent" and data["to_role"] == "advisor"
    assert data["investigate_due_at"] == "2026-11-23T11:00:00+08:00"
    assert data["automatic"] is False


def test_rule_2_escalate_keeps_the_2_1_1_deadlines(complaint, policy, chain, calendar):
    c = _escalate(complaint, policy, chain, calendar).complaint
    assert (c.first_reply_due_at, c.answer_due_at) == (complaint.first_reply_due_at, complaint.answer_due_at)


def test_rule_2_escalate_refused_at_the_top_level(raise_at, policy, chain, calendar):
    c = raise_at(RAISED, source="manufacturer")
    with pytest.raises(InvalidTransition) as err:
        _escalate(c, policy, chain, calendar, role="manager")
    assert "top level" in err.value.message and "resolve" in err.value.message


def test_rule_2_escalate_refused_without_reason(complaint, policy, chain, calendar):
    with pytest.raises(InvalidInput) as err:
        escalate(complaint, actor="li", role="agent", reason="", at=RAISED, policy=policy, chain=chain, calendar=calendar)
    assert err.value.field == "reason"


def test_rule_2_higher_role_may_act_on_a_lower_level(complaint, policy, chain, calendar):
    out = _resolve(complaint, policy, chain, calendar, role="manager")
    assert out.complaint.resolved_level == 0


def test_rule_2_investigation_recorded_after_escalation(complaint, policy, chain, calendar):
    c = _escalate(complaint, policy, chain, calendar).complaint
    c = record_investigation(c, actor="zhao", role="advisor", findings="wrong part",
                             at=at(2026, 11, 23, 10), chain=chain).complaint
    assert c.investigated_at == at(2026, 11, 23, 10)
    with pytest.raises(InvalidTransition):
        record_investigation(c, actor="zhao", role="advisor", findings="again", at=at(2026, 11, 23, 11), chain=chain)


def test_rule_2_resolve_requires_root_cause_and_corrective_action(complaint, policy, chain, calendar):
    with pytest.raises(InvalidInput) as err:
        _resolve(complaint, policy, chain, calendar, root_cause="")
    assert err.value.field == "root_cause"
    with pytest.raises(InvalidInput) as err:
        _resolve(complaint, policy, chain, calendar, corrective_action=None)
    assert err.value.field == "corrective_action"


def test_rule_2_1_1_resolve_sets_verification_due_one_service_day_later(complaint, policy, chain, calendar):
    out = _resolve(complaint, policy, chain, calendar, when=at(2026, 11, 20, 17, 30))  # Friday
    c = out.complaint
    assert c.state == RESOLVED and c.resolved_level == 0
    assert c.verify_due_at == at(2026, 11, 23, 17, 30)  # Monday, same clock time
    assert c.flag_due_at == at(2026, 11, 23, 17, 30)
    ((kind, data),) = out.events
    assert kind == "complaint.resolved"
    assert data["root_cause"] == "wrong part fitted"
    assert data["verify_due_at"] == "2026-11-23T17:30:00+08:00"
    assert data["level_role"] == "agent" and data["verifier_role"] == "agent"


def test_rule_2_seed000_verification_within_3_days(complaint, chain, calendar):
    from services.complaints.domain.data import packaged_policy
    c = _resolve(complaint, packaged_policy("seed000"), chain, calendar, when=at(2026, 11, 20, 17, 30)).complaint
    assert c.verify_due_at == at(2026, 11, 25, 17, 30)


def test_rule_2_resolve_refused_unless_open(complaint, policy, chain, calendar):
    c = _resolve(complaint, policy, chain, calendar).complaint
    with pytest.raises(InvalidTransition) as err:
        _resolve(c, policy, chain, calendar)
    assert "verification" in err.value.message
    for step in (lambda: _escalate(c, policy, chain, calendar, role="manager"),
                 lambda: record_reply(c, actor="x", role="manager", message="m", at=RAISED, chain=chain)):
        with pytest.raises(InvalidTransition):
            step()


def test_rule_2_complaint_closes_only_when_verification_is_satisfied(complaint, policy, chain, calendar):
    c = _resolve(complaint, policy, chain, calendar).complaint
    out = verification_result(c, satisfied=True, at=at(2026, 11, 24, 9), policy=policy, chain=chain, calendar=calendar)
    assert out.complaint.state == CLOSED
    assert out.complaint.closed_at == at(2026, 11, 24, 9)
    ((kind, data),) = out.events
    assert kind == "complaint.closed" and data["complaint_id"] == "C-1"
    with pytest.raises(InvalidTransition):
        verification_result(out.complaint, satisfied=True, at=at(2026, 11, 24, 10), policy=policy, chain=chain, calendar=calendar)


def test_rule_2_verification_refused_while_open(complaint, policy, chain, calendar):
    with pytest.raises(InvalidTransition) as err:
        verification_result(complaint, satisfied=True, at=RAISED, policy=policy, chain=chain, calendar=calendar)
    assert "still open" in err.value.message


def test_rule_2_dissatisfied_verification_reopens_at_the_resolving_level(complaint, policy, chain, calendar):
    c = _escalate(complaint, policy, chain, calendar, when=at(2026, 11, 23, 9)).complaint
    c = _resolve(c, policy, chain, calendar, role="advisor", when=at(2026, 11, 23, 10)).complaint
    out = verification_result(c, satisfied=False, at=at(2026, 11, 24, 9), reason="still noisy",
                              policy=policy, chain=chain, calendar=calendar)
    c = out.complaint
    assert c.state == OPEN and c.level == 1
    assert c.investigate_due_at == at(2026, 11, 24, 11)
    assert c.history[-1].action == "reopened" and c.history[-1].reason == "still noisy"
    ((kind, data),) = out.events
    assert kind == "complaint.reopened"
    assert data["level"] == 1 and data["level_role"] == "advisor"


def test_rule_2_every_step_is_recorded(complaint, policy, chain, calendar):
    c = record_reply(complaint, actor="li", role="agent", message="m", at=at(2026, 11, 20, 17, 10), chain=chain).complaint
    c = _escalate(c, policy, chain, calendar).complaint
    c = _resolve(c, policy, chain, calendar, role="advisor").complaint
    c = verification_result(c, satisfied=True, at=at(2026, 11, 24, 9), policy=policy, chain=chain, calendar=calendar).complaint
    assert [e.action for e in c.history] == ["raised", "replied", "escalated", "resolved", "closed"]
    assert all(e.actor and e.at for e in c.history)
    assert c.to_dict(chain)["history"][2] == {
        "at": "2026-11-23T09:00:00+08:00", "actor": "li", "action": "escalated",
        "from_level": 0, "to_level": 1, "reason": "needs a goodwill repair"}


def test_every_refusal_is_a_complaint_error():
    assert issubclass(Forbidden, ComplaintsError) and issubclass(InvalidTransition, ComplaintsError)


def test_rule_2_resolved_event_carries_service_hours_to_resolve_on_the_given_calendar(raise_at, policy, chain):
    from dataclasses import replace as replace_
    from datetime import date

    from shared.core.calendar import WorkingCalendar
    from shared.core.service_time import ServiceHours

    # raised Friday 17:00, resolved Tuesday 10:00
    friday, tuesday = at(2026, 11, 20, 17, 0), at(2026, 11, 24, 10, 0)
    official = WorkingCalendar()

    def hours(calendar, policy_):
        c = raise_at(friday, policy=policy_, calendar=calendar)
        out = resolve(c, actor="wang", role="agent", root_cause="x", corrective_action="y", at=tuesday,
                      policy=policy_, chain=chain, calendar=calendar)
        return out.events[0][1]["service_hours_to_resolve"]

    # 08:30-18:00: Fri 1 h + Mon 9.5 h + Tue 1.5 h
    assert hours(official, policy) == 12.0
    # the organisation's own holiday (Monday) and service hours (09:00-17:00) count, not a default
    own_calendar = WorkingCalendar(extra_holidays=[date(2026, 11, 23)])
    own_hours = replace_(policy, service_hours=ServiceHours.from_data({"start": "09:00", "end": "17:00"}))
    assert hours(own_calendar, policy) == 2.5
    assert hours(own_calendar, own_hours) == 1.0


def test_rule_2_a_chain_decides_which_sources_start_at_the_top_level(raise_at, chain):
    from dataclasses import replace as replace_

    hotline_to_top = replace_(chain, straight_to_top_sources=("hotline",))
    assert raise_at(RAISED, source="hotline", chain=hotline_to_top).level == chain.top
    assert raise_at(RAISED, source="manufacturer", chain=hotline_to_top).level == 0
