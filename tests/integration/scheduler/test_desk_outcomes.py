"""What a call comes to besides answers (rescheduled, declined, wrong number), the call log, and
contact corrections: the outcomes people really get.

Seed 002 「提前预约回访时间」 (a customer asks to be called at a time), seed 000 「避免在客户休息时打扰客户」
(inside the call windows), seed 002 「避免打扰客户的正常工作和生活」 (a customer who declines is not
called again), seed 003 §四(一)1 「核实客户姓名、联系方式……是否准确」 (the contact data is checked
and corrected during the call).
"""
from __future__ import annotations

from datetime import datetime, timezone

from services.scheduler.service import SERVICE

ORDER = {"order_id": "O-1", "customer": {"id": "C-1", "name": "王先生", "segment": "vip", "phone": "13812345678"},
         "completed_at": "2026-10-30T15:00:00+08:00", "business_line": "vehicle", "kind": "maintenance"}


def first_callback(scheduler) -> dict:
    scheduler.handle("service_order.completed", ORDER)
    return scheduler.callbacks(order_id="O-1", kind="first")[0]


def attempts(scheduler, callback_id: str) -> list:
    CallAttempt = scheduler.model("CallAttempt")
    with SERVICE.connection():
        return list(CallAttempt.select().where(CallAttempt.callback_id == callback_id)
                    .order_by(CallAttempt.attempt_no).dicts())


def test_seed_002_appointment_next_attempt_at_the_asked_time_inside_the_call_windows(scheduler):
    # given the first callback, called on Monday 2026-11-02 10:00
    callback = first_callback(scheduler)
    url = f"/api/v1/callbacks/{callback['id']}/outcome"
    # when the customer asks to be called Tuesday at 12:30 (rest time: the window opens at 14:00)
    response = scheduler.post(url, json={"result": "rescheduled", "call_at": "2026-11-03T12:30:00+08:00"})
    # then the task stays open, its next attempt is Tuesday 14:00, and no retry was used up
    assert response.status_code == 200, response.get_json()
    task = response.get_json()
    assert (task["status"], task["last_result"], task["next_attempt_on"], task["attempts"]) == (
        "open", "rescheduled", "2026-11-03", 0)
    assert task["appointment_at"] == "2026-11-03T14:00:00+08:00"
    (event,) = scheduler.outbox("callback.rescheduled")
    assert event["data"]["call_at"] == "2026-11-03T14:00:00+08:00" and event["data"]["agent"] == "li"
    # and the call is in the log: who, when, which channel, what it came to
    (call,) = attempts(scheduler, callback["id"])
    assert (call["agent"], call["role"], call["channel"], call["result"]) == ("li", "agent", "phone", "rescheduled")


def test_seed_002_appointment_in_the_past_or_too_far_ahead_is_422_naming_call_at(scheduler):
    callback = first_callback(scheduler)
    url = f"/api/v1/callbacks/{callback['id']}/outcome"
    for asked in ("2026-11-01T10:00:00+08:00", "2027-06-01T10:00:00+08:00"):
        response = scheduler.post(url, json={"result": "rescheduled", "call_at": asked})
        assert response.status_code == 422 and "call_at" in response.get_json()["errors"], response.get_json()
    missing = scheduler.post(url, json={"result": "rescheduled"})
    assert missing.status_code == 422 and "call_at" in missing.get_json()["errors"]
    assert attempts(scheduler, callback["id"]) == []


def test_seed_002_declined_customer_is_opted_out_and_the_planner_honours_it(scheduler):
    # given a customer with a first and a second callback open
    callback = first_callback(scheduler)
    # when they decline callbacks on the first
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={"result": "declined"})
    # then the first ends declined, the second is cancelled, and the decline is announced
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "declined"
    second = scheduler.callbacks(order_id="O-1", kind="second")[0]
    assert second["status"] == "cancelled"
    (declined,) = scheduler.outbox("callback.declined")
    assert declined["data"]["customer_id"] == "C-1" and declined["data"]["cancelled_callbacks"] == 1
    # and a later order of theirs plans no callback
    scheduler.handle("service_order.completed", {**ORDER, "order_id": "O-2",
                                                 "completed_at": "2026-11-05T15:00:00+08:00"})
    assert scheduler.callbacks(order_id="O-2") == []
    assert scheduler.callbacks(status="declined")[0]["id"] == callback["id"]


