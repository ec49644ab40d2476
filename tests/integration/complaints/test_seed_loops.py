"""The loops the seeds open, on the complaints side: a verification that cannot be made (declined, wrong
number) and one that misses its deadline (RULES 2, seed 004 2-1-1); seed 000's chain where only the
service manager resolves; departments told and filtered (seed 000 part 5); the first taker of a
complaint raised from a callback (seed 002); hotline tickets that are not complaints (seed 001)."""
from __future__ import annotations

import shutil
from pathlib import Path

from services.complaints import handlers, jobs, notify
from services.complaints.service import SERVICE
from shared.users.store import save_person
from testkit.complaints import ORG, at, handle, raised, resolved
from testkit.events import envelope
from testkit.tokens import API_TOKEN, bearer

CHAINS = Path(__file__).resolve().parents[3] / "services" / "complaints" / "data" / "chains"


def _not_made(type_: str, **data) -> dict:
    return envelope(type_, {"callback_id": "CB-9", "customer_id": "C-1", "kind": "verification",
                            "complaint_id": "K-1", "verification": True, **data})


def test_rule_2_a_declined_verification_goes_to_the_supervisors_queue(api, clock, mailer, people):
    # given a resolved complaint waiting for its verification callback
    resolved(api, clock)
    # when the customer declines the verification call
    handle(_not_made("callback.declined", due_on="2026-11-24"))
    # then the complaint waits in the supervisor's queue with the reason, and the supervisor is mailed
    body = api.get("K-1").get_json()
    assert body["state"] == "resolved" and body["unreachable_at"] is not None
    assert "declined by the customer" in body["history"][-1]["reason"]
    notify.send_notifications(SERVICE)
    assert any(m["To"] == "sun@acme.example" and "谢绝" in m["Subject"] for m in mailer.sent)
    # and the supervisor may close it with a reason
    closed = api.post_as("K-1", "close", {"reason": "unreachable", "comment": "客户谢绝回访"}, "supervisor", "sun")
    assert closed.get_json()["closure_reason"] == "unreachable"


def test_rule_2_a_wrong_number_on_a_verification_goes_to_the_queue_a_corrected_one_does_not(api, clock, mailer,
                                                                                          people):
    resolved(api, clock)
    # a wrong number corrected on the call itself is called again at once: nothing for the supervisor
    handle(_not_made("callback.wrong_number", corrected=True))
    assert api.get("K-1").get_json()["unreachable_at"] is None
    # a wrong number not corrected: the supervisor's queue, to try again once the number is right
    handle(envelope("callback.wrong_number", {"callback_id": "CB-10", "customer_id": "C-1", "complaint_id": "K-1",
                                              "verification": True, "corrected": False}))
    body = api.get("K-1").get_json()
    assert body["unreachable_at"] is not None and "wrong number" in body["history"][-1]["reason"]
    clock.set(at(2026, 11, 24, 9, 0))
    retried = api.post_as("K-1", "retry-verification", {"comment": "号码已更正"}, "supervisor", "sun").get_json()
    assert retried["unreachable_at"] is None


def test_rule_2_declining_a_survey_changes_no_complaint(api, clock, people):
    resolved(api, clock)
    handle(envelope("callback.declined", {"callback_id": "CB-1", "customer_id": "C-1", "kind": "first",
                                          "verification": False}))
    assert api.get("K-1").get_json()["unreachable_at"] is None


def test_seed_004_2_1_1_a_missed_verification_escalates_and_is_mailed(api, clock, mailer, people):
    # given a complaint resolved by the advisor Monday 10:00: verified by Tuesday 10:00 (1 service day)
    resolved(api, clock)
    body = api.get("K-1").get_json()
    assert (body["level"], body["verify_due_at"]) == (1, "2026-11-24T10:00:00+08:00")
    # when the verification deadline passes without a verification
    clock.set(at(2026, 11, 24, 10, 5))
    SERVICE.run(jobs.sweep_due, now=clock())
    # then the complaint goes one level up, still waiting for its verification, and the manager is mailed
    body = api.get("K-1").get_json()
    assert (body["state"], body["level"], body["level_role"]) == ("resolved", 2, "manager")
    (escalated,) = [h for h in body["history"] if h["action"] == "escalated" and h["actor"] == "system"]
    assert "verification" in escalated["reason"]
    notify.send_notifications(SERVICE)
    assert any(m["To"] == "zhao@acme.example" and "K-1" in m["Subject"] for m in mailer.sent)
    # and a second sweep does not act on the same deadline again
    SERVICE.run(jobs.sweep_due, now=at(2026, 11, 24, 12, 0))
    assert api.get("K-1").get_json()["level"] == 2


