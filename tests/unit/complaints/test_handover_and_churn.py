"""RULES 2 (seed 001): hotline tickets handed to an engineer within 15 minutes; the churn
reason (客户流失原因) on the complaint record and in the events the report reads."""
import pytest

from services.complaints.domain.deadlines import sweep
from services.complaints.domain.resolution import resolve, verification_result
from services.complaints.domain.transitions import record_churn, record_handover, record_reply
from services.complaints.domain.data import packaged_policy
from services.complaints.errors import InvalidData, InvalidInput, InvalidTransition
from services.complaints.domain.policy import load_policy

from testkit.complaints_domain import at

RAISED = at(2026, 11, 20, 17, 0)  # Friday


@pytest.fixture(scope="module")
def seed001():
    return packaged_policy("seed001")


def test_rule_2_hotline_ticket_handover_due_15_service_minutes_after_it_is_raised(raise_at, seed001):
    assert raise_at(RAISED, source="hotline", policy=seed001).handover_due_at == at(2026, 11, 20, 17, 15)
    # late on Friday: the 15 minutes run on into Monday's service hours
    assert raise_at(at(2026, 11, 20, 17, 50), source="hotline", policy=seed001).handover_due_at == \
        at(2026, 11, 23, 8, 35)


def test_rule_2_handover_applies_only_to_the_policy_sources(raise_at, seed001, policy):
    assert raise_at(RAISED, source="walk_in", policy=seed001).handover_due_at is None
    assert raise_at(RAISED, source="hotline", policy=policy).handover_due_at is None  # default: no rule


def test_rule_2_missed_handover_escalates_one_level(raise_at, seed001, chain, calendar):
    c = raise_at(RAISED, source="hotline", policy=seed001)
    assert sweep(c, at(2026, 11, 20, 17, 14), seed001, chain, calendar).complaint is c
    out = sweep(c, at(2026, 11, 20, 17, 15), seed001, chain, calendar)
    assert out.complaint.level == 1
    assert "handover to an engineer" in out.complaint.history[-1].reason
    # acted upon once
    assert sweep(out.complaint, at(2026, 11, 20, 17, 20), seed001, chain, calendar).complaint is out.complaint


def test_rule_2_handover_in_time_stops_the_escalation(raise_at, seed001, chain, calendar):
    c = raise_at(RAISED, source="hotline", policy=seed001)
    c = record_handover(c, actor="wang", role="agent", engineer="工程师 陈", at=at(2026, 11, 20, 17, 10),
                        chain=chain).complaint
    assert (c.handed_over_at, c.handed_over_to) == (at(2026, 11, 20, 17, 10), "工程师 陈")
    assert c.history[-1].action == "handed_over"
    assert sweep(c, at(2026, 11, 20, 17, 30), seed001, chain, calendar).complaint is c
    with pytest.raises(InvalidTransition):
        record_handover(c, actor="wang", role="agent", engineer="x", at=at(2026, 11, 20, 17, 11), chain=chain)
    with pytest.raises(InvalidInput):
        record_handover(raise_at(RAISED, source="hotline", policy=seed001), actor="wang", role="agent",
                        engineer=" ", at=at(2026, 11, 20, 17, 11), chain=chain)


def test_rule_2_a_resolved_ticket_reopened_does_not_escalate_for_the_handover(raise_at, seed001, chain, calendar):
    c = raise_at(RAISED, source="hotline", policy=seed001)
    c = resolve(c, actor="wang", role="agent", root_cause="x", corrective_action="y", at=at(2026, 11, 20, 17, 5),
                policy=seed001, chain=chain, calendar=calendar).complaint
    c = verification_result(c, satisfied=False, at=at(2026, 11, 23, 10), policy=seed001, chain=chain,
                            calendar=calendar).complaint
    out = sweep(c, at(2026, 11, 23, 10, 30), seed001, chain, calendar)
    assert out.complaint is c


def test_policy_spans_in_minutes_and_exactly_one_unit(seed001):
    assert str(seed001.handover.within) == "15 service minutes"
    assert seed001.handover.sources == ("hotline",)
    raw = {**_raw("seed001"), "handover": {"sources": ["hotline"], "within": {"minutes": 15, "hours": 1}}}
    with pytest.raises(InvalidData) as err:
        load_policy(raw)
    assert err.value.field.startswith("handover")


def _raw(name):
    import yaml

    from services.complaints.domain.data import DATA_DIR

    return yaml.safe_load((DATA_DIR / "policies" / f"{name}.yaml").read_text(encoding="utf-8"))


def test_churn_reason_recorded_in_history_and_carried_by_resolved_and_closed(raise_at, policy, chain, calendar):
    c = raise_at(RAISED)
    c = record_churn(c, actor="wang", role="agent", reason="转投竞品", at=at(2026, 11, 23, 9),
                     chain=chain).complaint
    assert c.churn_reason == "转投竞品"
    entry = c.history[-1]
    assert (entry.action, entry.actor, entry.reason) == ("churn_recorded", "wang", "转投竞品")
    resolved = resolve(c, actor="wang", role="agent", root_cause="x", corrective_action="y",
                       at=at(2026, 11, 23, 10), policy=policy, chain=chain, calendar=calendar)
    assert resolved.events[0][1]["churn_reason"] == "转投竞品"
    closed = verification_result(resolved.complaint, satisfied=True, at=at(2026, 11, 24, 10), policy=policy,
                                 chain=chain, calendar=calendar)
    assert closed.events[0] == ("complaint.closed", closed.events[0][1])
    assert closed.events[0][1]["churn_reason"] == "转投竞品"
    with pytest.raises(InvalidInput):
        record_churn(c, actor="wang", role="agent", reason="", at=at(2026, 11, 23, 9), chain=chain)


def test_a_reply_does_not_meet_the_handover(raise_at, seed001, chain, calendar):
    c = raise_at(RAISED, source="hotline", policy=seed001)
    c = record_reply(c, actor="wang", role="agent", message="收到", at=at(2026, 11, 20, 17, 5), chain=chain).complaint
    assert sweep(c, at(2026, 11, 20, 17, 15), seed001, chain, calendar).complaint.level == 1


def test_rule_2_churn_reason_needs_a_role_holding_the_complaints_level(raise_at, chain):
    from services.complaints.errors import Forbidden

    # given a complaint at the top level (a manufacturer's complaint: the manager's)
    c = raise_at(RAISED, source="manufacturer")
    assert c.level == 2
    # an agent, and the integration token, may not record why the customer left; the manager may
    for role in ("agent", "advisor", "integration"):
        with pytest.raises(Forbidden):
            record_churn(c, actor="x", role=role, reason="转投竞品", at=at(2026, 11, 23, 9), chain=chain)
    out = record_churn(c, actor="zhao", role="manager", reason="转投竞品", at=at(2026, 11, 23, 9), chain=chain)
    assert out.complaint.churn_reason == "转投竞品"
