"""The complaints API (CONTRACT "complaints"): each step, each refusal, the 2-1-1 worked example."""
from __future__ import annotations

from testkit.tokens import API_TOKEN, bearer
from testkit.complaints import ORG, at


def test_rule_2_worked_example_friday_1700_first_reply_monday_0930_answer_monday_1700(api):
    # given a complaint raised Friday 2026-11-20 17:00 (RULES 2 worked example)
    response = api.raise_()
    # then the 2-1-1 deadlines count service time only
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] == "K-1" and body["state"] == "open" and body["level"] == 0
    assert body["level_role"] == "agent"
    assert body["raised_at"] == "2026-11-20T17:00:00+08:00"
    assert body["first_reply_due_at"] == "2026-11-23T09:30:00+08:00"
    assert body["answer_due_at"] == "2026-11-23T17:00:00+08:00"
    assert body["investigate_due_at"] is None and body["verify_due_at"] is None
    assert [(h["action"], h["from_level"], h["to_level"]) for h in body["history"]] == [("raised", None, 0)]
    assert body["history"][0]["at"] == "2026-11-20T17:00:00+08:00"
    assert body["customer"]["phone"] == "021-1234"
    # and GET gives the same, complaint.raised is published for the other services
    assert api.get("K-1").get_json() == body
    assert [e["data"]["complaint_id"] for e in api.events("complaint.raised")] == ["K-1"]


def test_raising_the_same_complaint_id_twice_is_409_and_keeps_one(api):
    assert api.raise_().status_code == 201
    response = api.raise_()
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    assert "K-1" in response.get_json()["detail"]
    assert api.count() == 1


def test_raising_with_a_bad_field_is_422_naming_it(api):
    response = api.raise_(category="weather", customer={"name": "x"})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert "category" in errors and "customer" in errors
    assert api.count() == 0


def test_reply_records_first_reply_then_answer(api, clock):
    api.raise_()
    clock.set(at(2026, 11, 23, 9, 0))
    first = api.post("K-1", "reply", {"message": "已安排工程师"}, role="agent")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["first_reply_at"] == "2026-11-23T09:00:00+08:00"
    assert first.get_json()["answered_at"] is None
    clock.set(at(2026, 11, 23, 15, 0))
    second = api.post("K-1", "reply", {"message": "更换压缩机"}, role="advisor").get_json()
    assert second["answered_at"] == "2026-11-23T15:00:00+08:00"
    assert [h["action"] for h in second["history"]] == ["raised", "replied", "replied"]
    assert second["history"][1]["actor"] == "agent-1"


def test_rule_2_escalate_moves_one_level_and_starts_the_2_hour_investigation(api, clock):
    api.raise_()
    clock.set(at(2026, 11, 23, 10, 0))
    response = api.post("K-1", "escalate", {"reason": "超出回访员权限"}, role="agent")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["level"] == 1 and body["level_role"] == "advisor"
    assert body["investigate_due_at"] == "2026-11-23T12:00:00+08:00"
    last = body["history"][-1]
    assert (last["actor"], last["from_level"], last["to_level"], last["reason"]) == ("agent-1", 0, 1, "超出回访员权限")
    (event,) = api.events("complaint.escalated")
    assert event["data"]["to_level"] == 1 and event["data"]["automatic"] is False
    assert event["data"]["customer"]["id"] == "C-1" and event["organization"] == ORG


def test_a_role_below_the_complaints_level_is_refused_with_403_and_the_reason(api, clock):
    api.raise_()
    api.post("K-1", "escalate", {"reason": "超出权限"}, role="agent")
    # the complaint is at the advisor's level: the agent may no longer act on it
    for step, body in [("reply", {"message": "x"}), ("escalate", {"reason": "x"}),
                       ("resolve", {"root_cause": "x", "corrective_action": "y"})]:
        response = api.post("K-1", step, body, role="agent")
        assert response.status_code == 403, (step, response.get_json())
        assert response.mimetype == "application/problem+json"
        assert "level 1" in response.get_json()["detail"] and "advisor" in response.get_json()["detail"]
    # a role the chain does not hold, and the integration token, are refused too
    assert api.post("K-1", "reply", {"message": "x"}, role="supervisor").status_code == 403
    response = api.client.post("/api/v1/complaints/K-1/reply?organization=acme-electric", json={"message": "x"},
                               headers=bearer(API_TOKEN))
    assert response.status_code == 403 and "integration" in response.get_json()["detail"]
    # a higher role may act
    assert api.post("K-1", "reply", {"message": "x"}, role="manager").status_code == 200
    assert len(api.history("K-1")) == 3