def test_seed_000_chain_the_agent_passes_on_the_station_manager_approves_the_service_manager_resolves(
        api, settings, clock, people):
    # given the organisation runs seed 000's chain
    own = settings.data_dir / ORG / "complaints" / "chains"
    own.mkdir(parents=True, exist_ok=True)
    shutil.copy(CHAINS / "seed000.yaml", own / "default.yaml")
    api.raise_()
    resolution = {"root_cause": "接头漏氟", "corrective_action": "更换接头"}
    # the agent cannot resolve it: the level passes the day's complaints on
    refused = api.post_as("K-1", "resolve", resolution, "agent", "chen")
    assert refused.status_code == 409 and "passes complaints on" in refused.get_json()["detail"]
    assert api.post_as("K-1", "escalate", {"reason": "当天投诉交站长"}, "agent", "chen").status_code == 200
    # the station manager approves and forwards, and cannot resolve either
    assert api.post_as("K-1", "resolve", resolution, "supervisor", "sun").status_code == 409
    assert api.post_as("K-1", "escalate", {"reason": "批示:转服务经理"}, "supervisor", "sun").status_code == 200
    # the service manager handles it
    body = api.post_as("K-1", "resolve", resolution, "manager", "zhao").get_json()
    assert (body["state"], body["resolved_level"], body["level_role"]) == ("resolved", 2, "manager")


def test_seed_000_part_5_a_department_is_mailed_and_lists_filter_by_department_and_owner(api, clock, mailer,
                                                                                       people):
    # given two people of the quality department (质量管理部) in the directory
    SERVICE.run(save_person, organization=ORG, login="qian", role="advisor", email="qian@acme.example",
                department="质量管理部")
    SERVICE.run(save_person, organization=ORG, login="zhou", role="agent", email="zhou@acme.example",
                department="售后服务部")
    # when a product-quality complaint is assigned to that department, and a price one to sales
    api.raise_(category="product_quality")
    api.raise_(complaint_id="K-2", category="price")
    notify.send_notifications(SERVICE)
    # then the department's people are mailed, the others are not
    to_department = [m for m in mailer.sent if "质量管理部" in m["Subject"]]
    assert [m["To"] for m in to_department] == ["qian@acme.example"]
    assert not any(m["To"] == "zhou@acme.example" for m in mailer.sent)
    # and the list filters by department and by owner
    listed = api.client.get("/api/v1/complaints?department=质量管理部", headers=api.headers("agent")).get_json()
    assert [c["id"] for c in listed] == ["K-1"]
    api.post_as("K-2", "accept", {}, "advisor", "li")
    owned = api.client.get("/api/v1/complaints?owner=li", headers=api.headers("agent")).get_json()
    assert [c["id"] for c in owned] == ["K-2"]
    bad = api.client.get("/api/v1/complaints?owner=no%20one", headers=api.headers("agent"))
    assert bad.status_code == 422 and "owner" in bad.get_json()["errors"]


def test_seed_002_a_complaint_raised_from_a_callback_has_the_recording_agent_as_first_taker(api, people):
    handle(raised(recorded_by="chen", callback_id="CB-1"))
    assert api.get("K-1").get_json()["first_taker"] == "chen"


def _ticket(api, kind="service_request", role="agent", login="chen", **fields):
    body = {"kind": kind, "customer": {"id": "C-7", "name": "刘先生", "segment": "vip", "phone": "13700000005"},
            "product_model": "KT-504", "purchased_on": "2026-03-02", "fault": "发动机启动困难", "warranty": "in_warranty",
            **fields}
    return api.client.post("/api/v1/tickets", json=body, headers=api.headers(role, login=login))


