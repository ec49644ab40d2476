"""What an anonymous or hostile browser request can do to the web surface: the metrics it grows,
the headers the pages answer with, the parameters that must not end in 500. Each test is named
after what it proves.

The apps are the three services' own, on SQLite files and the stub broker (the `apps` fixture).
"""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from shared.core.settings import ROOT
from testkit.apps import assert_problem, client
from testkit.tokens import user

# -- /metrics stays bounded ------------------------------------------------------------------------------

def test_metrics_count_a_method_nobody_uses_as_other_so_anonymous_requests_cannot_grow_them(apps):
    scheduler = client(apps, "scheduler")
    for i in range(5):
        scheduler.open("/healthz", method=f"BREW{i}")
        scheduler.open(f"/no/such/page/{i}", method="GET")
    text = scheduler.get("/metrics").get_data(as_text=True)
    assert 'method="BREW' not in text
    assert 'method="other"' in text
    assert "/no/such/page" not in text  # an unmatched path is counted as "(unmatched)", never by its path


# -- security headers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("service, path", [("scheduler", "/login"), ("complaints", "/login"),
                                           ("reporting", "/login"), ("scheduler", "/api/v1/callbacks"),
                                           ("scheduler", "/no/such/page")])
def test_every_answer_forbids_framing_inline_script_type_guessing_and_referrers(apps, service, path):
    response = client(apps, service).get(path)
    policy = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"


def test_the_api_reference_runs_only_its_own_start_script_by_hash(apps):
    response = client(apps, "scheduler").get("/api/v1/docs")
    assert response.status_code == 200
    inline = re.findall(rb"<script>(.*?)</script>", response.get_data(), re.S)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0]).digest()).decode()
    policy = response.headers["Content-Security-Policy"]
    assert f"'sha256-{digest}'" in policy and "frame-ancestors 'none'" in policy


def test_no_page_template_holds_inline_script_style_or_event_handler():
    # The pages' policy has no 'unsafe-inline': an inline style or script would silently not apply.
    offenders = []
    templates = [*Path(ROOT, "shared").glob("**/templates/**/*.html"),
                 *Path(ROOT, "services").glob("**/templates/**/*.html")]
    for template in sorted(templates):
        if template.name == "report.html":  # the PDF's template, rendered by WeasyPrint, never served
            continue
        text = template.read_text(encoding="utf-8")
        text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
        if re.search(r"\sstyle=|<style|<script>|<script\s(?![^>]*\bsrc=)|\son(?:click|change|submit|load|input|error|focus|blur|key\w+|mouse\w+)=", text):
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


# -- page parameters never end in 500 ----------------------------------------------------------------------

def _signed_in(apps, name: str, role: str = "manager"):
    """Gives a test client of service `name` with a person of `role` signed in."""
    import importlib

    from shared.users.store import save_person
    from testkit.tokens import ORG

    service = importlib.import_module(f"services.{name}.service").SERVICE
    service.run(save_person, organization=ORG, login="surface", role=role, name="边界", password="pw-surface")
    browser = client(apps, name)
    html = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    answer = browser.post("/login", data={"login": "surface", "password": "pw-surface", "csrf_token": token})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    return browser


@pytest.mark.parametrize("target", ["/ledger\r\nSet-Cookie: x=1", "/ledger%0d%0aX: 1", "/\nledger", "/led\x7fger"])
def test_a_next_page_with_control_characters_after_sign_in_goes_home_not_500(apps, target):
    from shared.web.session import safe_next

    assert safe_next(target.replace("%0d%0a", "\r\n")) == "/"
    browser = client(apps, "scheduler")
    html = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    _signed_in(apps, "scheduler")  # the person exists
    answer = client(apps, "scheduler").get("/login", query_string={"next": target.replace("%0d%0a", "\r\n")})
    assert answer.status_code == 200
    answer = browser.post("/login", data={"login": "surface", "password": "pw-surface", "csrf_token": token,
                                          "next": target.replace("%0d%0a", "\r\n")})
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


@pytest.mark.parametrize("service, path", [("scheduler", "/ledger"), ("scheduler", "/"),
                                           ("reporting", "/reports/2026-10/rows/callback_completion_rate")])
@pytest.mark.parametrize("page", [str(2 ** 63), str(10 ** 30), "9223372036854775807", "-5", "x"])
def test_a_page_number_past_the_databases_integer_shows_an_empty_page_not_500(apps, service, path, page):
    browser = _signed_in(apps, service)
    answer = browser.get(path, query_string={"page": page})
    assert answer.status_code in (200, 404), (answer.status_code, answer.get_data(as_text=True)[:300])


def test_the_report_of_the_first_month_there_is_has_a_trend_before_it_not_503(apps):
    answer = client(apps, "reporting").get("/api/v1/reports/1900-01", headers=user("manager"))
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert sorted(answer.get_json()["trend"]) == ["1899-11", "1899-12"]
    assert_problem(client(apps, "reporting").get("/api/v1/reports/1899-12", headers=user("manager")), 422, "month")


# -- the web port behind a trusted proxy ------------------------------------------------------------------

@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "web.example"])
def test_with_trusted_proxies_the_web_process_listens_on_loopback_only(host):
    from shared.core.errors import ConfigurationError
    from shared.core.settings import load_settings

    base = {"HUIFANG_SECRET_KEY": "unit-" + "x" * 20, "HUIFANG_VAR_DIR": "/tmp/huifang-unit-surface"}
    with pytest.raises(ConfigurationError) as refused:
        load_settings({**base, "HUIFANG_TRUSTED_PROXIES": "1", "HUIFANG_WEB_HOST": host})
    assert "HUIFANG_WEB_HOST" in str(refused.value)
    assert load_settings({**base, "HUIFANG_TRUSTED_PROXIES": "1"}).web_host == "127.0.0.1"
    assert load_settings({**base, "HUIFANG_TRUSTED_PROXIES": "1", "HUIFANG_WEB_HOST": "::1"}).web_host == "::1"
    assert load_settings({**base, "HUIFANG_WEB_HOST": host}).web_host == host  # no proxy believed: any address


def test_the_procfile_binds_the_web_processes_where_the_settings_say_never_every_address():
    procfile = (Path(ROOT) / "deploy" / "Procfile").read_text()
    webs = [line for line in procfile.splitlines() if line.split(":", 1)[0].endswith("-web")]
    assert len(webs) == 3
    for line in webs:
        assert "0.0.0.0" not in line and "--bind ${HUIFANG_WEB_HOST:-127.0.0.1}:" in line
        assert "python -m ops check-settings &&" in line and "--config python:shared.web.gunicorn_conf" in line
