"""Mailing the report safely: only to allowed recipients, once per send request, and asked for
through the service's outbox (`uow.send`: the job is written with the request, sent to the
broker after commit)."""
from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml

from services.reporting import handlers, jobs, notify
from services.reporting.errors import SendFailed
from services.reporting.models import GENERATE_ACTOR, SEND_ACTOR, Report, ReportRun
from shared.mesh.relay import relay_messages_once
from testkit.doubles import recording_broker
from testkit.concurrency import run_at_once
from testkit.tokens import API_TOKEN, bearer, user_token
from testkit import worked_examples
from testkit.reporting import ORG
from testkit.migrations import forget_step

SEND = "/api/v1/reports/2026-10/send"


def write_recipients(settings, content, org=ORG):
    path = Path(settings.data_dir) / org / "reporting" / "recipients.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content), encoding="utf-8")


@pytest.fixture
def app_client(reporting):
    """The web app with an unreachable broker: jobs stay in the outbox for the test to carry out."""
    from services.reporting.app import create_app

    worked_examples.october(reporting)
    write_recipients(reporting.settings, {"managers": ["boss@acme.example"], "others": ["auditor@audit.example"],
                                          "allowed_domains": ["acme.example"]})
    app = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings})
    return app.test_client()


def role(name, org=ORG):
    return bearer(user_token(name, org))


KINDS = {SEND_ACTOR: "send", GENERATE_ACTOR: "generate"}


def queued_jobs(reporting, *, unsent_only=True):
    """Gives (kind, organisation, month, request) of the jobs in the outbox (unsent ones only)."""
    Message = reporting.service.OutboxMessage
    with reporting.service.connection():
        query = Message.select().order_by(Message.id)
        if unsent_only:
            query = query.where(Message.sent_at.is_null())
        return [(KINDS[m.actor_name], *json.loads(m.args)) for m in query]


def relay(reporting, broker) -> int:
    with reporting.service.connection():
        return relay_messages_once(reporting.service.OutboxMessage, broker)


def carry_out_jobs(reporting) -> list[str]:
    """Does what the worker does with the relayed jobs; gives the actors' answers."""
    broker = recording_broker()
    relay(reporting, broker)
    results = []
    for actor, args, delay in broker.sent:
        assert delay is None
        if actor == GENERATE_ACTOR:
            results.append(jobs.run_generation(reporting.service, *args))
            results += carry_out_jobs(reporting)  # the actor relays the send it queued
        else:
            results.append(notify.send_report(reporting.service, *args))
    return results


def mails(reporting) -> list[EmailMessage]:
    """Gives the mails the service's mailer (a FakeMailer) sent, in order."""
    return list(reporting.mailer.sent)


def make_report(reporting):
    jobs.generate_report(reporting.service, ORG, "2026-10", "zh-CN")


def report_row(reporting):
    with reporting.service.connection():
        return Report.get(Report.organization == ORG, Report.month == "2026-10")


# ------------------------------------------------------------ who it may go to


@pytest.mark.parametrize("token", [user_token("supervisor"), API_TOKEN])
def test_only_managers_and_admins_may_choose_the_recipients(app_client, reporting, token):
    query = f"?organization={ORG}" if token == API_TOKEN else ""
    response = app_client.post(SEND + query, json={"to": ["boss@acme.example"]}, headers=bearer(token))
    assert response.status_code == 403
    assert queued_jobs(reporting) == []
    # without `to` they may still have it mailed to the managers
    response = app_client.post(SEND + query, json={}, headers=bearer(token))
    assert response.status_code == 202
    with reporting.service.connection():
        assert ReportRun.get().send_to == ["boss@acme.example"]


