"""Missing ledger data. RULES 1.1: the trial-run, warranty and post-warranty callbacks
wait for the commissioning date; seed 000 part 5 「每周五负责将发货产品的资料及时传递至服务中心」: a weekly
list (page, API, mail to the ledger keepers) of deliveries still without their date."""
from __future__ import annotations

from datetime import datetime, timezone

from services.scheduler import notify
from services.scheduler.service import SERVICE
from shared.users.store import save_person
from testkit.doubles import FakeMailer


def shipped(delivery_id: str, on: str) -> dict:
    return {"delivery_id": delivery_id, "customer": {"id": f"C-{delivery_id}", "name": "华东电力"},
            "shipped_on": on, "project": f"变电站 {delivery_id}", "product_model": "KYN28"}


def test_seed_000_part_5_deliveries_waiting_for_a_date_are_listed_past_the_usual_time(scheduler):
    # given (today Monday 2026-11-02): D-1 shipped 80 days ago with neither date, D-2 installed but
    # not commissioned 70 days on, D-3 shipped 40 days ago, D-4 shipped 10 days ago, D-5 commissioned
    scheduler.handle("delivery.shipped", shipped("D-1", "2026-08-14"))
    scheduler.handle("delivery.shipped", shipped("D-2", "2026-08-24"))
    scheduler.handle("equipment.installed", {"delivery_id": "D-2", "installed_on": "2026-09-01"})
    scheduler.handle("delivery.shipped", shipped("D-3", "2026-09-23"))
    scheduler.handle("delivery.shipped", shipped("D-4", "2026-10-23"))
    scheduler.handle("delivery.shipped", shipped("D-5", "2026-08-01"))
    scheduler.handle("equipment.commissioned", {"delivery_id": "D-5", "commissioned_on": "2026-08-20"})
    # when the ledger keeper asks
    response = scheduler.get("/api/v1/ledger/gaps", role="supervisor", login="zhao")
    # then D-1 misses both dates, D-2 its commissioning, D-3 its installation; D-4 and D-5 nothing
    assert response.status_code == 200, response.get_json()
    assert [(r["delivery_id"], r["missing"], r["expected_by"]) for r in response.get_json()] == [
        ("D-1", "installed_on", "2026-09-13"), ("D-1", "commissioned_on", "2026-10-13"),
        ("D-2", "commissioned_on", "2026-10-23"), ("D-3", "installed_on", "2026-10-23")]
    assert scheduler.get("/api/v1/ledger/gaps", role="advisor").status_code == 403


def test_seed_000_part_5_the_list_is_mailed_to_the_ledger_keepers_once_a_week_on_friday(scheduler, monkeypatch):
    monkeypatch.setattr(SERVICE, "mailer", FakeMailer())
    SERVICE.run(save_person, organization="acme-electric", login="zhao", role="supervisor", email="zhao@acme.example")
    scheduler.handle("delivery.shipped", shipped("D-1", "2026-08-14"))
    # Thursday: not yet
    scheduler.now = datetime(2026, 11, 5, 2, 0, tzinfo=timezone.utc)
    assert notify.send_ledger_gap_mails(SERVICE) == []
    # Friday 10:00: once, and not twice
    scheduler.now = datetime(2026, 11, 6, 2, 0, tzinfo=timezone.utc)
    sent = notify.send_ledger_gap_mails(SERVICE)
    assert [(org, week) for org, week, _ in sent] == [("acme-electric", "2026-W45")]
    assert notify.send_ledger_gap_mails(SERVICE) == []
    (mail,) = SERVICE.mailer.sent
    assert SERVICE.mailer.to() == [["zhao@acme.example"]] and "2026-W45" in mail["Subject"]
    assert "D-1" in mail.get_content() and "缺安装日期" in mail.get_content()
    # a failed send is tried again on the next pass
    scheduler.now = datetime(2026, 11, 13, 2, 0, tzinfo=timezone.utc)
    SERVICE.mailer.fail_with = "SMTP 451"
    assert notify.send_ledger_gap_mails(SERVICE) == []
    SERVICE.mailer.fail_with = None
    assert [week for _, week, _ in notify.send_ledger_gap_mails(SERVICE)] == ["2026-W46"]


def test_seed_000_part_5_no_mail_when_no_date_is_missing(scheduler, monkeypatch):
    # given a ledger keeper, and a delivery shipped last week (its installation date not due yet)
    monkeypatch.setattr(SERVICE, "mailer", FakeMailer())
    SERVICE.run(save_person, organization="acme-electric", login="zhao", role="supervisor", email="zhao@acme.example")
    scheduler.handle("delivery.shipped", shipped("D-1", "2026-10-30"))
    # when Friday's mail time comes, nothing is mailed, and the week is done (not tried again)
    scheduler.now = datetime(2026, 11, 6, 2, 0, tzinfo=timezone.utc)
    assert notify.send_ledger_gap_mails(SERVICE) == []
    assert notify.send_ledger_gap_mails(SERVICE) == []
    assert SERVICE.mailer.sent == []


def test_the_organisations_with_deliveries_come_from_the_index_not_a_scan(scheduler):
    from shared.core.db import distinct_values, is_postgres

    for n, org in enumerate(("acme-electric", "beta-grid", "acme-electric", "zeta-power")):
        scheduler.handle("delivery.shipped", shipped(f"D-{n}", "2026-08-14"), org=org)
    Delivery = scheduler.model("Delivery")
    with SERVICE.connection():
        assert distinct_values(Delivery.organization) == ["acme-electric", "beta-grid", "zeta-power"]
        database = Delivery._meta.database
        if not is_postgres(database):
            # each step is an index search, never a full scan of the table
            sql = 'SELECT MIN("organization") FROM "delivery" WHERE "organization" > ?'
            plan = " ".join(str(r) for r in database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", ("a",)).fetchall())
            assert "USING COVERING INDEX" in plan and "SCAN delivery" not in plan, plan