def test_escalating_past_the_top_level_is_409(api):
    api.raise_(source="manufacturer")
    body = api.get("K-1").get_json()
    assert body["level"] == 2 and body["level_role"] == "manager"
    response = api.post("K-1", "escalate", {"reason": "x"}, role="manager")
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    assert "top level" in response.get_json()["detail"]


def test_resolve_sets_verify_due_and_emits_resolved_then_a_second_resolve_is_409(api, clock):
    api.raise_()
    clock.set(at(2026, 11, 23, 10, 0))
    response = api.post("K-1", "resolve", {"root_cause": "压缩机故障", "corrective_action": "更换压缩机"},
                        role="agent")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["state"] == "resolved" and body["resolved_by"] == "agent-1"
    assert body["verify_due_at"] == "2026-11-24T10:00:00+08:00"
    (event,) = api.events("complaint.resolved")
    assert event["data"]["complaint_id"] == "K-1" and event["data"]["customer"]["name"] == "华东电力"
    again = api.post("K-1", "resolve", {"root_cause": "x", "corrective_action": "y"}, role="agent")
    assert again.status_code == 409
    assert api.post("K-1", "reply", {"message": "x"}, role="agent").status_code == 409


def test_missing_or_blank_fields_are_422_naming_the_field(api):
    api.raise_()
    response = api.post("K-1", "resolve", {"root_cause": "x"}, role="agent")
    assert response.status_code == 422 and "corrective_action" in response.get_json()["errors"]
    response = api.post("K-1", "resolve", {"root_cause": "   ", "corrective_action": "y"}, role="agent")
    assert response.status_code == 422 and "root_cause" in response.get_json()["errors"]
    response = api.post("K-1", "reply", {"message": "  "}, role="agent")
    assert response.status_code == 422 and "message" in response.get_json()["errors"]
    assert len(api.history("K-1")) == 1


def test_one_organisation_never_sees_anothers_complaints(api):
    api.raise_()
    other = "other-org"
    assert api.get("K-1", role="manager", org=other).status_code == 404
    assert api.post("K-1", "reply", {"message": "x"}, role="manager", org=other).status_code == 404
    listed = api.client.get("/api/v1/complaints", headers=api.headers("manager", other))
    assert listed.status_code == 200 and listed.get_json() == []
    # the same id in another organisation is another complaint
    assert api.raise_(org=other).status_code == 201
    assert api.count() == 2
    assert api.get("K-1").get_json()["organization"] == ORG


def test_list_filters_by_customer_and_state(api, clock):
    api.raise_(complaint_id="K-1")
    api.raise_(complaint_id="K-2", customer={"id": "C-2", "name": "李四"})
    api.post("K-2", "resolve", {"root_cause": "x", "corrective_action": "y"}, role="agent")
    headers = api.headers("agent")
    ids = lambda q: [c["id"] for c in api.client.get(f"/api/v1/complaints{q}", headers=headers).get_json()]  # noqa
    assert sorted(ids("")) == ["K-1", "K-2"]
    assert ids("?customer_id=C-2") == ["K-2"]
    assert ids("?state=open") == ["K-1"]
    assert ids("?state=resolved&customer_id=C-1") == []
    response = api.client.get("/api/v1/complaints?state=lost", headers=headers)
    assert response.status_code == 422 and "state" in response.get_json()["errors"]
    assert api.client.get("/api/v1/complaints").status_code == 401


def test_rule_2_resolved_event_carries_service_hours_to_resolve_on_the_organisations_calendar(api, clock, settings):
    import yaml

    from services.complaints.domain.data import DATA_DIR

    # given an organisation with its own holiday (Monday 2026-11-23) and service hours (09:00-17:00)
    own = settings.data_dir / ORG / "complaints"
    (own / "policies").mkdir(parents=True, exist_ok=True)
    (own / "calendar.yaml").write_text(yaml.safe_dump({"use_official": True, "holidays": ["2026-11-23"]}),
                                       encoding="utf-8")
    policy = yaml.safe_load((DATA_DIR / "policies" / "default.yaml").read_text(encoding="utf-8"))
    policy["service_hours"] = {"start": "09:00", "end": "17:00"}
    (own / "policies" / "default.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    # when a complaint raised Friday 17:00 is resolved Tuesday 10:30
    api.raise_()
    clock.set(at(2026, 11, 24, 10, 30))
    assert api.post("K-1", "resolve", {"root_cause": "x", "corrective_action": "y"}, role="agent").status_code == 200
    # then the event says 1.5 service hours (Tuesday 09:00-10:30): not the default calendar's 12.5
    (resolved,) = api.events("complaint.resolved")
    assert resolved["data"]["service_hours_to_resolve"] == 1.5
