"""Rules fidelity, the scheduler: the on-site share of house repairs, future years and
their re-planning, repeat complaints' special callbacks, the call-length guide, call windows, the
special remark of the flag, and the seed 004 preset."""
from __future__ import annotations

import shutil
from datetime import date, datetime, timezone

import chinese_calendar
import yaml

from services.scheduler import jobs
from services.scheduler.service import SERVICE
from shared.core import calendar as shared_calendar
from shared.core import orgdata
from shared.core.orgdata import packaged_path
from testkit.scheduler import order

ORG_DIR = ("acme-electric", "scheduler")


def own_policy(scheduler, **changes):
    """Writes the organisation's own policy: the packaged default with `changes` applied by path."""
    policy = yaml.safe_load(packaged_path("scheduler", "policies/default.yaml").read_text(encoding="utf-8"))
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = policy
        for part in parents:
            node = node[part]
        node[leaf] = value
    target = scheduler.settings.data_dir.joinpath(*ORG_DIR, "policies", "default.yaml")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")


def test_rule_1_3_house_repairs_at_least_half_on_site_over_the_whole_batch(scheduler):
    # given the house-repair rule, and a month of 10 routine repairs: 3 of key customers (planned by
    # phone at once) and 7 of ordinary ones (waiting for the batch)
    own_policy(scheduler, **{"batch.tier_set": "house_repair"})
    for i in range(10):
        scheduler.handle("service_order.completed", order(
            f"R-{i}", customer=f"H-{i}", segment="vip" if i < 3 else "ordinary", line="property", kind="repair",
            completed_at="2026-10-05T10:00:00+08:00"))
    assert {c["channel"] for c in scheduler.callbacks()} == {"phone"}
    # when the batch closes on the 26th (under 20 orders: a fixed 5)
    scheduler.now = datetime(2026, 10, 26, 2, 0, tzinfo=timezone.utc)
    SERVICE.run(jobs.close_due_batches)
    # then at least half of the whole batch's 5 callbacks are visits, the key customers' included
    callbacks = scheduler.callbacks()
    assert len(callbacks) == 5
    onsite = [c for c in callbacks if c["channel"] == "onsite"]
    assert len(onsite) >= 3
    assert {c["customer_id"] for c in onsite} >= {"H-0", "H-1", "H-2"}
    moved = [e for e in scheduler.outbox("callback.scheduled") if e["data"]["channel"] == "onsite"]
    assert len(moved) >= 3  # the change of channel is announced


def test_rule_1_3_exactly_50_house_repair_orders_keep_30_percent():
    from services.scheduler.domain.policy_schema import load_policy_file
    from services.scheduler.domain.sampling import target_count

    policy = load_policy_file(packaged_path("scheduler", "policies/default.yaml"))
    assert target_count(50, policy.tier_sets["house_repair"]) == 15
    assert target_count(51, policy.tier_sets["house_repair"]) == 8
    text = packaged_path("scheduler", "policies/default.yaml").read_text(encoding="utf-8")
    assert "names exactly 50 orders twice" in text  # the policy file says how 50 is read


def delivery(scheduler, delivery_id="D-1", shipped_on="2026-02-01", commissioned_on="2026-02-05"):
    scheduler.handle("delivery.shipped", {"delivery_id": delivery_id, "shipped_on": shipped_on,
                                          "customer": {"id": "E-1", "name": "华东电力"}})
    scheduler.handle("equipment.commissioned", {"delivery_id": delivery_id, "commissioned_on": commissioned_on})
    return {c["kind"]: c for c in scheduler.callbacks(delivery_id=delivery_id)}


def test_rule_1_6_future_callbacks_skip_the_computed_spring_festival_and_record_their_source(scheduler):
    # given commissioning on 2026-02-05: the warranty ends 2027-02-05, on the eve of the 2027 Spring Festival
    callbacks = delivery(scheduler)
    warranty_end = callbacks["warranty_end"]
    # then the callback is due after the holidays the lunar calendar gives (2027-02-05..10), provisional
    assert (warranty_end["nominal_on"], warranty_end["due_on"]) == ("2027-02-05", "2027-02-11")
    assert warranty_end["provisional"] is True and warranty_end["calendar_source"] == "holidays"
    assert callbacks["trial_run"]["calendar_source"] == "official" and not callbacks["trial_run"]["provisional"]


def publish_2027(monkeypatch, *, spring_festival: tuple[date, date]):
    """Pretends the official calendar package has published 2027, with this Spring Festival."""
    real, (first, last) = chinese_calendar.is_workday, spring_festival
    monkeypatch.setattr(chinese_calendar, "is_workday", lambda day: (day.weekday() < 5 and not first <= day <= last)
                        if day.year == 2027 else real(day))
    published = lambda year: year <= 2027  # noqa: E731
    monkeypatch.setattr(shared_calendar, "official_year_published", published)
    monkeypatch.setattr(jobs, "official_year_published", published)
    monkeypatch.setattr(orgdata, "_parsed", {})  # the organisation's calendar is read again


