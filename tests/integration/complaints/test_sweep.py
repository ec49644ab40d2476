"""The periodic sweep: automatic escalation under frozen time, flags, reminders, mail, two workers."""
from __future__ import annotations

import email
import threading
from email import policy as email_policy

from services.complaints import jobs, models, notify
from services.complaints.service import SERVICE
from testkit.complaints import at


def sweep(**kw):
    return jobs.sweep_due_complaints(SERVICE, **kw)


def test_rule_2_missed_first_reply_escalates_one_level_and_restarts_the_investigation_clock(api, clock):
    # given the worked example complaint (first reply due Monday 09:30), nobody replied
    api.raise_()
    clock.set(at(2026, 11, 23, 9, 29))
    assert sweep().escalated == 0
    # when the sweep runs just after the deadline
    clock.set(at(2026, 11, 23, 9, 31))
    result = sweep()
    # then the complaint is one level up, with a 2-service-hour investigation from now
    assert result.escalated == 1
    body = api.get("K-1").get_json()
    assert body["level"] == 1 and body["level_role"] == "advisor"
    assert body["investigate_due_at"] == "2026-11-23T11:31:00+08:00"
    last = body["history"][-1]
    assert (last["actor"], last["from_level"], last["to_level"]) == ("system", 0, 1)
    assert "first reply" in last["reason"]
    (event,) = api.events("complaint.escalated")
    assert event["data"]["automatic"] is True
    # and sweeping again at the same moment does nothing more
    assert sweep().escalated == 0
    # the investigation missed too: one more level, never skipping
    clock.set(at(2026, 11, 23, 11, 32))
    assert sweep().escalated == 1
    assert api.get("K-1").get_json()["level"] == 2
    # at the top level a missed deadline notifies the managers instead
    clock.set(at(2026, 11, 23, 17, 1))
    assert sweep().escalated == 0
    assert api.get("K-1").get_json()["level"] == 2
    assert [h.action for h in api.history("K-1")][-1] == "managers_notified"


def test_sweep_selects_due_complaints_by_next_sweep_at(api, clock):
    api.raise_()
    with SERVICE.connection():
        row = models.Complaint.get()
    # the first moment to look: the reminder one hour before the first reply (09:30)
    assert row.next_sweep_at == at(2026, 11, 23, 8, 30)
    clock.set(at(2026, 11, 23, 8, 0))
    assert sweep().examined == 0


def test_rule_2_customer_flagged_the_day_after_resolution(api, clock):
    api.raise_()
    clock.set(at(2026, 11, 23, 10, 0))
    api.post("K-1", "resolve", {"root_cause": "x", "corrective_action": "y"}, role="agent")
    clock.set(at(2026, 11, 24, 9, 59))
    sweep()
    assert api.events("customer.flagged") == []
    clock.set(at(2026, 11, 24, 10, 0))
    sweep()
    sweep()
    (flagged,) = api.events("customer.flagged")
    assert flagged["data"]["customer_id"] == "C-1"
    assert api.get("K-1").get_json()["customer_flagged_at"] == "2026-11-24T10:00:00+08:00"


def mails(settings) -> list:
    folder = settings.var_dir / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email_policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def test_mail_to_the_assignee_when_a_complaint_reaches_their_level_and_an_hour_before_a_deadline(api, clock, settings):
    # given a complaint raised: the agents are told, after commit, by the worker's job
    api.raise_()
    assert mails(settings) == []  # nothing is sent inside the transaction
    assert notify.send_notifications(SERVICE) == 1
    (assigned,) = mails(settings)
    assert assigned["To"] == "wang@acme.example" and "K-1" in assigned["Subject"]
    # when the first-reply deadline (09:30) is an hour away, the agent gets a reminder, once
    clock.set(at(2026, 11, 23, 8, 40))
    assert sweep().reminders == 1
    assert sweep().reminders == 0
    notify.send_notifications(SERVICE)
    reminder = mails(settings)[-1]
    assert reminder["To"] == "wang@acme.example" and "09:30" in reminder["Subject"]
    # when it escalates, the advisor is told
    clock.set(at(2026, 11, 23, 9, 31))
    sweep()
    notify.send_notifications(SERVICE)
    assert mails(settings)[-1]["To"] == "li@acme.example"
    assert notify.send_notifications(SERVICE) == 0
    assert len(mails(settings)) == 3


def test_a_stale_write_loses_the_compare_and_set(api, clock):
    api.raise_()
    clock.set(at(2026, 11, 23, 9, 31))
    with SERVICE.connection():
        stale = models.Complaint.get()
        sweep()  # another worker escalates first
        result = SERVICE.run(jobs.sweep_rows, rows=[stale], now=clock())
    assert (result.examined, result.escalated, result.skipped) == (1, 0, 1)
    assert len(api.history("K-1", "escalated")) == 1


def test_two_sweeps_at_once_escalate_each_complaint_once(api, clock):
    # given 40 complaints past their first-reply deadline
    for i in range(40):
        assert api.raise_(complaint_id=f"K-{i}").status_code == 201
    clock.set(at(2026, 11, 23, 9, 31))
    # when two workers sweep at the same moment
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with SERVICE.connection():
                start.wait()
                results.append(sweep(batch=7))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # then each complaint went up exactly one level, with one history entry and one event
    assert errors == []
    assert sum(r.escalated for r in results) == 40
    with SERVICE.connection():
        assert models.Complaint.select().where(models.Complaint.level == 1).count() == 40
        assert models.ComplaintHistory.select().where(models.ComplaintHistory.action == "escalated").count() == 40
    assert len(api.events("complaint.escalated")) == 40
