"""Issue 12, the findings fixed after the first round: each test is named after the finding it proves.

The apps are the three services' own, on SQLite files and the stub broker (tests/unit/test_hardening.py).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from services.complaints.domain.errors import Forbidden, InvalidInput
from services.complaints.domain.intake import check_raise
from services.complaints.domain.policy import load_policy
from shared.errors import InvalidEvent
from shared.events import validate_envelope
from tests.conftest import stub_apps
from tests.unit.test_hardening import API_TOKEN, INTEGRATION, ORG, SECRET, assert_problem, client, user

CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    return stub_apps(tmp_path_factory.mktemp("hardening-tenants"), api_token=API_TOKEN, secret=SECRET)


def _complaint(**fields) -> dict:
    return {"customer": {"id": "C-1", "name": "王先生"}, "description": "空调不制冷", "source": "walk_in", **fields}


def _envelope(data: dict, *, source: str = "erp://acme", time: str | None = None) -> dict:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "complaint.raised", "source": source,
            "organization": ORG, "time": time, "data": data}


def _ago(**delta) -> str:
    return (datetime.now(CST) - timedelta(**delta)).isoformat()


# -- finding 4: complaint ids, raised_at and the manufacturer source ----------------------------------------

def test_finding_4_a_person_gets_a_server_made_id_and_may_not_choose_one(apps):
    complaints = client(apps, "complaints")
    # given an agent who knows a task id: the complaint its dissatisfied callback will raise is callback-<id>
    taken = complaints.post("/api/v1/complaints", json=_complaint(complaint_id="callback-41"), headers=user("agent"))
    # then choosing the id is refused, naming the field, and nothing is stored
    assert_problem(taken, 422, "complaint_id")
    assert complaints.get("/api/v1/complaints/callback-41", headers=user("manager")).status_code == 404
    # and without one the server makes it
    made = complaints.post("/api/v1/complaints", json=_complaint(), headers=user("agent"))
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["id"].startswith("CMP-")


def test_finding_4_the_integration_names_its_own_ids_never_those_huifang_makes(apps):
    complaints = client(apps, "complaints")
    path = f"/api/v1/complaints?organization={ORG}"
    for own in ("callback-42", "CMP-0123456789AB", "cmp-x"):
        assert_problem(complaints.post(path, json=_complaint(complaint_id=own), headers=INTEGRATION),
                       422, "complaint_id")
    first = complaints.post(path, json=_complaint(complaint_id="ERP-000042", source="hotline"), headers=INTEGRATION)
    assert first.status_code == 201 and first.get_json()["id"] == "ERP-000042", first.get_json()
    again = complaints.post(path, json=_complaint(complaint_id="ERP-000042"), headers=INTEGRATION)
    assert_problem(again, 409)
    assert "hotline" in again.get_json()["detail"]  # the one already there came in by another source


def test_finding_4_an_event_from_outside_huifang_cannot_take_a_complaint_id_huifang_makes(apps):
    # given the id a dissatisfied callback of task 43 raises: only the scheduler sends it
    with pytest.raises(InvalidEvent) as refused:
        validate_envelope(_envelope(_complaint(complaint_id="callback-43")))
    assert "data.complaint_id" in refused.value.errors
    validate_envelope(_envelope(_complaint(complaint_id="callback-43"), source="huifang://scheduler"))
    validate_envelope(_envelope(_complaint(complaint_id="ERP-43")))
    # and an admin posting it is told which field, nothing stored
    for service in ("complaints", "scheduler"):
        response = client(apps, service).post("/api/v1/events", headers=user("admin"),
                                              json=_envelope(_complaint(complaint_id="callback-43")))
        assert_problem(response, 422, "data.complaint_id")


def test_finding_4_a_person_dates_a_complaint_only_within_the_window(apps):
    complaints = client(apps, "complaints")
    backdated = complaints.post("/api/v1/complaints", json=_complaint(raised_at=_ago(days=3)), headers=user("agent"))
    assert_problem(backdated, 422, "raised_at")
    ahead = complaints.post("/api/v1/complaints", json=_complaint(raised_at=_ago(hours=-2)), headers=user("agent"))
    assert_problem(ahead, 422, "raised_at")
    recent = complaints.post("/api/v1/complaints", json=_complaint(raised_at=_ago(minutes=20)), headers=user("agent"))
    assert recent.status_code == 201, recent.get_json()
    # the integration forwards older complaints from the system that took them
    older = complaints.post(f"/api/v1/complaints?organization={ORG}", headers=INTEGRATION,
                            json=_complaint(complaint_id="ERP-OLD-1", raised_at=_ago(days=3)))
    assert older.status_code == 201, older.get_json()
    # an admin posting complaint.raised may not backdate it either, by its data or by the envelope's time
    for envelope in (_envelope(_complaint(complaint_id="ERP-OLD-2", raised_at=_ago(days=3))),
                     _envelope(_complaint(complaint_id="ERP-OLD-3"), time=_ago(days=3))):
        assert_problem(client(apps, "complaints").post("/api/v1/events", headers=user("admin"), json=envelope),
                       422, "data.raised_at")


def test_finding_4_the_manufacturer_source_only_from_roles_the_policy_allows(apps):
    complaints = client(apps, "complaints")
    # given the default policy: a complaint forwarded by the manufacturer starts at the top level
    refused = complaints.post("/api/v1/complaints", json=_complaint(source="manufacturer"), headers=user("agent"))
    assert_problem(refused, 403, "source")
    allowed = complaints.post("/api/v1/complaints", json=_complaint(source="manufacturer"), headers=user("manager"))
    assert allowed.status_code == 201, allowed.get_json()
    assert allowed.get_json()["level_role"] == "manager"
    # an admin posting the event is refused too (people raise it where the policy decides)
    posted = complaints.post("/api/v1/events", headers=user("admin"),
                             json=_envelope(_complaint(complaint_id="ERP-M-1", source="manufacturer")))
    assert_problem(posted, 403)
    # when an organisation's policy lets its hotline agents say so, they may
    other = "plant-services"
    settings = apps["complaints"].config["HUIFANG_SETTINGS"]
    folder = settings.data_dir / other / "complaints" / "policies"
    folder.mkdir(parents=True, exist_ok=True)
    default = yaml.safe_load(open("services/complaints/data/policies/default.yaml", encoding="utf-8"))
    (folder / "default.yaml").write_text(yaml.safe_dump(
        {**default, "source_roles": {"manufacturer": ["agent", "manager"]}}, allow_unicode=True), encoding="utf-8")
    mine = complaints.post("/api/v1/complaints", json=_complaint(source="manufacturer"),
                           headers=user("agent", org=other))
    assert mine.status_code == 201, mine.get_json()


def test_finding_4_check_raise_is_a_pure_rule_with_the_field_named():
    policy = load_policy(yaml.safe_load(open("services/complaints/data/policies/default.yaml", encoding="utf-8")))
    now = datetime(2026, 11, 20, 17, 0, tzinfo=CST)
    check_raise(role="agent", data={"source": "hotline", "raised_at": now - timedelta(minutes=59)}, now=now,
                window_minutes=60, policy=policy)
    cases = [("agent", {"complaint_id": "K-1"}, InvalidInput, "complaint_id"),
             ("agent", {"raised_at": now - timedelta(minutes=61)}, InvalidInput, "raised_at"),
             ("advisor", {"source": "manufacturer"}, Forbidden, "source"),
             ("integration", {"complaint_id": "Callback-1"}, InvalidInput, "complaint_id")]
    for role, data, error, field in cases:
        with pytest.raises(error) as refused:
            check_raise(role=role, data=data, now=now, window_minutes=60, policy=policy)
        assert refused.value.field == field
    check_raise(role="integration", data={"complaint_id": "K-1", "source": "manufacturer",
                                          "raised_at": now - timedelta(days=30)}, now=now, window_minutes=60,
                policy=policy)
    with pytest.raises(Exception, match="source_roles"):
        load_policy({**yaml.safe_load(open("services/complaints/data/policies/default.yaml", encoding="utf-8")),
                     "source_roles": {"manufacturer": ["chief"]}})