def test_seed_003_s4_wrong_number_waits_for_corrected_contact_data(scheduler):
    # given a callback whose number turns out wrong
    callback = first_callback(scheduler)
    url = f"/api/v1/callbacks/{callback['id']}/outcome"
    response = scheduler.post(url, json={"result": "wrong_number"})
    assert response.status_code == 200 and response.get_json()["status"] == "wrong_number"
    assert scheduler.outbox("callback.wrong_number")[0]["data"]["corrected"] is False
    # when the ERP sends the same data again, it keeps waiting
    scheduler.handle("customer.updated", {"customer": ORDER["customer"]})
    assert scheduler.callbacks(order_id="O-1", kind="first")[0]["status"] == "wrong_number"
    # when the ERP sends a corrected phone, it is open again, to call from today
    scheduler.handle("customer.updated", {"customer": {**ORDER["customer"], "phone": "13900001111"}})
    task = scheduler.callbacks(order_id="O-1", kind="first")[0]
    assert (task["status"], task["next_attempt_on"]) == ("open", "2026-11-02")


def test_seed_003_s4_contact_corrected_during_a_call_is_kept_and_sent_as_customer_updated(scheduler):
    callback = first_callback(scheduler)
    # when the agent corrects the phone and the contact person while recording a reached call
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied",
        "contact": {"phone": "13900002222", "contact_person": "王太太"}})
    assert response.status_code == 200, response.get_json()
    # then every service hears of it
    (updated,) = scheduler.outbox("customer.updated")
    assert updated["data"]["customer"]["phone"] == "13900002222"
    assert updated["data"]["customer"]["contact_person"] == "王太太"
    assert updated["data"]["corrected_by"] == "li" and updated["data"]["callback_id"] == callback["id"]
    # and the correction is kept with what it was
    Correction = scheduler.model("ContactCorrection")
    with SERVICE.connection():
        (kept,) = Correction.select().where(Correction.customer_id == "C-1")
    assert kept.before["phone"] == "13812345678" and kept.after["phone"] == "13900002222" and kept.login == "li"
    # and the callback completed says who made the call
    assert scheduler.outbox("callback.completed")[0]["data"]["agent"] == "li"


def test_seed_003_s4_wrong_number_corrected_in_the_same_call_stays_open(scheduler):
    callback = first_callback(scheduler)
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "result": "wrong_number", "contact": {"phone": "13900003333"}})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["status"], response.get_json()["next_attempt_on"]) == ("open", "2026-11-02")


def test_result_with_answers_or_contradicting_reached_is_422(scheduler):
    callback = first_callback(scheduler)
    url = f"/api/v1/callbacks/{callback['id']}/outcome"
    both = scheduler.post(url, json={"result": "declined", "product_satisfaction": "satisfied"})
    assert both.status_code == 422 and "result" in both.get_json()["errors"]
    wrong = scheduler.post(url, json={"result": "wrong_number", "reached": True})
    assert wrong.status_code == 422 and "reached" in wrong.get_json()["errors"]
    neither = scheduler.post(url, json={})
    assert neither.status_code == 422 and "reached" in neither.get_json()["errors"]


def test_every_attempt_records_agent_time_and_channel(scheduler):
    callback = first_callback(scheduler)
    url = f"/api/v1/callbacks/{callback['id']}/outcome"
    scheduler.post(url, json={"reached": False})
    scheduler.now = datetime(2026, 11, 3, 3, 0, tzinfo=timezone.utc)
    done = scheduler.post(url, role="supervisor", login="zhao", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied"})
    assert done.status_code == 200, done.get_json()
    calls = attempts(scheduler, callback["id"])
    assert [(c["attempt_no"], c["agent"], c["role"], c["result"], c["channel"]) for c in calls] == [
        (1, "li", "agent", "not_reached", "phone"), (2, "zhao", "supervisor", "reached", "phone")]
    assert calls[1]["at"].replace(tzinfo=timezone.utc) == datetime(2026, 11, 3, 3, 0, tzinfo=timezone.utc)


def test_seed_003_s6_callback_detail_gives_the_scripts_filled_in(scheduler):
    callback = first_callback(scheduler)
    detail = scheduler.get(f"/api/v1/callbacks/{callback['id']}").get_json()
    assert detail["scripts"]["opening_zh"].startswith("您好，请问是王先生吗？我是acme-electric的客服li")
    assert "工单 O-1" in detail["scripts"]["opening_zh"] and "order O-1" in detail["scripts"]["opening_en"]
    assert detail["scripts"]["closing_zh"].endswith("再见！")


def test_declined_customer_wrong_number_callback_is_cancelled_not_reopened_later(scheduler):
    # given the first callback waiting for corrected contact data (wrong number)
    callback = first_callback(scheduler)
    wrong = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={"result": "wrong_number"})
    assert wrong.get_json()["status"] == "wrong_number"
    # when the customer, reached on their second callback, declines callbacks
    second = scheduler.callbacks(order_id="O-1", kind="second")[0]
    declined = scheduler.post(f"/api/v1/callbacks/{second['id']}/outcome", role="supervisor", login="zhao",
                              json={"result": "declined"})
    assert declined.status_code == 200, declined.get_json()
    # then the waiting callback is cancelled with the other open ones (and announced so)
    assert scheduler.callbacks(order_id="O-1", kind="first")[0]["status"] == "cancelled"
    assert scheduler.outbox("callback.declined")[0]["data"]["cancelled_callbacks"] == 1
    # and a later phone correction does not open it again: the customer is not called
    scheduler.handle("customer.updated", {"customer": {**ORDER["customer"], "phone": "13900004444"}})
    assert scheduler.callbacks(order_id="O-1", kind="first")[0]["status"] == "cancelled"


