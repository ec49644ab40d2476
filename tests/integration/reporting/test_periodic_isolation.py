"""One organisation's bad data file, or a failing render, never stops the
periodic jobs of the organisations after it; each runs in its own transaction, logged by name."""
from __future__ import annotations

import logging
from pathlib import Path

import yaml

from services.reporting import jobs
from services.reporting.models import Customer
from shared.mesh.periodic import for_each_organization

from testkit import worked_examples
from testkit.reporting import ORG, customer


def _write(settings, org: str, name: str, content) -> None:
    path = Path(settings.data_dir) / org / "reporting" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8")


def test_a_bad_schedule_file_or_a_failing_render_does_not_stop_the_other_organisations(reporting, caplog):
    # given three organisations due on the 3rd: one with a schedule file that cannot be read, one whose
    # report cannot be made (its report rules are invalid), both sorted before the good one
    worked_examples.october(reporting)
    for broken in ("aaa-bad-schedule", "abc-bad-render"):
        reporting.feed("customer.updated", {"customer": customer("X1")}, org=broken)
    _write(reporting.settings, "aaa-bad-schedule", "schedule.yaml", {"day": 40})
    _write(reporting.settings, "abc-bad-render", "report.yaml", "targets: [not, a, mapping]\n")
    # when the schedule runs on the 3rd
    reporting.at(2026, 11, 3, 8, 0)
    with caplog.at_level(logging.ERROR):
        made = jobs.run_schedule(reporting.service)
    # then the good organisation's report is made, and each failure is logged with its organisation
    assert [(org, month) for org, month, _ in made] == [(ORG, "2026-10")]
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("aaa-bad-schedule" in m for m in failures), failures
    assert any("abc-bad-render" in m for m in failures), failures


def test_each_organisation_runs_in_its_own_transaction(reporting, caplog):
    def flag_all(*, uow, organization):
        Customer.insert(organization=organization, customer_id="K-9", flagged=True).execute()
        if organization == "b-org":
            raise RuntimeError("broken data")
        return organization

    with caplog.at_level(logging.ERROR):
        done = for_each_organization(reporting.service, flag_all, ["a-org", "b-org", "c-org"])
    assert done == {"a-org": "a-org", "c-org": "c-org"}
    with reporting.service.connection():
        stored = sorted(c.organization for c in Customer.select().where(Customer.customer_id == "K-9"))
    assert stored == ["a-org", "c-org"]  # b-org's write was rolled back, the others kept theirs
    assert any("flag_all of b-org failed" in r.getMessage() for r in caplog.records)
