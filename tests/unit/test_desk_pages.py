"""The callback desk on the callback form (`/callbacks/<id>`): other results, contact corrections, the call log.

The scheduler's app on a SQLite file and the stub broker, Flask's test client (as tests/unit/test_pages.py).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from shared.core.settings import load_settings
from shared.users.store import save_person
from testkit.events import envelope

SECRET = "s" * 32
ORG = "acme-electric"


@pytest.fixture
def desk(tmp_path):
    from services.scheduler.app import create_app
    from services.scheduler.service import SERVICE

    settings = load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_API_TOKEN": "hf_unit_integration_token",
                              "HUIFANG_SCHEDULER_DATABASE_URL": f"sqlite:///{tmp_path / 'scheduler.db'}"})
    SERVICE.bind(settings)
    app = create_app({"HUIFANG_SETTINGS": settings})
    SERVICE.clock = lambda: datetime.now(timezone.utc)
    SERVICE.run(save_person, organization=ORG, login="li", role="agent", name="李娜", password="pw-li")
    completed = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat()
    with SERVICE.connection():
        SERVICE.handle(envelope("service_order.completed", {
            "order_id": "O-1", "customer": {"id": "C-1", "name": "王先生", "segment": "vip", "phone": "13812345678"},
            "completed_at": completed, "business_line": "vehicle"}, org=ORG))
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/login", data={"login": "li", "password": "pw-li", "csrf_token": token})
    from services.scheduler.models import CallbackTask
    with SERVICE.connection():
        task_id = CallbackTask.get(CallbackTask.kind == "first").id
    return client, task_id, SERVICE


def _form_token(client, task_id):
    html = client.get(f"/callbacks/{task_id}").get_data(as_text=True)
    return html, re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_seed_003_s4_callback_form_corrects_the_phone_and_records_a_wrong_number(desk):
    client, task_id, service = desk
    html, token = _form_token(client, task_id)
    # given the form offers the other results and the contact correction
    assert 'id="save-wrong-number"' in html and 'id="save-declined"' in html and 'name="contact_phone"' in html
    # and the opening script filled in (seed 003 §六): the customer's and the agent's names
    opening = html[html.index('id="opening-script"'):]
    assert "王先生" in opening[:300] and "李娜" in opening[:300]
    # when the agent records a wrong number
    response = client.post(f"/callbacks/{task_id}/outcome", data={"csrf_token": token, "result": "wrong_number"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # then the page says it waits, and the call log shows who called and what it came to
    assert "号码错误" in page and "等待更正后的联系方式" in page
    log = page[page.index('id="call-log"'):]
    assert "li" in log and "号码错误" in log


def test_seed_002_callback_form_rejects_a_past_appointment_naming_the_field(desk):
    client, task_id, service = desk
    _, token = _form_token(client, task_id)
    response = client.post(f"/callbacks/{task_id}/outcome", data={
        "csrf_token": token, "result": "rescheduled", "call_at": "2020-01-01T10:00"})
    assert response.status_code == 422
    assert 'href="#other-result"' in response.get_data(as_text=True)


def test_seed_000_part_5_ledger_page_links_the_missing_dates_list(desk):
    client, task_id, service = desk
    assert 'id="ledger-gaps-link"' in client.get("/ledger").get_data(as_text=True)
    page = client.get("/ledger/gaps")
    assert page.status_code == 200 and "台帐缺失数据" in page.get_data(as_text=True)


def _signed_in(app, service, login: str, role: str):
    service.run(save_person, organization=ORG, login=login, role=role, name=login, password=f"pw-{login}")
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/login", data={"login": login, "password": f"pw-{login}", "csrf_token": token})
    return client


def test_missing_dates_link_only_for_who_may_open_the_list(desk):
    # an advisor reads the ledger but is no ledger keeper: /ledger/gaps is 403, so no link to it
    client, task_id, service = desk
    advisor = _signed_in(client.application, service, "zhang", "advisor")
    assert advisor.get("/ledger/gaps").status_code == 403
    assert 'id="ledger-gaps-link"' not in advisor.get("/ledger").get_data(as_text=True)


def test_reviews_link_only_for_roles_the_review_policy_names(desk):
    # the default review.yaml names the supervisor and the manager: an admin reviews nothing there
    client, task_id, service = desk
    admin = _signed_in(client.application, service, "root", "admin")
    assert 'href="/reviews"' not in admin.get("/ledger").get_data(as_text=True)
    assert admin.get("/reviews").status_code == 403
    supervisor = _signed_in(client.application, service, "zhao", "supervisor")
    assert 'href="/reviews"' in supervisor.get("/ledger").get_data(as_text=True)
    assert supervisor.get("/reviews").status_code == 200


def test_a_wrong_number_is_listed_apart_and_corrected_on_its_own_form(desk):
    client, task_id, service = desk
    _, token = _form_token(client, task_id)
    client.post(f"/callbacks/{task_id}/outcome", data={"csrf_token": token, "result": "wrong_number"})
    # the workbench counts it as waiting for a correct number and lists it apart
    bench = client.get("/").get_data(as_text=True)
    assert 'id="waiting-count"' in bench and "待更正号码" in bench
    waiting = client.get("/?waiting=1").get_data(as_text=True)
    assert f"/callbacks/{task_id}" in waiting
    # its own form offers the correction; the same (or no) number is refused, naming it
    html, token = _form_token(client, task_id)
    assert 'id="correct-contact"' in html
    same = client.post(f"/callbacks/{task_id}/contact", data={"csrf_token": token, "contact_phone": "13812345678"})
    assert same.status_code == 422 and 'href="#other-result"' in same.get_data(as_text=True)
    # the right number opens it again
    _, token = _form_token(client, task_id)
    fixed = client.post(f"/callbacks/{task_id}/contact", data={"csrf_token": token, "contact_phone": "13900007777"})
    assert fixed.status_code == 303
    page = client.get(fixed.headers["Location"]).get_data(as_text=True)
    assert "已保存正确号码" in page and 'id="correct-contact"' not in page
    assert f"/callbacks/{task_id}" not in client.get("/?waiting=1").get_data(as_text=True)


def test_seed_002_the_verdict_buttons_only_for_who_may_press_them(desk):
    client, task_id, service = desk
    from services.scheduler import handlers
    from services.scheduler.models import CallbackTask

    _, token = _form_token(client, task_id)
    client.post(f"/callbacks/{task_id}/outcome", data={"csrf_token": token, "reached": "1",
                                                        "q_product_satisfaction": "satisfied",
                                                        "q_service_satisfaction": "satisfied"})
    with service.connection():
        assert CallbackTask.get_by_id(task_id).status == "done"
    # a supervisor gives the verdict; another supervisor sees it, without the buttons
    service.run(handlers.record_review, organization=ORG, callback_id=task_id, role="supervisor", reviewer="zhao",
                verdict="pass", comment=None)
    qian = _signed_in(client.application, service, "qian", "supervisor")
    page = qian.get("/reviews").get_data(as_text=True)
    row = page[page.index(f'id="r-{task_id}"'):]
    row = row[:row.index("</tr>")]
    assert "已由 zhao 审核" in row and "<form" not in row
    zhao = _signed_in(client.application, service, "zhao", "supervisor")
    mine = zhao.get("/reviews").get_data(as_text=True)
    assert "<form" in mine[mine.index(f'id="r-{task_id}"'):]