def test_report_is_not_mailed_outside_the_recipients_file_422_naming_to(app_client, reporting):
    make_report(reporting)
    for outsider in (["thief@evil.example"], ["boss@acme.example", "x@acme.example.evil.example"]):
        response = app_client.post(SEND, json={"to": outsider}, headers=role("manager"))
        assert response.status_code == 422, outsider
        body = response.get_json()
        assert outsider[-1] in " ".join(body["errors"]["to"])
    assert report_row(reporting).send_status == "not_sent" and queued_jobs(reporting) == []


@pytest.mark.parametrize("to", [["auditor@audit.example"], ["Zhang@ACME.example", "boss@acme.example"]])
def test_manager_may_mail_to_listed_addresses_and_allowed_domains(app_client, reporting, to):
    make_report(reporting)
    assert app_client.post(SEND, json={"to": to}, headers=role("admin")).status_code == 202
    assert carry_out_jobs(reporting) == ["sent"]
    (recipients,) = reporting.mailer.to()
    assert sorted(recipients) == sorted(to)


# ------------------------------------------------------------ jobs after commit


def test_send_writes_its_job_with_the_request_and_survives_a_broker_outage(app_client, reporting):
    make_report(reporting)
    # when the send is asked for while the broker is down
    assert app_client.post(SEND, json={}, headers=role("manager")).status_code == 202
    row = report_row(reporting)
    # then the request and its job are committed together, the job waiting to be relayed
    assert row.send_status == "queued"
    assert queued_jobs(reporting) == [("send", ORG, "2026-10", row.send_request)]

    # when the broker is back, the relay hands it over once
    assert relay(reporting, recording_broker(down=True)) == 0 and len(queued_jobs(reporting)) == 1
    assert carry_out_jobs(reporting) == ["sent"]
    assert queued_jobs(reporting) == [] and carry_out_jobs(reporting) == []
    assert report_row(reporting).send_status == "sent" and len(mails(reporting)) == 1


def test_send_of_a_month_not_made_yet_is_made_by_the_worker_not_the_request(app_client, reporting):
    # when a send is asked for a month that has no report yet
    response = app_client.post(SEND, json={"to": ["auditor@audit.example"]}, headers=role("manager"))
    assert response.status_code == 202 and response.get_json()["status"] == "queued"
    # then the request made nothing: a pending run carries the send, its job waits for the worker
    with reporting.service.connection():
        assert Report.select().count() == 0
        run = ReportRun.get()
    assert (run.status, run.send_to) == ("pending", ["auditor@audit.example"])
    assert queued_jobs(reporting) == [("generate", ORG, "2026-10", run.request)]
    # when the worker makes it, it queues the send, which mails it once
    assert carry_out_jobs(reporting) == ["ready", "sent"]
    row = report_row(reporting)
    assert (row.send_status, row.send_to, row.sent_request) == ("sent", ["auditor@audit.example"], run.send_request)
    assert len(mails(reporting)) == 1


def test_a_report_post_keeps_the_send_waiting_in_the_pending_run(app_client, reporting):
    app_client.post(SEND, json={}, headers=role("manager"))
    app_client.post("/api/v1/reports", json={"month": "2026-10", "language": "en"}, headers=role("manager"))
    assert carry_out_jobs(reporting).count("sent") == 1
    assert report_row(reporting).language == "en" and len(mails(reporting)) == 1


# ------------------------------------------------------------ once per request


def queued_send(reporting, to=("boss@acme.example",)) -> str:
    make_report(reporting)
    return reporting.service.run(handlers.request_send, row=report_row(reporting), to=list(to))


def claim(reporting, request):
    """Claims the send as a worker does before it speaks to the mail server (committed)."""
    return reporting.service.run(notify.claim_send, organization=ORG, month="2026-10", request=request)


def stale_sends(reporting, *, older_than_seconds):
    return reporting.service.run(jobs.stale_sends, older_than_seconds=older_than_seconds)


def requeue_stale(reporting):
    return reporting.service.run(jobs.requeue_stale, send_after_seconds=900, generate_after_seconds=600)


