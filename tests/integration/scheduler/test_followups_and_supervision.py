"""RULES 1.3 and 3, seeds 000 and 002: follow-up calls have questionnaires of their own; emergency repairs
are called back at once; a supervisor reassigns callbacks and switches one to on-site; a customer's open
question is mailed to its owner and called back on the promised day."""
from __future__ import annotations

from datetime import datetime, timezone

from services.scheduler import notify
from services.scheduler.service import SERVICE
from shared.users.store import save_person
from testkit.doubles import FakeMailer
from testkit.scheduler import ORG, order


def _people():
    SERVICE.run(save_person, organization=ORG, login="li", role="agent", password="pw-li")
    SERVICE.run(save_person, organization=ORG, login="wang", role="agent", password="pw-wang")
    SERVICE.run(save_person, organization=ORG, login="zhou", role="supervisor", email="zhou@acme.example",
                password="pw-zhou")


def _promise(scheduler, complaint_id="K-1"):
    scheduler.handle("complaint.promise_made", {
        "complaint_id": complaint_id, "promise_id": "P-1", "customer": {"id": "C-1", "name": "客户C-1"},
        "what": "周三前上门复查", "due_at": "2026-11-04T17:00:00+08:00"})
    return scheduler.callbacks(complaint_id=complaint_id)[0]


def test_rule_3_follow_up_calls_ask_their_own_questionnaire_not_the_survey(scheduler):
    # given a promise's follow-up, a repeat complaint's special callback and a verification
    followup = _promise(scheduler)
    scheduler.handle("complaint.repeated", {
        "complaint_id": "K-2", "customer": {"id": "C-2", "name": "客户C-2"}, "order_id": "O-9",
        "raised_at": "2026-11-02T09:00:00+08:00", "rework_due_at": "2026-11-03T09:00:00+08:00"})
    scheduler.handle("complaint.resolved", {"complaint_id": "K-3", "customer": {"id": "C-3", "name": "客户C-3"},
                                            "verify_due_at": "2026-11-03T11:00:00+08:00"})
    special = scheduler.callbacks(complaint_id="K-2")[0]
    verification = scheduler.callbacks(complaint_id="K-3")[0]
    # then each asks whether the customer was told how things stand and is satisfied with the handling
    names = {}
    for callback in (followup, special, verification):
        questionnaire = scheduler.get(f"/api/v1/callbacks/{callback['id']}/questionnaire").get_json()
        names[callback["kind"]] = (questionnaire["name"], [q["id"] for q in questionnaire["questions"]])
    assert names["promise_followup"] == ("promise_followup", ["progress_reported", "service_satisfaction",
                                                              "suggestions"])
    assert names["repeat_special"][0] == "repeat_special" and "progress_reported" in names["repeat_special"][1]
    assert names["verification"][0] == "verification"


def test_seed_002_an_emergency_repair_is_called_back_at_once_inside_the_call_windows(scheduler):
    # given an emergency repair completed Monday 10:30 (inside a call window) and one at 19:40 (after the last)
    scheduler.handle("service_order.completed", order("E-1", line="property", kind="emergency_repair",
                                                      completed_at="2026-11-02T10:30:00+08:00"))
    scheduler.handle("service_order.completed", order("E-2", customer="C-2", line="property",
                                                      kind="emergency_repair",
                                                      completed_at="2026-11-02T19:40:00+08:00"))
    (at_once,) = scheduler.callbacks(order_id="E-1")
    (evening,) = scheduler.callbacks(order_id="E-2")
    # then both are due the day the completion arrived: the first callable at once, the second from the
    # next window (the next morning), on time until then
    assert at_once["due_on"] == "2026-11-02" and at_once["appointment_at"].startswith("2026-11-02T10:30:00")
    assert (evening["due_on"], evening["overdue_on"]) == ("2026-11-02", "2026-11-03")
    assert evening["appointment_at"].startswith("2026-11-03T09:00:00")


def test_seed_002_an_emergency_repair_on_a_saturday_evening_does_not_wait_for_monday(scheduler):
    scheduler.handle("service_order.completed", order("E-3", line="property", kind="emergency_repair",
                                                      completed_at="2026-11-07T18:30:00+08:00"))
    (callback,) = scheduler.callbacks(order_id="E-3")
    assert callback["due_on"] == "2026-11-07" and callback["appointment_at"].startswith("2026-11-08T09:00:00")


def test_seed_000_a_supervisor_reassigns_one_callback_and_the_history_says_who(scheduler):
    _people()
    callback = _promise(scheduler)
    # an agent may not reassign
    assert scheduler.post(f"/api/v1/callbacks/{callback['id']}/assign", json={"agent": "wang"}).status_code == 403
    # nobody of that name: the field is named
    refused = scheduler.post(f"/api/v1/callbacks/{callback['id']}/assign", role="supervisor", login="zhou",
                             json={"agent": "nobody"})
    assert refused.status_code == 422 and "agent" in refused.get_json()["errors"]
    # when the supervisor gives it to wang
    done = scheduler.post(f"/api/v1/callbacks/{callback['id']}/assign", role="supervisor", login="zhou",
                          json={"agent": "wang"})
    assert done.status_code == 200 and done.get_json()["assigned_to"] == "wang"
    # then the history shows who did it
    (change,) = scheduler.get(f"/api/v1/callbacks/{callback['id']}/changes").get_json()
    assert (change["action"], change["after"], change["actor"]) == ("assigned", "wang", "zhou")
    # and the reporting read model is told who calls it now
    assert scheduler.outbox("callback.scheduled")[-1]["data"]["assigned_to"] == "wang"