def test_seed_001_a_service_request_is_handed_over_in_15_minutes_then_passed_on_in_15_more(api, clock, mailer,
                                                                                         people):
    # given a service request recorded Friday 17:00 with the fields seed 001 names
    response = _ticket(api)
    assert response.status_code == 201, response.get_json()
    ticket = response.get_json()
    # service level by the customer (大客户), service mode by the warranty policy (上门)
    assert (ticket["service_level"], ticket["service_mode"]) == ("key_account", "onsite")
    assert (ticket["purchased_on"], ticket["recorded_by"]) == ("2026-03-02", "chen")
    assert ticket["handover_due_at"] == "2026-11-20T17:15:00+08:00"  # 15 service minutes
    tid = ticket["id"]
    # passing it on before the handover is refused
    dispatch = f"/api/v1/tickets/{tid}/dispatch"
    assert api.client.post(dispatch, json={"to": "维修协调员"}, headers=api.headers("agent")).status_code == 409
    # when it is handed over at 17:10, the repair coordinator's 15 minutes start then
    clock.set(at(2026, 11, 20, 17, 10))
    handed = api.client.post(f"/api/v1/tickets/{tid}/handover", json={"to": "热线工程师 王工"},
                             headers=api.headers("agent")).get_json()
    assert handed["dispatch_due_at"] == "2026-11-20T17:25:00+08:00" and handed["missed"] == []
    # and when nobody passes it on in time, the sweep mails the supervisor once
    clock.set(at(2026, 11, 20, 17, 30))
    assert SERVICE.run(handlers.sweep_due_tickets, now=clock()) == 1
    assert SERVICE.run(handlers.sweep_due_tickets, now=clock()) == 0
    notify.send_notifications(SERVICE)
    assert [m["To"] for m in mailer.sent if tid in m["Subject"]] == ["sun@acme.example"]
    late = api.client.post(dispatch, json={"to": "维修协调员 陈工"}, headers=api.headers("agent")).get_json()
    assert late["dispatched_to"] == "维修协调员 陈工" and late["missed"] == ["dispatch"]


def test_seed_001_a_ticket_of_the_same_customer_and_product_is_flagged_a_possible_duplicate(api, clock):
    first = _ticket(api).get_json()
    clock.set(at(2026, 11, 23, 9, 0))
    again = _ticket(api, kind="consultation").get_json()
    other = _ticket(api, product_model="KT-600").get_json()
    assert (first["duplicate_of"], again["duplicate_of"], other["duplicate_of"]) == (None, first["id"], None)
    assert again["service_mode"] == "phone"  # a consultation is answered on the phone


def test_seed_001_tickets_never_count_as_complaints_and_a_consultation_becomes_one_in_one_action(api, clock, people):
    consultation = _ticket(api, kind="consultation", fault="咨询配置机型；客户对维修结果不满").get_json()
    listed = api.client.get("/api/v1/tickets?kind=consultation", headers=api.headers("agent"))
    assert [t["id"] for t in listed.get_json()] == [consultation["id"]]
    assert api.client.get(f"/api/v1/complaints?organization={ORG}", headers=bearer(API_TOKEN)).get_json() == []
    # when the agent turns it into a complaint
    url = f"/api/v1/tickets/{consultation['id']}/complaint"
    response = api.client.post(url, json={"category": "product_quality"}, headers=api.headers("agent", login="chen"))
    assert response.status_code == 201, response.get_json()
    complaint = response.get_json()
    assert (complaint["source"], complaint["first_taker"], complaint["product_model"]) == ("hotline", "chen",
                                                                                          "KT-504")
    assert complaint["description"] == "咨询配置机型；客户对维修结果不满"
    ticket = api.client.get(f"/api/v1/tickets/{consultation['id']}", headers=api.headers("agent")).get_json()
    assert ticket["complaint_id"] == complaint["id"]
    # and twice is refused
    assert api.client.post(url, json={}, headers=api.headers("agent")).status_code == 409


def test_seed_001_a_ticket_names_the_wrong_field(api):
    response = _ticket(api, kind="question")
    assert response.status_code == 422 and "kind" in response.get_json()["errors"]
    future = _ticket(api, purchased_on="2027-01-01")
    assert future.status_code == 422 and "purchased_on" in future.get_json()["errors"]
