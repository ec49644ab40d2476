"""Reporting's datetimes come back aware in UTC (`UTCDateTimeField`, like the other services'): a
database the version before left (naive UTC, and an agent's summary's time as it was written from
an aware moment) upgrades to the same instants, and the month's figures are what they were
(SQLite; PostgreSQL with HUIFANG_TEST_DB=postgres, its session zone not UTC)."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlparse

from services.reporting import models
from services.reporting.figures.desk import summaries
from services.reporting.figures.rows import ROW_FIGURES, figure_rows
from services.reporting.handlers.desk import submit_summary
from services.reporting.models import Complaint, EventLog
from services.reporting.rules import desk_policy, report_policy
from shared.core.fields import UTCDateTimeField
from testkit import worked_examples
from testkit.databases import TEST_DB, new_database_url, pg_admin_url
from testkit.migrations import forget_step
from testkit.reporting import ORG, SHANGHAI

#: Every datetime column of reporting's tables.
MOMENT_COLUMNS = [(model, f) for model in models.MODELS for f in model._meta.sorted_fields
                  if isinstance(f, UTCDateTimeField)]
AGENTS = ["li", "wang"]


def _database_in_shanghai_time(tmp_path) -> str:
    """Gives the URL of a new database; on PostgreSQL its sessions' TimeZone is Asia/Shanghai (a
    server set to local time), where an aware value written to a naive column lands in local time."""
    url = new_database_url("reporting_before", tmp_path)
    if TEST_DB == "postgres":
        import psycopg2

        conn = psycopg2.connect(pg_admin_url())
        conn.autocommit = True
        conn.cursor().execute(f'ALTER DATABASE "{urlparse(url).path.lstrip("/")}" SET timezone TO \'Asia/Shanghai\'')
        conn.close()
    return url


def _start(reporting, url: str) -> None:
    """Starts the service on `url` (bringing its schema up to date), as a new release does."""
    if not reporting.service.database.is_closed():
        reporting.service.database.close()
    reporting.service.bind(reporting.settings, url=url)


def _moments(service) -> dict:
    """Gives {(table, column, row id): value} of every datetime reporting keeps."""
    with service.connection():
        return {(model._meta.table_name, f.name, row_id): value for model, f in MOMENT_COLUMNS
                for row_id, value in model.select(model.id, f).tuples()}


def _what_readers_see(reporting) -> dict:
    """Gives October's report (its figures and listings), the rows behind each figure, and the
    agents' summaries of November, as read on 2026-12-10."""
    reporting.at(2026, 12, 10, 9, 0)
    service, tz = reporting.service, reporting.settings.tz
    now = service.clock()
    report = reporting.report("2026-10").as_dict()
    report.pop("generated_at")
    policy = report_policy(reporting.settings, ORG)
    with service.connection():
        rows = {figure: figure_rows(ORG, "2026-10", figure, policy=policy, now=now) for figure in ROW_FIGURES}
        desk = summaries(organization=ORG, month="2026-11", agents=AGENTS, policy=desk_policy(reporting.settings, ORG),
                         now=now.astimezone(tz), tz=tz)
    return {"report": report, "rows": rows, "desk": desk}


def _as_the_version_before_wrote_them(service, moments: dict) -> None:
    """Stores every moment as the version before did, through the driver: naive UTC, and an
    agent's summary's time as the aware moment of the clock (Asia/Shanghai); step 1.13.0 not applied."""
    database = service.database
    with service.connection(), database.atomic():
        for (table, column, row_id), value in moments.items():
            if value is None:
                continue
            if (table, column) == ("agent_summary", "submitted_at"):
                before = value.astimezone(SHANGHAI)
            else:
                before = value.astimezone(timezone.utc).replace(tzinfo=None)
            database.execute_sql(f'UPDATE "{table}" SET "{column}" = {database.param} WHERE "id" = {database.param}',
                                 (before, row_id))
        forget_step(database, "reporting", "1.13.0")


def _stored_submissions(service) -> list:
    """Gives the agents' summaries' times as the database holds them (no field reads them), as
    PostgreSQL gives them or as SQLite's text."""
    with service.connection():
        stored = [row[0] for row in service.database.execute_sql('SELECT "submitted_at" FROM "agent_summary"')]
    return sorted(value if TEST_DB == "postgres" else str(value) for value in stored)


def test_moments_stored_naive_by_the_version_before_read_back_as_the_same_instants_aware(reporting, tmp_path):
    # given October's events and two agents' November summaries, kept by the version before
    url = _database_in_shanghai_time(tmp_path)
    _start(reporting, url)
    worked_examples.october(reporting)
    for agent, day in (("li", 2), ("wang", 5)):
        reporting.at(2026, 12, day, 17, 0)
        reporting.service.run(submit_summary, organization=ORG, month="2026-11", agent=agent, remark=None,
                              policy=desk_policy(reporting.settings, ORG))
    moments, seen = _moments(reporting.service), _what_readers_see(reporting)
    assert all(value is None or value.tzinfo == timezone.utc for value in moments.values())
    _as_the_version_before_wrote_them(reporting.service, moments)
    # (the summaries' times are not naive UTC there: SQLite's text has +08:00, PostgreSQL's
    # session zone took the offset away)
    wall_clock, naive_utc = ([datetime(2026, 12, day, hour, 0) for day in (2, 5)] for hour in (17, 9))
    assert _stored_submissions(reporting.service) == (
        wall_clock if TEST_DB == "postgres" else [f"{moment}+08:00" for moment in wall_clock])
    # when this version starts on it
    _start(reporting, url)
    # then every moment is the same instant, in UTC, stored as naive UTC like one written now
    after = _moments(reporting.service)
    assert after == moments
    assert all(value is None or value.tzinfo == timezone.utc for value in after.values())
    assert _stored_submissions(reporting.service) == (
        naive_utc if TEST_DB == "postgres" else [str(moment) for moment in naive_utc])
    # and October's figures, their rows, and the summaries' times and states are as before
    assert _what_readers_see(reporting) == seen
    # and a row written now comes back aware
    reporting.at(2026, 12, 11, 10, 0)
    reporting.feed("complaint.raised", {"complaint_id": "P9", "customer": worked_examples.K2, "description": "新的",
                                        "category": "other", "raised_at": "2026-12-11T09:30:00+08:00"})
    with reporting.service.connection():
        raised = Complaint.get(Complaint.complaint_id == "P9").raised_at
        received = EventLog.select(EventLog.received_at).order_by(EventLog.id.desc()).scalar()
    assert (raised, raised.tzinfo) == (datetime(2026, 12, 11, 1, 30, tzinfo=timezone.utc), timezone.utc)
    assert (received, received.tzinfo) == (datetime(2026, 12, 11, 2, 0, tzinfo=timezone.utc), timezone.utc)
