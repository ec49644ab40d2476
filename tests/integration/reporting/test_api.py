"""The reporting routes (CONTRACT.md "reporting"): JSON figures, the PDF, roles, organisations."""
from __future__ import annotations

import dataclasses
import json

import pytest

from testkit.tokens import API_TOKEN, bearer, user_token
from testkit import worked_examples
from testkit.reporting import ORG, customer, order_completed, pdf_text

KEY_FIGURES = ("callback_completion_rate", "product_satisfaction_rate", "service_satisfaction_rate", "touched_rate",
               "return_rate")


@pytest.fixture
def client(reporting):
    from services.reporting.app import create_app

    worked_examples.october(reporting)
    # in-process path: POST makes the report before answering (the worker's path: test_mail.py)
    app = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.settings, "REPORTING_GENERATE_INLINE": True})
    return app.test_client()


@pytest.fixture
def queued_client(reporting):
    """An app that queues the making of a report; its broker is unreachable, so the test
    carries the run out itself, as the worker would."""
    from services.reporting.app import create_app

    worked_examples.october(reporting)
    # a reader asking for figures the worker has not made waits no time here (202 at once)
    reporting.service.settings = dataclasses.replace(reporting.service.settings, report_wait_seconds=0)
    app = create_app({"TESTING": True, "HUIFANG_SETTINGS": reporting.service.settings})
    return app.test_client()


def manager(org=ORG):
    return bearer(user_token("manager", org))


def test_rule_3_post_report_is_202_and_emits_report_generated(client, reporting):
    response = client.post("/api/v1/reports", json={"month": "2026-10", "language": "zh-CN"}, headers=manager())
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert (body["organization"], body["month"], body["status"]) == (ORG, "2026-10", "ready")
    with reporting.service.connection():
        events = [json.loads(row.envelope) for row in reporting.service.Outbox.select()]
    generated = [e for e in events if e["type"] == "report.generated"]
    assert len(generated) == 1 and generated[0]["organization"] == ORG
    assert generated[0]["data"]["figures"]["callback_completion_rate"] == {"numerator": 5, "denominator": 8,
                                                                           "value": 0.625}


def test_post_report_answers_202_pending_and_the_worker_makes_it_ready(queued_client, reporting):
    from services.reporting import jobs
    from services.reporting.models import ReportRun

    # when a manager asks for October's report
    response = queued_client.post("/api/v1/reports", json={"month": "2026-10"}, headers=manager())
    # then it is accepted at once, pending, and nothing is stored yet
    assert response.status_code == 202 and response.get_json()["status"] == "pending"
    body = queued_client.get("/api/v1/reports/2026-10", headers=manager()).get_json()
    assert (body["status"], body["stored"]) == ("pending", False)
    # when the worker carries the run out (here in-process, as the actor does)
    with reporting.service.connection():
        run = ReportRun.get()
    assert jobs.run_generation(reporting.service, ORG, "2026-10", run.request) == "ready"
    # then the month's report is ready and stored, and a late duplicate message does nothing
    body = queued_client.get("/api/v1/reports/2026-10", headers=manager()).get_json()
    assert (body["status"], body["stored"]) == ("ready", True)
    assert body["figures"]["callback_completion_rate"] == {"numerator": 5, "denominator": 8, "value": 0.625}
    assert jobs.run_generation(reporting.service, ORG, "2026-10", run.request) == "skipped"


def test_a_newer_post_supersedes_the_pending_one(queued_client, reporting):
    from services.reporting import jobs
    from services.reporting.models import ReportRun

    queued_client.post("/api/v1/reports", json={"month": "2026-10"}, headers=manager())
    with reporting.service.connection():
        first = ReportRun.get().request
    queued_client.post("/api/v1/reports", json={"month": "2026-10", "language": "en"}, headers=manager())
    assert jobs.run_generation(reporting.service, ORG, "2026-10", first) == "skipped"
    with reporting.service.connection():
        second = ReportRun.get()
    assert second.request != first and second.status == "pending"
    assert jobs.run_generation(reporting.service, ORG, "2026-10", second.request) == "ready"
    assert queued_client.get("/api/v1/reports/2026-10", headers=manager()).get_json()["language"] == "en"