def test_rule_1_6_open_callbacks_on_provisional_days_are_replanned_once_the_year_is_published(scheduler, monkeypatch):
    # given callbacks planned on the computed 2027 calendar
    before = delivery(scheduler)
    # when the official calendar publishes 2027 (Spring Festival from 2027-02-06) and the daily job runs
    publish_2027(monkeypatch, spring_festival=(date(2027, 2, 6), date(2027, 2, 12)))
    moved = SERVICE.run(jobs.replan_provisional_callbacks)
    # then the open callback of 2027 moves to Friday 2027-02-05, a working day now, and is published data
    assert [(org, m.kind, m.was_due_on.isoformat(), m.due_on.isoformat()) for org, m in moved] == [
        ("acme-electric", "warranty_end", "2027-02-11", "2027-02-05")]
    after = {c["kind"]: c for c in scheduler.callbacks(delivery_id="D-1")}
    assert after["warranty_end"]["due_on"] == "2027-02-05"
    assert after["warranty_end"]["provisional"] is False and after["warranty_end"]["calendar_source"] == "official"
    # the years not published stay provisional
    assert after["post_warranty_24m"]["provisional"] is True
    assert after["post_warranty_24m"]["due_on"] == before["post_warranty_24m"]["due_on"]
    rescheduled = [e["data"] for e in scheduler.outbox("callback.scheduled") if e["data"]["rescheduled"]]
    assert [(e["kind"], e["due_on"]) for e in rescheduled] == [("warranty_end", "2027-02-05")]
    # and the job run again moves nothing
    assert SERVICE.run(jobs.replan_provisional_callbacks) == []


def test_rule_1_6_the_replan_command_prints_what_moved(scheduler, monkeypatch, capsys):
    delivery(scheduler)
    publish_2027(monkeypatch, spring_festival=(date(2027, 2, 6), date(2027, 2, 12)))
    from services.scheduler import cli

    monkeypatch.setattr(SERVICE, "bind", lambda *a, **k: None)  # keep the test's database
    assert cli.main(["replan-provisional"]) == 0
    out = capsys.readouterr().out
    assert "warranty_end) 2027-02-11 -> 2027-02-05" in out and "1 open callbacks moved" in out


def test_rule_1_3_repeat_complaint_gets_its_special_callback_within_24_hours(scheduler):
    # given a repeat complaint about order SO-1 raised Friday 17:00, reworked by Saturday 17:00
    scheduler.handle("service_order.completed", order("SO-1", line="property", kind="emergency_repair"))
    scheduler.handle("complaint.repeated", {
        "complaint_id": "K-2", "customer": {"id": "C-1", "name": "客户C-1"}, "order_id": "SO-1",
        "raised_at": "2026-11-20T17:00:00+08:00", "rework_due_at": "2026-11-21T17:00:00+08:00"})
    # then a special callback of its own kind is due that Saturday, not moved to Monday
    (special,) = scheduler.callbacks(complaint_id="K-2")
    assert special["kind"] == "repeat_special" and special["due_on"] == "2026-11-21"
    assert special["order_id"] == "SO-1" and special["business_line"] == "property"
    # the same event again changes nothing
    scheduler.handle("complaint.repeated", {
        "complaint_id": "K-2", "customer": {"id": "C-1", "name": "客户C-1"}, "order_id": "SO-1",
        "raised_at": "2026-11-20T17:00:00+08:00", "rework_due_at": "2026-11-21T17:00:00+08:00"})
    assert len(scheduler.callbacks(complaint_id="K-2")) == 1


def vip_first_callback(scheduler) -> str:
    scheduler.handle("service_order.completed", order("O-1", segment="vip"))
    return scheduler.callbacks(order_id="O-1", kind="first")[0]["id"]


def test_rule_1_2_a_call_over_the_time_guide_is_flagged_unless_it_raised_a_complaint(scheduler):
    callback_id = vip_first_callback(scheduler)
    response = scheduler.post(f"/api/v1/callbacks/{callback_id}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied",
        "duration_s": 240})
    assert response.status_code == 200 and response.get_json()["over_time_limit"] is True
    (completed,) = scheduler.outbox("callback.completed")
    assert completed["data"]["over_time_limit"] is True and completed["data"]["duration_limit_s"] == 180
    # a long call that raised a complaint is not flagged (如有投诉情况除外)
    second = scheduler.callbacks(order_id="O-1", kind="second")[0]["id"]
    response = scheduler.post(f"/api/v1/callbacks/{second}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "dissatisfied",
        "dissatisfied_reason": "价格高", "duration_s": 600})
    assert response.get_json()["over_time_limit"] is False