def test_a_send_held_by_another_worker_is_not_sent_again(reporting):
    worked_examples.october(reporting)
    request = queued_send(reporting)
    # given another worker has claimed the send and is talking to the mail server
    assert claim(reporting, request)
    # then a second message for it (a retry, the sweep) sends nothing
    assert notify.send_report(reporting.service, ORG, "2026-10", request) == "skipped"
    assert mails(reporting) == []
    # and the sweep leaves it alone while the lease runs, even past the "queued" limit
    reporting.at(2026, 11, 3, 8, 14)
    assert stale_sends(reporting, older_than_seconds=60) == []


def test_the_sweep_requeues_a_send_whose_worker_died_and_it_goes_once(reporting):
    worked_examples.october(reporting)
    request = queued_send(reporting)
    assert claim(reporting, request)
    # when the claim's lease has expired (its worker died mid-send)
    reporting.service.clock.advance(seconds=notify.SEND_LEASE.duration.total_seconds() + 1)
    # then the sweep queues it again, and one of two messages for it sends it
    assert stale_sends(reporting, older_than_seconds=900) == [(ORG, "2026-10", request)]
    assert notify.send_report(reporting.service, ORG, "2026-10", request) == "sent"
    assert notify.send_report(reporting.service, ORG, "2026-10", request) == "skipped"
    assert stale_sends(reporting, older_than_seconds=900) == []
    assert len(mails(reporting)) == 1


def test_the_sweep_requeues_only_long_queued_sends(reporting):
    worked_examples.october(reporting)
    request = queued_send(reporting)
    reporting.at(2026, 11, 3, 8, 10)
    assert stale_sends(reporting, older_than_seconds=900) == []
    reporting.at(2026, 11, 3, 8, 16)
    assert stale_sends(reporting, older_than_seconds=900) == [(ORG, "2026-10", request)]


def test_two_workers_sending_the_same_request_at_once_mail_it_once(reporting):
    worked_examples.october(reporting)
    request = queued_send(reporting)
    results = run_at_once(2, lambda: notify.send_report(reporting.service, ORG, "2026-10", request),
                          timeout=60, service=reporting.service)
    assert sorted(results) == ["sent", "skipped"]
    assert len(mails(reporting)) == 1
    with reporting.service.connection():
        outbox = reporting.service.Outbox
        assert outbox.select().where(outbox.type == "report.sent").count() == 1


def test_message_id_is_derived_from_the_send_request(reporting):
    worked_examples.october(reporting)
    request = queued_send(reporting)
    # given a first attempt that failed after the claim (the actor retries from `failed`)
    reporting.mailer.fail_with = "server hung up"
    with pytest.raises(SendFailed, match="server hung up"):
        notify.send_report(reporting.service, ORG, "2026-10", request)
    assert report_row(reporting).send_status == "failed"
    reporting.mailer.fail_with = None
    assert notify.send_report(reporting.service, ORG, "2026-10", request) == "sent"
    (message,) = mails(reporting)
    expected = notify.report_message_id(request, reporting.settings.mail_from)
    assert message["Message-ID"] == expected and request in expected
    # a newer request gets its own Message-ID
    newer = queued_send(reporting)
    assert notify.send_report(reporting.service, ORG, "2026-10", newer) == "sent"
    assert [m["Message-ID"] for m in mails(reporting)].count(expected) == 1
    assert report_row(reporting).send_attempts == 3  # the failure, then each success


def test_a_rolled_back_send_request_queues_no_job(reporting):
    worked_examples.october(reporting)
    make_report(reporting)
    def request_then_fail(*, uow):
        handlers.request_send(uow=uow, row=report_row(reporting), to=["boss@acme.example"])
        raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        reporting.service.run(request_then_fail)
    assert queued_jobs(reporting, unsent_only=False) == [] and carry_out_jobs(reporting) == []
    assert report_row(reporting).send_status == "not_sent"