def test_rule_3_month_json_has_each_figure_with_counts_and_the_trend(client):
    client.post("/api/v1/reports", json={"month": "2026-10"}, headers=manager())
    response = client.get("/api/v1/reports/2026-10", headers=manager())
    assert response.status_code == 200
    body = response.get_json()
    assert body["stored"] is True and body["month"] == "2026-10" and body["status"] == "ready"
    assert body["listing_totals"] == {"suggestions": 1, "churn_reasons": 1, "overdue": 2, "unreachable": 1}
    for name in KEY_FIGURES:
        assert set(body["figures"][name]) == {"numerator", "denominator", "value"}
    assert body["figures"]["callback_completion_rate"] == {"numerator": 5, "denominator": 8, "value": 0.625}
    assert body["figures"]["product_satisfaction_rate"] == {"numerator": 3, "denominator": 5, "value": 0.6}
    assert body["figures"]["service_satisfaction_rate"] == {"numerator": 4, "denominator": 4, "value": 1.0}
    assert body["figures"]["touched_rate"] == {"numerator": 2, "denominator": 5, "value": 0.4}
    assert body["figures"]["return_rate"] == {"numerator": 3, "denominator": 5, "value": 0.6}
    assert sorted(body["trend"]) == ["2026-08", "2026-09"]
    for month in body["trend"].values():
        for name in KEY_FIGURES:
            assert set(month[name]) == {"numerator", "denominator", "value"}
    assert body["trend"]["2026-09"]["return_rate"] == {"numerator": 0, "denominator": 1, "value": 0.0}
    # phones leave the service masked (RULES 1.4)
    assert body["unreachable"][0]["phone"] == "137****3333"
    assert body["delivery"]["status"] == "not_sent"


def test_month_not_generated_yet_is_computed_on_the_fly(client):
    body = client.get("/api/v1/reports/2026-10", headers=manager()).get_json()
    assert body["stored"] is False
    assert body["figures"]["return_rate"]["numerator"] == 3


def test_rerunning_a_month_replaces_its_report(client, reporting):
    client.post("/api/v1/reports", json={"month": "2026-10"}, headers=manager())
    reporting.feed("service_order.completed", order_completed("O-new", customer("N"), "2026-10-28T10:00:00+08:00"))
    client.post("/api/v1/reports", json={"month": "2026-10"}, headers=manager())
    body = client.get("/api/v1/reports/2026-10", headers=manager()).get_json()
    assert body["figures"]["return_rate"] == {"numerator": 3, "denominator": 6, "value": 0.5}
    from services.reporting.models import Report

    with reporting.service.connection():
        assert Report.select().count() == 1


@pytest.mark.parametrize("role, status", [("manager", 200), ("admin", 200), ("supervisor", 200), ("agent", 403),
                                          ("advisor", 403)])
def test_reports_are_read_by_managers_admins_and_supervisors(client, role, status):
    assert client.get("/api/v1/reports/2026-10", headers=bearer(user_token(role))).status_code == status


def test_integration_token_reads_the_organisation_it_names(client):
    response = client.get(f"/api/v1/reports/2026-10?organization={ORG}", headers=bearer(API_TOKEN))
    assert response.status_code == 200
    assert response.get_json()["figures"]["return_rate"]["numerator"] == 3


def test_without_token_401_and_bad_month_422_naming_the_field(client):
    assert client.get("/api/v1/reports/2026-10").status_code == 401
    response = client.post("/api/v1/reports", json={"month": "2026-13"}, headers=manager())
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert "month" in response.get_json()["errors"]
    response = client.get("/api/v1/reports/october", headers=manager())
    assert response.status_code == 422 and "month" in response.get_json()["errors"]


def test_reports_belong_to_the_organisation_of_the_token(client, reporting):
    # given acme's report made, and another organisation with one customer served in October
    client.post("/api/v1/reports", json={"month": "2026-10"}, headers=manager())
    reporting.feed("service_order.completed", order_completed("X-1", customer("X"), "2026-10-05T10:00:00+08:00"),
                   org="other-org")
    # when the other organisation's manager reads October
    body = client.get("/api/v1/reports/2026-10", headers=manager("other-org")).get_json()
    # then it sees its own figures, not acme's report
    assert body["organization"] == "other-org" and body["stored"] is False
    assert body["figures"]["return_rate"] == {"numerator": 0, "denominator": 1, "value": 0.0}
    assert body["suggestions"] == [] and body["complaints"]["total"] == 0
    text = pdf_text(client.get("/api/v1/reports/2026-10.pdf", headers=manager("other-org")).data)
    assert "王先生" not in text and "other-org" in text


