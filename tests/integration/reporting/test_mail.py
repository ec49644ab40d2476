"""RULES 3: the report is mailed to the organisation's managers, by a real worker process,
to a real SMTP server on loopback; the schedule fires once under two workers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ops.infra import free_port
from shared.core.settings import ROOT
from testkit import worked_examples
from testkit.polling import eventually
from testkit.reporting import ORG, Reporting, pdf_text
from testkit.servers import SmtpServer
from testkit.tokens import bearer, user_token

FILENAME = "顾客满意度测量报告-2026-10.pdf"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server.inbox, server.url
    server.stop()


def write_org_file(settings, name, content, org=ORG):
    path = Path(settings.data_dir) / org / "reporting" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


def feed_october(mesh) -> None:
    """Feeds the formula fixture in-process, at its clock, then gives the service the real clock back."""
    service = mesh.services["reporting"]
    clock = service.clock
    try:
        worked_examples.october(Reporting(service, mesh.settings).at(2026, 11, 3, 8, 0))
    finally:
        service.clock = clock


def report_row(mesh, org=ORG, month="2026-10"):
    from services.reporting.models import Report

    with mesh.services["reporting"].connection():
        return Report.get_or_none(Report.organization == org, Report.month == month)


def test_rule_3_send_mails_the_pdf_to_the_managers_with_its_chinese_name(mesh_factory, smtp):
    inbox, smtp_url = smtp
    mesh = mesh_factory(start=False, extra_env={"HUIFANG_SMTP_URL": smtp_url})
    write_org_file(mesh.settings, "recipients.yaml", {"managers": ["boss@acme.example", "zhang@acme.example"],
                                                      "others": ["auditor@acme.example"]})
    write_org_file(mesh.settings, "schedule.yaml", {"enabled": False, "day": 3})
    feed_october(mesh)
    mesh.start_worker("reporting")
    client = mesh.client("reporting")
    # when a manager asks for October's report to be sent (no report made yet: the worker makes it)
    response = client.post("/api/v1/reports/2026-10/send", json={}, headers=bearer(user_token("manager")))
    assert response.status_code == 202, response.get_json()
    # then the managers get one mail with the PDF attached under its Chinese name
    eventually(lambda: inbox.count() == 1, timeout=60, message="the report mail")
    recipients, message = inbox.messages[0]
    assert sorted(recipients) == ["boss@acme.example", "zhang@acme.example"]
    assert "顾客满意度测量报告" in message["Subject"]
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == FILENAME
    assert b"filename*=utf-8''%E9%A1%BE%E5%AE%A2" in inbox.raw[0]  # RFC 2231, one parameter
    text = pdf_text(attachment.get_content())
    assert "顾客满意度测量报告" in text and "5/8" in text
    # and the delivery is recorded and announced
    eventually(lambda: report_row(mesh).send_status == "sent", message="status sent")
    outbox = mesh.services["reporting"].Outbox
    with mesh.services["reporting"].connection():
        sent = [json.loads(r.envelope) for r in outbox.select().where(outbox.type == "report.sent")]
    assert len(sent) == 1 and sent[0]["data"]["month"] == "2026-10"
    # when the month is made again, nothing is mailed; when asked to send to someone, it is
    assert client.post("/api/v1/reports", json={"month": "2026-10"},
                       headers=bearer(user_token("manager"))).status_code == 202
    assert client.post("/api/v1/reports/2026-10/send", json={"to": ["auditor@acme.example"]},
                       headers=bearer(user_token("manager"))).status_code == 202
    eventually(lambda: inbox.count() == 2, timeout=60, message="the second mail")
    assert inbox.messages[1][0] == ["auditor@acme.example"]
    delivery = lambda: client.get("/api/v1/reports/2026-10", headers=bearer(user_token("manager"))).get_json()[  # noqa: E731
        "delivery"]
    eventually(lambda: delivery()["status"] == "sent", message="second send recorded")
    assert delivery()["to"] == ["auditor@acme.example"]
    assert inbox.count() == 2


def test_post_report_is_made_by_the_worker_pending_then_ready(mesh_factory):
    # given October's events and a reporting worker
    mesh = mesh_factory(start=False)
    write_org_file(mesh.settings, "schedule.yaml", {"enabled": False, "day": 3})
    feed_october(mesh)
    mesh.start_worker("reporting")
    client = mesh.client("reporting")
    headers = bearer(user_token("manager"))
    # when a manager asks for October's report
    response = client.post("/api/v1/reports", json={"month": "2026-10"}, headers=headers)
    # then the answer comes at once, pending (the PDF is not made in the request)
    assert response.status_code == 202 and response.get_json()["status"] in ("pending", "ready")
    # and the worker makes it: GET shows it ready with the month's figures
    # (until it is stored each look computes the month: a heavy request, limited per minute)
    body = eventually(lambda: (lambda b: b if b.get("status") == "ready" else None)(
        client.get("/api/v1/reports/2026-10", headers=headers).get_json()), timeout=90, interval=1.0,
        message="report ready")
    assert body["stored"] is True
    assert body["figures"]["callback_completion_rate"] == {"numerator": 5, "denominator": 8, "value": 0.625}
    assert "5/8" in pdf_text(client.get("/api/v1/reports/2026-10.pdf", headers=headers).data)
    # polling a stored month is not a heavy request: never refused by the rate limit
    assert all(client.get("/api/v1/reports/2026-10", headers=headers).status_code == 200 for _ in range(30))


def test_send_is_retried_until_the_mail_server_answers(mesh_factory):
    port = free_port()
    mesh = mesh_factory(start=False, extra_env={"HUIFANG_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    write_org_file(mesh.settings, "schedule.yaml", {"enabled": False, "day": 3})
    feed_october(mesh)
    mesh.start_worker("reporting")
    client = mesh.client("reporting")
    # given no mail server listening yet
    write_org_file(mesh.settings, "recipients.yaml", {"managers": ["boss@acme.example"]})
    response = client.post("/api/v1/reports/2026-10/send", json={"to": ["boss@acme.example"]},
                           headers=bearer(user_token("manager")))
    assert response.status_code == 202
    eventually(lambda: (lambda row: row is not None and row.send_status == "failed")(report_row(mesh)), timeout=30,
               message="a failed attempt")
    assert "127.0.0.1" in report_row(mesh).send_error
    # when the server comes up, a retry delivers it
    server = SmtpServer(port=port).start()
    inbox = server.inbox
    try:
        eventually(lambda: inbox.count() == 1, timeout=60, message="the mail after a retry")
        eventually(lambda: report_row(mesh).send_status == "sent", message="status sent")
        assert report_row(mesh).send_attempts >= 2
    finally:
        server.stop()


def test_rule_3_schedule_fires_once_with_two_worker_processes(mesh_factory, smtp):
    # given two reporting worker processes and a schedule due now (the 1st, 00:00, this month)
    inbox, smtp_url = smtp
    mesh = mesh_factory(start=False, extra_env={"HUIFANG_SMTP_URL": smtp_url})
    write_org_file(mesh.settings, "recipients.yaml", {"managers": ["boss@acme.example"]})
    write_org_file(mesh.settings, "schedule.yaml", {"day": 1, "at": "00:00", "month": "current"})
    feed_october(mesh)
    mesh.start_worker("reporting")
    log = open(mesh.folder / "reporting-worker-2.log", "ab")
    second = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "services.reporting.actors", "--processes", "1", "--threads", "2",
         "--queues", "events", "reporting", "--worker-shutdown-timeout", "5000"],
        env=mesh.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # then one mail arrives, and one report is claimed, even after a few more ticks
        eventually(lambda: inbox.count() >= 1, timeout=90, message="the scheduled report mail")
        from services.reporting.models import ScheduledReport

        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # both workers keep ticking meanwhile
            time.sleep(0.2)
        assert inbox.count() == 1
        with mesh.services["reporting"].connection():
            assert ScheduledReport.select().count() == 1
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(30)