def test_seed_002_agent_list_gives_a_rescheduled_callback_the_asked_time(scheduler):
    # given li covers the vehicle line, and the customer asks to be called Tuesday at 16:30
    roster = scheduler.settings.data_dir / "acme-electric" / "scheduler" / "agents.yaml"
    roster.parent.mkdir(parents=True, exist_ok=True)
    roster.write_text("agents:\n  - login: li\n    business_lines: [vehicle]\n", encoding="utf-8")
    callback = first_callback(scheduler)
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome",
                              json={"result": "rescheduled", "call_at": "2026-11-03T16:30:00+08:00"})
    assert response.get_json()["appointment_at"] == "2026-11-03T16:30:00+08:00"
    # then li's list says to call then, not when Tuesday's first window opens
    listed = {c["id"]: c for c in scheduler.get("/api/v1/agents/li/callbacks").get_json()}
    assert listed[callback["id"]]["next_call_at"] == "2026-11-03T16:30:00+08:00"


def test_wrong_number_corrected_on_the_callback_itself_opens_it_again(scheduler):
    # given the first callback waiting for a correct number
    callback = first_callback(scheduler)
    scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={"result": "wrong_number"})
    url = f"/api/v1/callbacks/{callback['id']}/contact"
    # a cleared or unchanged phone is no fix: 422 naming phone, and it keeps waiting
    for bad in ({"phone": None}, {"phone": ORDER["customer"]["phone"]}, {"name": "王大明"}):
        response = scheduler.post(url, json=bad)
        assert response.status_code == 422 and "phone" in response.get_json()["errors"], (bad, response.get_json())
    assert scheduler.callbacks(order_id="O-1", kind="first")[0]["status"] == "wrong_number"
    assert scheduler.outbox("customer.updated") == []
    # the outcome form of a waiting callback is refused, saying how to fix it
    refused = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={"reached": False})
    assert refused.status_code == 409 and "contact" in str(refused.get_json())
    # when the agent gives the right number on the callback itself
    fixed = scheduler.post(url, json={"phone": "13900005555"})
    # then it is open again, to call from today, and every service hears of the correction
    assert fixed.status_code == 200, fixed.get_json()
    assert (fixed.get_json()["status"], fixed.get_json()["next_attempt_on"]) == ("open", "2026-11-02")
    (updated,) = scheduler.outbox("customer.updated")
    assert updated["data"]["customer"]["phone"] == "13900005555" and updated["data"]["callback_id"] == callback["id"]


def test_wrong_number_result_with_a_null_or_same_phone_is_422(scheduler):
    callback = first_callback(scheduler)
    url = f"/api/v1/callbacks/{callback['id']}/outcome"
    for contact in ({"phone": None}, {"phone": ORDER["customer"]["phone"]}):
        response = scheduler.post(url, json={"result": "wrong_number", "contact": contact})
        assert response.status_code == 422 and "contact.phone" in response.get_json()["errors"], response.get_json()
    assert scheduler.callbacks(order_id="O-1", kind="first")[0]["status"] == "open"
    assert attempts(scheduler, callback["id"]) == []


def test_erp_clearing_the_phone_does_not_reopen_a_wrong_number(scheduler):
    callback = first_callback(scheduler)
    scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={"result": "wrong_number"})
    scheduler.handle("customer.updated", {"customer": {**ORDER["customer"], "phone": None}})
    assert scheduler.callbacks(order_id="O-1", kind="first")[0]["status"] == "wrong_number"


def test_seed_002_declined_without_a_customer_row_is_kept_not_lost(scheduler):
    # given a callback whose customer row is gone (an ERP purge, a partial import)
    callback = first_callback(scheduler)
    Customer = scheduler.model("Customer")
    with SERVICE.connection():
        Customer.delete().where(Customer.customer_id == "C-1").execute()
    # when the customer declines callbacks
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={"result": "declined"})
    assert response.status_code == 200, response.get_json()
    # then the opt-out is kept, and a later order of theirs plans no callback
    with SERVICE.connection():
        row = Customer.get(Customer.customer_id == "C-1")
    assert row.opted_out_at is not None and row.opted_out_by == "li"
    scheduler.handle("service_order.completed", {**ORDER, "order_id": "O-3", "customer": {"id": "C-1", "name": "王先生"},
                                                 "completed_at": "2026-11-05T15:00:00+08:00"})
    assert scheduler.callbacks(order_id="O-3") == []