def test_rule_3_pdf_is_the_chinese_report_with_the_month_figures(client):
    client.post("/api/v1/reports", json={"month": "2026-10"}, headers=manager())
    response = client.get("/api/v1/reports/2026-10.pdf", headers=manager())
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''%E9%A1%BE%E5%AE%A2" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    for expected in ("顾客满意度测量报告", "2026-10", "回访完成率", "62.5%", "5/8", "60%", "3/5", "100%", "4/4",
                     "40%", "2/5", "希望延长保修", "价格偏高"):
        assert expected in text, expected


def test_pdf_english_edition_on_request(client):
    client.post("/api/v1/reports", json={"month": "2026-10"}, headers=manager())
    response = client.get("/api/v1/reports/2026-10.pdf?language=en", headers=manager())
    text = pdf_text(response.data)
    assert "Customer Satisfaction Measurement Report" in text and "5/8" in text


def test_a_suggestion_naming_a_local_file_shows_as_text_and_reads_no_file(client):
    # cb1's suggestion is '<img src="file:///etc/passwd"> 希望延长保修'
    response = client.get("/api/v1/reports/2026-10.pdf", headers=manager())
    text = pdf_text(response.data)
    assert "root:" not in text and "/bin/" not in text
    assert "file:///etc/passwd" in text.replace("\n", "")


# -- what the web serves, the worker made -----------------------------------------------------------


def _jobs(reporting, actor: str) -> list:
    with reporting.service.connection():
        Message = reporting.service.OutboxMessage
        return list(Message.select().where(Message.actor_name == actor))


def test_a_month_not_made_is_made_by_the_worker_never_in_the_request(queued_client, reporting, monkeypatch):
    from services.reporting import jobs
    from services.reporting.figures import made
    from services.reporting.models import MAKE_FIGURES_ACTOR, MadeFigures

    def computed_here(*args, **kwargs):
        raise AssertionError("figures computed or a PDF rendered inside the web request")

    real_compute, real_render = jobs.compute_report, jobs.render_pdf
    monkeypatch.setattr(jobs, "compute_report", computed_here)
    monkeypatch.setattr(jobs, "render_pdf", computed_here)
    # when a manager asks for October's figures, never made: 202 at once, with when and where to ask again
    first = queued_client.get("/api/v1/reports/2026-10", headers=manager())
    assert first.status_code == 202, first.get_data(as_text=True)
    assert first.get_json() == {"organization": ORG, "month": "2026-10", "branch": None, "status": "pending",
                                "stored": False}
    assert first.headers["Retry-After"] == "2" and first.headers["Location"].endswith("/api/v1/reports/2026-10")
    # and the worker got one job; asking again while it is pending sends no second one
    assert queued_client.get("/api/v1/reports/2026-10", headers=manager()).status_code == 202
    assert len(_jobs(reporting, MAKE_FIGURES_ACTOR)) == 1
    # when the worker makes them (here in-process, as the actor does)
    with reporting.service.connection():
        row = MadeFigures.get()
    monkeypatch.setattr(jobs, "compute_report", real_compute)
    monkeypatch.setattr(jobs, "render_pdf", real_render)
    assert made.make(reporting.service, ORG, "2026-10", "", "zh-CN", row.request) == "ready"
    assert made.make(reporting.service, ORG, "2026-10", "", "zh-CN", row.request) == "skipped"  # a repeated message
    monkeypatch.setattr(jobs, "compute_report", computed_here)
    # then the figures are served, saying when they were made, and served again without a new job
    for _ in range(3):
        body = queued_client.get("/api/v1/reports/2026-10", headers=manager()).get_json()
        assert body["stored"] is False and body["made_at"] is not None
        assert body["figures"]["callback_completion_rate"] == {"numerator": 5, "denominator": 8, "value": 0.625}
    assert len(_jobs(reporting, MAKE_FIGURES_ACTOR)) == 1


