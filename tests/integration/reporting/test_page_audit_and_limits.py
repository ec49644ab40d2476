"""The report room's commands keep the audit log and the rate limits the API keeps: they live in
the commands the API and the pages share (handlers.mail_report, request_generation,
request_figures), not in the API's routes."""
from __future__ import annotations

import re

from services.reporting.app import create_app
from shared.users.store import save_person
from testkit.reporting import ORG


def _signed_in(reporting):
    """Given chen, a manager with an e-mail (the report's recipient), signed in on the pages."""
    reporting.service.run(save_person, organization=ORG, login="chen", role="manager", email="chen@acme.example",
                          password="pw-chen")
    client = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings}).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"login": "chen", "password": "pw-chen", "csrf_token": token})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    return client, token


def _audit(reporting, action: str) -> list:
    Entry = reporting.service.audit
    with reporting.service.connection():
        return [(e.login, e.subject) for e in Entry.select().where(Entry.action == action)]


def test_rules_1_4_the_report_rooms_mail_is_audited_and_limited_as_the_apis(reporting):
    client, token = _signed_in(reporting)
    limit = reporting.settings.rate_report_sends_per_hour
    # when chen sends October's report from the report room up to the limit
    answers = [client.post("/reports/2026-10/send", data={"csrf_token": token}).status_code for _ in range(limit)]
    # then each send is in the audit log, and one more within the hour is refused
    assert answers == [303] * limit
    assert _audit(reporting, "report.sent") == [("chen", "2026-10")] * limit
    assert client.post("/reports/2026-10/send", data={"csrf_token": token}).status_code == 429
    assert len(_audit(reporting, "report.sent")) == limit


def test_the_report_rooms_making_counts_against_the_heavy_limit_as_the_apis(reporting):
    client, token = _signed_in(reporting)
    limit = reporting.settings.rate_heavy_per_minute
    # when chen asks for October's report to be made again and again within a minute
    answers = [client.post("/reports/2026-10/make", data={"csrf_token": token}).status_code for _ in range(limit)]
    # then the limit's worth pass and the next is refused
    assert answers == [303] * limit
    assert client.post("/reports/2026-10/make", data={"csrf_token": token}).status_code == 429
