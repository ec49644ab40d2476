"""The read model rebuilt from the event log, and the monthly schedule firing once."""
from __future__ import annotations

from pathlib import Path

import yaml

from services.reporting import jobs
from services.reporting.models import Callback, EventLog, Report, ScheduledReport
from services.reporting.jobs import rebuild
from testkit.concurrency import run_at_once
from testkit import worked_examples
from testkit.reporting import ORG


def _snapshot(reporting, month):
    data = reporting.report(month).as_dict()
    data.pop("generated_at")
    return data


def test_rebuild_from_the_event_log_gives_the_same_figures(reporting):
    # given the formula fixture and the worked example handled as they came
    worked_examples.october(reporting)
    worked_examples.rules_3_worked_example(reporting, org="other-org")
    before = {m: _snapshot(reporting, m) for m in ("2026-09", "2026-10")}
    other_before = reporting.figures("2026-09", org="other-org")
    # when the read model is lost and rebuilt
    with reporting.service.connection():
        Callback.delete().execute()
        logged = EventLog.select().count()
    assert reporting.figures("2026-10")["callback_completion_rate"] == (0, 0)
    assert rebuild(reporting.service) == logged
    # then every figure, listing and complaint count is as before
    assert {m: _snapshot(reporting, m) for m in ("2026-09", "2026-10")} == before
    assert reporting.figures("2026-09", org="other-org") == other_before
    # and a second rebuild changes nothing
    rebuild(reporting.service)
    assert _snapshot(reporting, "2026-10") == before["2026-10"]


def _write_org_file(settings, org, name, content):
    path = Path(settings.data_dir) / org / "reporting" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


def test_rule_3_schedule_default_is_the_3rd_for_the_previous_month(reporting):
    worked_examples.october(reporting)
    _write_org_file(reporting.settings, ORG, "recipients.yaml", {"managers": ["boss@acme.example"]})
    # before 08:00 on the 3rd nothing is due; on the 2nd neither
    reporting.at(2026, 11, 2, 12, 0)
    assert jobs.run_schedule(reporting.service) == []
    reporting.at(2026, 11, 3, 8, 0)
    made = jobs.run_schedule(reporting.service)
    assert [(org, month) for org, month, _ in made] == [(ORG, "2026-10")]
    with reporting.service.connection():
        row = Report.get(Report.organization == ORG, Report.month == "2026-10")
        assert row.send_status == "queued" and row.send_to == ["boss@acme.example"]
    # later that month it does not fire again
    reporting.at(2026, 11, 20, 9, 0)
    assert jobs.run_schedule(reporting.service) == []


def test_rule_3_schedule_variant_on_the_25th_for_the_month_itself(reporting):
    worked_examples.october(reporting)
    _write_org_file(reporting.settings, ORG, "schedule.yaml", {"day": 25, "month": "current", "at": "09:00"})
    reporting.at(2026, 10, 25, 8, 59)
    assert jobs.run_schedule(reporting.service) == []
    reporting.at(2026, 10, 25, 9, 0)
    assert [(o, m) for o, m, _ in jobs.run_schedule(reporting.service)] == [(ORG, "2026-10")]


def test_rule_3_schedule_fires_once_under_two_workers_at_the_same_moment(reporting):
    # given two workers whose schedule job runs at the same moment on the same database
    worked_examples.october(reporting)
    reporting.at(2026, 11, 3, 9, 0)
    runs = run_at_once(2, lambda: jobs.run_schedule(reporting.service), service=reporting.service)
    results = [run for fired in runs for run in fired]
    # then the report is made once, claimed once and one report.generated goes out
    assert [(o, m) for o, m, _ in results] == [(ORG, "2026-10")]
    with reporting.service.connection():
        assert ScheduledReport.select().count() == 1
        assert Report.select().count() == 1
        assert reporting.service.Outbox.select().where(reporting.service.Outbox.type == "report.generated").count() == 1


def test_another_organisations_event_with_the_same_id_never_hides_one_from_a_rebuild(reporting):
    """The event log is unique per organisation, source and id."""
    first = {"customer": {"id": "C-1", "name": "华东电力", "segment": "vip"}}
    reporting.feed("customer.updated", first, org="other-org", id_="erp-000124")  # B posts A's next id first
    reporting.feed("customer.updated", first, id_="erp-000124")
    with reporting.service.connection():
        assert sorted(EventLog.select(EventLog.organization).where(EventLog.event_id == "erp-000124")
                      .tuples()) == [(ORG,), ("other-org",)]
