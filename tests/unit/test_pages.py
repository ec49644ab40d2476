"""The pages' mechanism (shared/web/pages.py): session, CSRF, languages, roles, the message catalog.

The app is the scheduler's, on a SQLite file and the stub broker; the browser tests in
tests/pages prove the same against the three services for real.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from flask import Flask

from shared.users import throttle
from shared.web import roles, session
from ops.translations import catalogs, extract_messages, translated
from shared.users.throttle import block_seconds
from shared.web.languages import normalise_language
from shared.web.pages import page_blueprint
from shared.web.roles import page_roles
from shared.web.session import csrf_matches, safe_next
from shared.core.settings import load_settings
from shared.users.store import save_person

SECRET = "s" * 32
API_TOKEN = "hf_unit_pages_integration"
ORG = "acme-electric"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


# -- pure pieces ------------------------------------------------------------------------------------

def test_failed_sign_ins_are_free_at_first_then_wait_longer_each_time_up_to_a_cap():
    waits = [block_seconds(n) for n in range(1, 12)]
    assert waits[:2] == [0, 0]
    assert waits[2:6] == [5, 10, 20, 40]
    assert waits[-1] == throttle.MAX_BLOCK_S and waits == sorted(waits)


def test_a_csrf_token_matches_only_the_sessions_own():
    token = session.new_csrf_token()
    assert csrf_matches(token, token)
    assert not csrf_matches(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not csrf_matches(token, None) and not csrf_matches(None, token) and not csrf_matches(None, None)
    assert not csrf_matches(token, "中文")  # any text compares without error


@pytest.mark.parametrize("target, expected", [
    ("/ledger?month=2026-10", "/ledger?month=2026-10"),
    ("/", "/"),
    (None, "/"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("/api/v1/callbacks", "/"),
    ("/login", "/"),
    ("ledger", "/"),
])
def test_after_sign_in_only_pages_of_this_site_are_followed(target, expected):
    assert safe_next(target) == expected


@pytest.mark.parametrize("asked, locale", [("en", "en"), ("en-US", "en"), ("EN_gb", "en"), ("zh", "zh_CN"),
                                           ("zh-CN", "zh_CN"), ("zh_Hans_CN", "zh_CN"), ("fr", None), ("", None)])
def test_a_language_is_asked_for_loosely(asked, locale):
    assert normalise_language(asked) == locale


def test_page_roles_refuses_an_unknown_role_when_declared():
    with pytest.raises(ValueError):
        page_roles("boss")
    with pytest.raises(ValueError):
        page_roles()


# -- an app ---------------------------------------------------------------------------------

@pytest.fixture
def app(tmp_path):
    from services.scheduler.app import create_app
    from services.scheduler.service import SERVICE

    settings = load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_API_TOKEN": API_TOKEN,
                              "HUIFANG_SCHEDULER_DATABASE_URL": f"sqlite:///{tmp_path / 'scheduler.db'}"})
    SERVICE.bind(settings)  # create_app binds only a service bound nowhere yet
    app = create_app({"HUIFANG_SETTINGS": settings})
    SERVICE.clock = lambda: datetime.now(timezone.utc)
    app.extensions["test_service"] = SERVICE
    SERVICE.run(save_person, organization=ORG, login="li", role="agent", name="李娜", password="pw-li")
    return app


def _token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _sign_in(client, login: str = "li", password: str = "pw-li"):
    return client.post("/login", data={"login": login, "password": password, "csrf_token": _token(client)})


def test_the_session_carries_the_claims_of_a_bearer_token_signed_with_the_secret_key(app):
    client = app.test_client()
    assert _sign_in(client).status_code == 303

    cookie = client.get_cookie(session.SESSION_COOKIE)
    claims = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert {k: claims["who"][k] for k in "lro"} == {"l": "li", "r": "agent", "o": ORG}
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure

    https = app.test_client()
    _sign_in(https)  # over http; the next page is served over https
    answer = https.get("/", base_url="https://localhost")
    assert "Secure" in answer.headers["Set-Cookie"]


def test_a_session_ends_after_a_working_day_idle_and_each_page_keeps_it_alive(app):
    with time_machine.travel(T0, tick=False) as clock:
        client = app.test_client()
        _sign_in(client)
        clock.shift(timedelta(hours=9))
        assert client.get("/").status_code == 200  # renews the cookie
        clock.shift(session.IDLE_TIMEOUT + timedelta(minutes=1))
        answer = client.get("/")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/login?next=")


def test_a_session_used_all_the_time_ends_at_its_lifetime_after_sign_in(app):
    # given a session used every few hours (never idle)
    with time_machine.travel(T0, tick=False) as clock:
        client = app.test_client()
        _sign_in(client)
        clock.shift(timedelta(hours=6))
        assert client.get("/").status_code == 200
        clock.shift(timedelta(hours=5, minutes=59))
        assert client.get("/").status_code == 200  # 11:59 after sign-in
        # when it is older than HUIFANG_SESSION_LIFETIME_HOURS (12 by default)
        clock.shift(timedelta(minutes=2))
        answer = client.get("/")
    # then it is over, however often it was used
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/login?next=")


def test_a_new_role_or_password_in_the_directory_ends_the_session(app):
    service = app.extensions["test_service"]
    client = app.test_client()
    _sign_in(client)

    service.run(save_person, organization=ORG, login="li", role="agent", name="李娜 (回访)")
    assert client.get("/").status_code == 200  # a new name keeps the session
    service.run(save_person, organization=ORG, login="li", role="agent", password="pw-new")

    assert client.get("/").status_code == 303
    assert _sign_in(client, password="pw-new").status_code == 303


def test_a_page_post_needs_the_csrf_token(app):
    client = app.test_client()
    _sign_in(client)

    refused = client.post("/logout")
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert client.post("/logout", headers={"X-CSRF-Token": "forged"}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in

    token = _token(client, "/")
    assert client.post("/logout", headers={session.CSRF_HEADER: token}).status_code == 303  # htmx's way
    assert client.get("/").status_code == 303
    assert client.post("/login", data={"login": "li", "password": "pw-li"}).status_code == 400


def test_the_api_neither_reads_nor_sets_the_session_cookie(app):
    client = app.test_client()
    _sign_in(client)

    answer = client.get("/api/v1/callbacks")

    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    assert "Set-Cookie" not in answer.headers
    assert client.get("/healthz").headers.get("Set-Cookie") is None


def test_a_wrong_password_and_an_unknown_login_get_the_same_message(app):
    client = app.test_client()
    token = _token(client)
    wrong = client.post("/login", data={"login": "li", "password": "nope", "csrf_token": token})
    unknown = client.post("/login", data={"login": "nobody", "password": "nope", "csrf_token": token})

    message = re.compile(r'<p class="o-alert o-alert-danger"[^>]*>(.*?)</p>', re.S)
    assert wrong.status_code == unknown.status_code == 401
    assert message.search(wrong.get_data(as_text=True)).group(1) == \
        message.search(unknown.get_data(as_text=True)).group(1) == "登录名或密码错误。"


def test_a_login_in_two_organisations_asks_which_one(app):
    service = app.extensions["test_service"]
    service.run(save_person, organization="other-org", login="li", role="manager", password="pw-li")
    client = app.test_client()

    answer = _sign_in(client)

    assert answer.status_code == 200 and 'name="organization"' in answer.get_data(as_text=True)
    chosen = client.post("/login", data={"login": "li", "password": "pw-li", "organization": "other-org",
                                         "csrf_token": _token(client)})
    assert chosen.status_code == 303
    assert "服务经理" in client.get("/").get_data(as_text=True)


def test_chinese_by_default_english_by_accept_language_or_lang_kept_in_the_session(app):
    client = app.test_client()
    assert "<h1>登录</h1>" in client.get("/login").get_data(as_text=True)
    assert "<h1>Sign in</h1>" in client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True)
    assert "<h1>Sign in</h1>" in client.get("/login?lang=en").get_data(as_text=True)
    assert "<h1>Sign in</h1>" in client.get("/login").get_data(as_text=True)  # kept
    _sign_in(client)
    page = client.get("/").get_data(as_text=True)
    assert "<h1>Workbench</h1>" in page and "Callback agent" in page  # kept across sign-in
    assert "<h1>工作台</h1>" in client.get("/?lang=zh-CN").get_data(as_text=True)


def test_dates_and_numbers_are_formatted_per_language(app):
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        render = app.jinja_env.from_string("{{ day|format_date('long') }} {{ n|format_decimal }}").render
        english = render(day=datetime(2026, 10, 1).date(), n=1234567.5)
    with app.test_request_context("/"):
        app.preprocess_request()
        chinese = render(day=datetime(2026, 10, 1).date(), n=1234567.5)
    assert english == "October 1, 2026 1,234,567.5"
    assert chinese == "2026年10月1日 1,234,567.5"


def test_user_text_is_escaped_in_pages(app):
    service = app.extensions["test_service"]
    service.run(save_person, organization=ORG, login="li", role="agent", name="<script>alert(1)</script>")
    client = app.test_client()
    _sign_in(client)
    html = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_page_without_page_roles_stops_the_app_from_starting(tmp_path):
    from shared.mesh.service import Service
    from shared.web.app import create_service_app
    import peewee

    blp = page_blueprint("forgetful_pages", __name__)

    @blp.get("/forgot")
    def forgot():
        return "open to anyone signed in?"

    service = Service(name="scheduler", database=peewee.DatabaseProxy(), models=[], handlers={})
    settings = load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_VAR_DIR": str(tmp_path),
                              "HUIFANG_SCHEDULER_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    with pytest.raises(RuntimeError, match="without @page_roles"):
        create_service_app(service, [], pages=[blp], test_config={"HUIFANG_SETTINGS": settings})


def test_may_and_can_follow_the_roles_of_a_declared_action():
    app = Flask(__name__)
    roles.define_action("tests.escalate", "advisor", "manager")
    from flask import g

    from shared.web.auth import Principal

    with app.test_request_context("/"):
        g.page_principal = Principal(login="zhao", role="advisor", organization=ORG)
        assert roles.may("tests.escalate") and roles.can("advisor") and not roles.can("agent", "manager")
        g.page_principal = Principal(login="li", role="agent", organization=ORG)
        assert not roles.may("tests.escalate")
        with pytest.raises(KeyError):
            roles.may("tests.never-declared")


def test_user_updated_cannot_be_posted_even_with_the_integration_token(app):
    client = app.test_client()
    envelope = {"specversion": "1.0", "id": "x-1", "type": "user.updated", "source": "huifang://scheduler",
                "organization": ORG, "data": {"login": "mallory", "role": "admin",
                                              "updated_at": "2026-01-01T00:00:00+00:00"}}
    answer = client.post("/api/v1/events", json=envelope, headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert answer.status_code == 403 and "only from Huifang" in answer.get_json()["detail"]


# -- the message catalog ----------------------------------------------------------------------

@pytest.mark.parametrize("folder", list(catalogs()), ids=lambda folder: folder.parent.name)
def test_every_label_of_the_pages_is_in_the_chinese_catalog_translated_and_compiled(folder, tmp_path):
    """Each catalog (shared/web/translations, and services/<name>/translations where a service keeps
    its own) holds every string of what it serves, translated, and its .mo is compiled."""
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    pot = tmp_path / "messages.pot"
    extract_messages(catalogs()[folder], pot)
    with pot.open("rb") as f:
        wanted = {_plain(m.id) for m in read_po(f) if m.id}
    with (folder / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = {_plain(m.id): _plain(m.string) for m in read_po(f, locale="zh_Hans_CN") if m.id and not m.fuzzy}
    with (folder / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(f) if m.id}

    assert sorted(wanted - set(catalog), key=repr) == [], "new strings: run `make translations` and translate them"
    assert sorted((k for k in wanted if not translated(catalog[k])), key=repr) == [], \
        "untranslated strings in messages.po"
    assert compiled == {k: v for k, v in catalog.items() if translated(v)}, \
        "messages.mo is stale: run `make translations`"


def _plain(value):
    """Gives a catalog's id or string as a hashable value (a plural one's forms as a tuple)."""
    return tuple(value) if isinstance(value, list) else value
