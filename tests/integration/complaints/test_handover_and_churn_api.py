"""Routes beyond the contract: a hotline ticket handed to an engineer (seed 001), the churn reason."""
from __future__ import annotations

import shutil

import pytest

from services.complaints import jobs
from services.complaints.domain.data import DATA_DIR
from services.complaints.service import SERVICE
from testkit.tokens import API_TOKEN, bearer
from testkit.complaints import ORG, at
from testkit.migrations import forget_step


@pytest.fixture
def seed001(settings):
    """The organisation handles complaints by the seed 001 policy (its own default)."""
    target = settings.data_dir / ORG / "complaints" / "policies" / "default.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA_DIR / "policies" / "seed001.yaml", target)


def test_churn_reason_recorded_shown_in_history_and_sent_with_resolved_and_closed(api, clock):
    api.raise_()
    clock.set(at(2026, 11, 23, 9, 0))
    response = api.post("K-1", "churn", {"reason": "客户已转投其他品牌"}, role="agent")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["churn_reason"] == "客户已转投其他品牌"
    last = body["history"][-1]
    assert (last["action"], last["actor"], last["reason"]) == ("churn_recorded", "agent-1", "客户已转投其他品牌")
    assert last["at"] == "2026-11-23T09:00:00+08:00"
    # complaint.resolved (and later complaint.closed) carries it for the monthly report
    api.post("K-1", "resolve", {"root_cause": "x", "corrective_action": "y"}, role="agent")
    (resolved,) = api.events("complaint.resolved")
    assert resolved["data"]["churn_reason"] == "客户已转投其他品牌"


def test_churn_reason_is_required_422_naming_it(api):
    api.raise_()
    response = api.post("K-1", "churn", {"reason": ""}, role="agent")
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    assert api.post("K-404", "churn", {"reason": "x"}, role="agent").status_code == 404


def test_rule_2_seed001_hotline_ticket_handover_due_in_15_minutes_and_escalated_when_missed(api, clock, seed001):
    # given a hotline ticket raised Friday 17:00 under the seed 001 policy
    body = api.raise_().get_json()
    assert body["handover_due_at"] == "2026-11-20T17:15:00+08:00" and body["handed_over_at"] is None
    # when nobody hands it to an engineer by 17:15, the sweep escalates it
    clock.set(at(2026, 11, 20, 17, 16))
    assert jobs.sweep_due_complaints(SERVICE).escalated == 1
    body = api.get("K-1").get_json()
    assert body["level"] == 1 and "handover to an engineer" in body["history"][-1]["reason"]


def test_rule_2_seed001_handover_in_time_keeps_the_ticket_at_its_level(api, clock, seed001):
    api.raise_()
    clock.set(at(2026, 11, 20, 17, 10))
    response = api.post("K-1", "handover", {"engineer": "陈工"}, role="agent")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["handed_over_at"] == "2026-11-20T17:10:00+08:00" and body["handed_over_to"] == "陈工"
    assert body["history"][-1]["action"] == "handed_over"
    clock.set(at(2026, 11, 20, 17, 16))
    assert jobs.sweep_due_complaints(SERVICE).escalated == 0
    assert api.post("K-1", "handover", {"engineer": "李工"}, role="agent").status_code == 409


def test_without_a_handover_rule_there_is_no_handover_deadline(api):
    assert api.raise_().get_json()["handover_due_at"] is None


def test_migration_2_adds_the_handover_columns_to_a_version_1_database(api):
    from shared.core.db import ensure_schema

    db = SERVICE.database
    with SERVICE.connection():
        # given a database of version 1.0.0 (no handover columns, migration 2 not applied)
        for column in ("handover_due_at", "handed_over_at", "handed_over_to"):
            db.execute_sql(f'ALTER TABLE "complaint" DROP COLUMN "{column}"')
        forget_step(db, "complaints", "2.0.0")
        # when the service starts
        assert ensure_schema(db, SERVICE.all_models,
                             migrations=SERVICE.all_migrations)["complaints"] == SERVICE.migrations.latest
        columns = {c.name for c in db.get_columns("complaint")}
    assert {"handover_due_at", "handed_over_at", "handed_over_to"} <= columns
    assert api.raise_().status_code == 201


def test_rule_2_churn_on_a_level_2_complaint_is_403_for_an_agent_and_the_integration_token(api):
    # given a manufacturer's complaint: at the top level (the manager's) from the start
    api.raise_(source="manufacturer")
    assert api.get("K-1").get_json()["level"] == 2
    # an agent and an advisor are refused, with the reason, as for every other action
    for role in ("agent", "advisor"):
        response = api.post("K-1", "churn", {"reason": "转投竞品"}, role=role)
        assert response.status_code == 403, (role, response.get_json())
        assert response.mimetype == "application/problem+json" and "level 2" in response.get_json()["detail"]
    # so is the integration token
    response = api.client.post("/api/v1/complaints/K-1/churn?organization=acme-electric",
                               json={"reason": "转投竞品"}, headers=bearer(API_TOKEN))
    assert response.status_code == 403 and "integration" in response.get_json()["detail"]
    assert api.history("K-1", "churn_recorded") == [] and api.get("K-1").get_json()["churn_reason"] is None
    # the manager may
    response = api.post("K-1", "churn", {"reason": "转投竞品"}, role="manager")
    assert response.status_code == 200 and response.get_json()["churn_reason"] == "转投竞品"