def test_the_pdf_of_a_month_not_made_is_rendered_by_the_worker(queued_client, reporting, monkeypatch):
    from services.reporting import jobs
    from services.reporting.figures import made
    from services.reporting.models import MadeFigures

    real_render = jobs.render_pdf
    monkeypatch.setattr(jobs, "render_pdf", lambda *a, **k: (_ for _ in ()).throw(AssertionError("rendered here")))
    response = queued_client.get("/api/v1/reports/2026-10.pdf?language=en", headers=manager())
    assert response.status_code == 202 and response.headers["Retry-After"] == "2"
    with reporting.service.connection():
        row = MadeFigures.get()
    assert (row.language, row.with_pdf, row.status) == ("en", True, "pending")
    monkeypatch.setattr(jobs, "render_pdf", real_render)
    made.make(reporting.service, ORG, "2026-10", "", "en", row.request)
    response = queued_client.get("/api/v1/reports/2026-10.pdf?language=en", headers=manager())
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "5/8" in pdf_text(response.data)


def test_made_figures_are_made_again_once_stale_and_the_old_ones_served_meanwhile(queued_client, reporting):
    from services.reporting.figures import made
    from services.reporting.models import MadeFigures

    assert queued_client.get("/api/v1/reports/2026-10", headers=manager()).status_code == 202
    with reporting.service.connection():
        made.make(reporting.service, ORG, "2026-10", "", "zh-CN", MadeFigures.get().request)
    # when they are older than HUIFANG_REPORT_FRESH_SECONDS (here: at once)
    reporting.service.settings = dataclasses.replace(reporting.service.settings, report_fresh_seconds=0)
    body = queued_client.get("/api/v1/reports/2026-10", headers=manager())
    # then the worker is asked again, and the reader gets the earlier figures meanwhile, with their time
    assert body.status_code == 200 and body.get_json()["figures"]["return_rate"]["numerator"] == 3
    with reporting.service.connection():
        assert MadeFigures.get().status == "pending"


def test_a_failed_making_is_a_503_naming_the_error_and_the_next_reader_asks_again(client, monkeypatch):
    from services.reporting import jobs

    real = jobs.compute_report
    # when making the figures fails (here in-process, as a single-process install makes them)
    monkeypatch.setattr(jobs, "compute_report", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk full")))
    response = client.get("/api/v1/reports/2026-10", headers=manager())
    # then the reader is told why, and may ask again
    assert response.status_code == 503 and "disk full" in response.get_json()["detail"]
    assert response.mimetype == "application/problem+json"
    monkeypatch.setattr(jobs, "compute_report", real)
    response = client.get("/api/v1/reports/2026-10", headers=manager())
    assert response.status_code == 200 and response.get_json()["figures"]["return_rate"]["numerator"] == 3


def test_erasing_a_customer_drops_the_figures_made_for_readers(client, reporting):
    from services.reporting.models import MadeFigures
    from shared.mesh.retention import erase_customer

    body = client.get("/api/v1/reports/2026-10", headers=manager()).get_json()
    assert body["unreachable"], "the made figures list customers by name"
    done = reporting.service.run(erase_customer, organization=ORG, customer_id="O2")  # the unreachable one
    assert done["made_figures"] == 1
    with reporting.service.connection():
        assert MadeFigures.select().count() == 0


def test_the_month_page_says_the_figures_are_being_made_and_reloads(queued_client, reporting):
    import re

    from shared.web.session import CSRF_FIELD
    from shared.users.store import save_person

    reporting.service.run(save_person, organization=ORG, login="zhang", role="manager", name="张伟",
                          password="correct-horse-7")
    form = queued_client.get("/login").get_data(as_text=True)
    token = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', form).group(1)
    signed_in = queued_client.post("/login", data={"login": "zhang", "password": "correct-horse-7", CSRF_FIELD: token})
    assert signed_in.status_code in (302, 303)
    # when a manager opens a month the worker has not made figures for
    response = queued_client.get("/reports/2026-10")
    page = response.get_data(as_text=True)
    # then the page says so in Chinese, reloads by itself, and computed nothing
    assert response.status_code == 202
    assert "2026-10 的数据正在后台统计" in page and '<meta http-equiv="refresh" content="2">' in page