def test_the_stale_sweep_queues_lost_jobs_again_through_the_outbox_once(reporting):
    worked_examples.october(reporting)
    request = queued_send(reporting)
    run = reporting.service.run(handlers.request_generation, organization=ORG, month="2026-09", language="zh-CN")
    # given both jobs were lost on the way (relayed, never carried out)
    assert relay(reporting, recording_broker()) == 2
    reporting.at(2026, 11, 3, 8, 16)
    # when the sweep runs twice while the broker is down
    expected = ([(ORG, "2026-10", request)], [(ORG, "2026-09", run.request)])
    assert requeue_stale(reporting) == expected
    assert requeue_stale(reporting) == ([], [])
    # then each job waits in the outbox once, and is carried out once the broker is back
    assert queued_jobs(reporting) == [("send", ORG, "2026-10", request), ("generate", ORG, "2026-09", run.request)]
    assert sorted(carry_out_jobs(reporting)) == ["ready", "sent"]
    assert requeue_stale(reporting) == ([], [])
    assert len(mails(reporting)) == 1


def test_migration_3_adds_the_claim_to_a_1_1_database(reporting):
    from shared.core.db import ensure_schema

    db = reporting.service.database
    with reporting.service.connection():
        columns = {c.name for c in db.get_columns("report")}
        run_columns = {c.name for c in db.get_columns("report_run")}
        assert "claimed_at" in columns and {"send_request", "send_to"} <= run_columns
        # given a database at 1.1.0's shape (no claim, migration 3 not applied)
        forget_step(db, "reporting", "1.2.0")
        from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

        from shared.core.db import is_postgres

        migrator = PostgresqlMigrator(db) if is_postgres(db) else SqliteMigrator(db)
        migrate(migrator.drop_column("report", "claimed_at"), migrator.drop_column("report_run", "send_request"),
                migrator.drop_column("report_run", "send_to"))
        # when the service starts on it
        assert ensure_schema(db, reporting.service.all_models,
                             migrations=reporting.service.all_migrations)["reporting"] == reporting.service.migrations.latest
        # then the columns are there
        assert "claimed_at" in {c.name for c in db.get_columns("report")}
        assert {"send_request", "send_to"} <= {c.name for c in db.get_columns("report_run")}


def test_migration_4_moves_the_pending_jobs_into_the_outbox_and_drops_their_table(reporting):
    from shared.core.db import ensure_schema

    db = reporting.service.database
    with reporting.service.connection():
        assert not db.table_exists("report_job")
        # given a database of 1.2.0: its own job table, one job sent, two not
        db.execute_sql('CREATE TABLE "report_job" ("id" INTEGER PRIMARY KEY, "organization" VARCHAR(64), '
                       '"month" VARCHAR(7), "kind" VARCHAR(16), "request" VARCHAR(64), "created_at" TIMESTAMP, '
                       '"sent_at" TIMESTAMP)')
        row = "(" + ", ".join([db.param] * 7) + ")"
        db.execute_sql(f'INSERT INTO "report_job" VALUES {row}, {row}, {row}', [
            1, ORG, "2026-09", "send", "r-old", "2026-11-01 00:00:00", "2026-11-01 00:00:01",
            2, ORG, "2026-10", "generate", "r-gen", "2026-11-03 00:00:00", None,
            3, ORG, "2026-10", "send", "r-send", "2026-11-03 00:00:00", None])
        forget_step(db, "reporting", "1.3.0")
        # when the 1.3.0 service starts on it
        assert ensure_schema(db, reporting.service.all_models,
                             migrations=reporting.service.all_migrations)["reporting"] == reporting.service.migrations.latest
        # then the table is gone and the jobs not sent yet wait in the outbox
        assert not db.table_exists("report_job")
    assert queued_jobs(reporting) == [("generate", ORG, "2026-10", "r-gen"), ("send", ORG, "2026-10", "r-send")]