def test_seed_000_an_absent_agents_open_callbacks_in_a_range_go_to_another(scheduler):
    _people()
    for n, day in enumerate(("2026-11-03", "2026-11-05", "2026-11-20")):
        scheduler.handle("complaint.promise_made", {
            "complaint_id": f"K-{n}", "promise_id": "P", "customer": {"id": f"C-{n}", "name": "客户"},
            "what": "回电", "due_at": f"{day}T10:00:00+08:00"})
    ids = {c["due_on"]: c["id"] for c in scheduler.callbacks(kind="promise_followup")}
    for callback_id in ids.values():
        scheduler.post(f"/api/v1/callbacks/{callback_id}/assign", role="supervisor", login="zhou",
                       json={"agent": "li"})
    # when li is away from 11-02 to 11-06
    moved = scheduler.post("/api/v1/agents/li/callbacks/reassign", role="supervisor", login="zhou",
                           json={"agent": "wang", "call_from": "2026-11-02", "call_to": "2026-11-06"})
    assert moved.status_code == 200
    assert sorted(moved.get_json()["moved"]) == sorted([ids["2026-11-03"], ids["2026-11-05"]])
    assert {c["due_on"]: c["assigned_to"] for c in scheduler.callbacks(kind="promise_followup")} == {
        "2026-11-03": "wang", "2026-11-05": "wang", "2026-11-20": "li"}


def test_seed_002_4_1_a_callback_switched_to_onsite_keeps_the_reason(scheduler):
    _people()
    callback = _promise(scheduler)
    body = {"channel": "onsite", "reason": "电话无法解决，需上门查看"}
    assert scheduler.post(f"/api/v1/callbacks/{callback['id']}/channel", json=body).status_code == 403
    switched = scheduler.post(f"/api/v1/callbacks/{callback['id']}/channel", role="supervisor", login="zhou",
                              json=body)
    assert switched.status_code == 200 and switched.get_json()["channel"] == "onsite"
    # twice: it is on site already
    again = scheduler.post(f"/api/v1/callbacks/{callback['id']}/channel", role="supervisor", login="zhou", json=body)
    assert again.status_code == 409
    (change,) = scheduler.get(f"/api/v1/callbacks/{callback['id']}/changes").get_json()
    assert (change["action"], change["before"], change["after"], change["reason"], change["actor"]) == (
        "channel", "phone", "onsite", "电话无法解决，需上门查看", "zhou")
    # a reason is required
    assert scheduler.post(f"/api/v1/callbacks/{callback['id']}/channel", role="supervisor", login="zhou",
                          json={"channel": "onsite"}).status_code == 422


def test_seed_000_an_open_question_is_mailed_to_its_owner_and_called_back_on_the_promised_day(scheduler):
    _people()
    scheduler.handle("service_order.completed", order("O-1", completed_at="2026-10-30T15:00:00+08:00",
                                                      segment="vip"))
    callback = scheduler.callbacks(order_id="O-1", kind="first")[0]
    # when li records the customer's question, for zhou to answer by Thursday 16:00
    asked = scheduler.post(f"/api/v1/callbacks/{callback['id']}/questions", json={
        "question": "保修期外更换压缩机的费用能否减免？", "owner": "zhou",
        "answer_due_at": "2026-11-05T16:00:00+08:00"})
    assert asked.status_code == 201, asked.get_json()
    question = asked.get_json()
    # then a follow-up callback is planned that day (a follow-up call with its own questionnaire)
    followup = next(c for c in scheduler.callbacks(order_id="O-1") if c["id"] == question["followup_id"])
    assert (followup["kind"], followup["due_on"], followup["status"]) == ("question_followup", "2026-11-05", "open")
    assert scheduler.get(f"/api/v1/callbacks/{followup['id']}/questionnaire").get_json()["name"] == \
        "question_followup"
    # and the owner is mailed once
    SERVICE.mailer = mailer = FakeMailer()
    assert [q for q, _ in notify.send_question_mails(SERVICE)] == [question["id"]]
    assert notify.send_question_mails(SERVICE) == []
    (mail,) = mailer.sent
    assert mail["To"] == "zhou@acme.example" and "2026-11-05 16:00" in mail["Subject"]
    # the question shows on both callbacks
    assert [q["question"] for q in scheduler.get(f"/api/v1/callbacks/{followup['id']}/questions").get_json()] == [
        "保修期外更换压缩机的费用能否减免？"]
    # a time already passed, or an owner nobody knows, is refused with the field
    late = scheduler.post(f"/api/v1/callbacks/{callback['id']}/questions", json={
        "question": "?", "owner": "zhou", "answer_due_at": "2026-11-01T16:00:00+08:00"})
    assert late.status_code == 422 and "answer_due_at" in late.get_json()["errors"]
    unknown = scheduler.post(f"/api/v1/callbacks/{callback['id']}/questions", json={
        "question": "?", "owner": "nobody", "answer_due_at": "2026-11-05T16:00:00+08:00"})
    assert unknown.status_code == 422 and "owner" in unknown.get_json()["errors"]
    assert scheduler.now == datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)