def test_rule_1_2_an_outcome_outside_the_call_windows_is_accepted_and_flagged(scheduler):
    callback_id = vip_first_callback(scheduler)
    scheduler.now = datetime(2026, 11, 2, 12, 30, tzinfo=timezone.utc)  # Monday 20:30 in Shanghai
    response = scheduler.post(f"/api/v1/callbacks/{callback_id}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied", "duration_s": 60})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["outside_call_window"] is True and response.get_json()["status"] == "done"
    (completed,) = scheduler.outbox("callback.completed")
    assert completed["data"]["outside_call_window"] is True
    # in a window: not flagged
    scheduler.now = datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc)  # Tuesday 10:00
    second = scheduler.callbacks(order_id="O-1", kind="second")[0]["id"]
    response = scheduler.post(f"/api/v1/callbacks/{second}/outcome", json={"reached": False})
    assert response.get_json()["outside_call_window"] is False


def test_rule_2_special_remark_is_kept_and_a_manager_lifts_the_flag_with_a_reason(scheduler):
    # given a customer flagged after a resolved complaint, with the remark the advisor entered
    scheduler.handle("customer.flagged", {"customer_id": "C-1", "complaint_id": "K-1", "reason": "complaint_resolved",
                                          "flagged_at": "2026-11-03T10:00:00+08:00", "remark": "服务态度投诉,重点关注",
                                          "flagged_by": "zhang"})
    flag = scheduler.get("/api/v1/customers/C-1/flag").get_json()
    assert flag["flagged"] is True and flag["remark"] == "服务态度投诉,重点关注" and flag["flagged_by"] == "zhang"
    assert datetime.fromisoformat(flag["flagged_at"]) == datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc)
    # an agent may not lift it; a manager may, with a reason
    scheduler.now = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    assert scheduler.post("/api/v1/customers/C-1/flag/lift", json={"reason": "x"}).status_code == 403
    assert scheduler.post("/api/v1/customers/C-1/flag/lift", role="manager", json={}).status_code == 422
    response = scheduler.post("/api/v1/customers/C-1/flag/lift", role="manager", login="wang",
                              json={"reason": "问题已彻底解决,客户满意"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["flagged"] is False
    # the history shows both
    assert [(h["action"], h["actor"], h["remark"]) for h in body["history"]] == [
        ("set", "zhang", "服务态度投诉,重点关注"), ("lifted", "wang", "问题已彻底解决,客户满意")]
    (lifted,) = scheduler.outbox("customer.unflagged")
    assert lifted["data"]["customer_id"] == "C-1" and lifted["data"]["reason"] == "问题已彻底解决,客户满意"
    # lifted: the customer's next ordinary orders are sampled again, and a second lift is refused
    assert scheduler.post("/api/v1/customers/C-1/flag/lift", role="manager", json={"reason": "x"}).status_code == 409


def test_rule_1_2_seed_004_preset_calls_every_repair_customer(scheduler):
    # given the seed 004 preset (維修客戶回訪率 100%) put in force by the organisation
    target = scheduler.settings.data_dir.joinpath(*ORG_DIR, "policies", "default.yaml")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(packaged_path("scheduler", "policies/seed004.yaml"), target)
    # when ten ordinary customers have a repair completed
    for i in range(10):
        scheduler.handle("service_order.completed", order(f"O-{i}", customer=f"C-{i}", kind="repair"))
    # then every one of them is called back (the default samples 30%)
    assert {c["order_id"] for c in scheduler.callbacks(kind="first")} == {f"O-{i}" for i in range(10)}
    # and the preset is offered beside the default
    preview = scheduler.get("/api/v1/policies/preview", query_string={
        "policy": "seed004", "business_line": "vehicle", "kind": "repair", "completed_on": "2026-10-30"})
    assert preview.status_code == 200, preview.get_json()


def test_rule_1_6_a_replanned_verification_deadline_moves_the_open_verification_callback(scheduler, monkeypatch):
    # given a verification callback planned from a provisional verify_due_at (after the computed holidays)
    scheduler.handle("complaint.resolved", {"complaint_id": "K-7", "customer": {"id": "C-7", "name": "客户C-7"},
                                            "verify_due_at": "2027-02-11T09:30:00+08:00"})
    (task,) = scheduler.callbacks(complaint_id="K-7")
    assert task["due_on"] == "2027-02-11" and task["provisional"] is True
    # when 2027 is published and the complaints service re-plans the deadline on it
    publish_2027(monkeypatch, spring_festival=(date(2027, 2, 6), date(2027, 2, 12)))
    scheduler.handle("complaint.deadlines_moved", {"complaint_id": "K-7", "moved": ["verify"],
                                                   "verify_due_at": "2027-02-05T09:30:00+08:00"})
    # then the open verification callback moves with it
    (task,) = scheduler.callbacks(complaint_id="K-7")
    assert task["due_on"] == "2027-02-05" and task["provisional"] is False
