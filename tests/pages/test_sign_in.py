"""Sign-in (CONTRACT.md "Pages"): one session on all three services, bearer-only API, logout,
and failed sign-ins that slow down."""
from __future__ import annotations

from urllib.parse import urlsplit

from shared.web.session import SESSION_COOKIE
from testkit.pages import ORG, PASSWORD, next_of, shoot, sign_in

SERVICES = ("scheduler", "complaints", "reporting")


def test_a_signed_out_visitor_of_any_page_is_sent_to_login(page, site):
    for service in SERVICES:
        page.goto(site.url(service, "/"))
        assert page.url.startswith(site.url(service, "/login")) and next_of(page.url) == "/"
        page.goto(site.url(service, "/ledger?month=2026-10"))
        assert next_of(page.url) == "/ledger?month=2026-10"
    assert page.locator("h1").inner_text() == "登录"


def test_a_wrong_password_gets_one_clear_message_and_the_right_one_lands_on_the_main_page(page, site):
    wrong = sign_in(page, site, "li", "not-the-password")
    assert wrong.status == 401
    message = page.locator("#login-error").inner_text()
    assert message == "登录名或密码错误。"
    shoot(page, "login-wrong-password.zh")

    sign_in(page, site, "nobody-here", "not-the-password")
    assert page.locator("#login-error").inner_text() == message  # an unknown login: the same words

    sign_in(page, site, "li")
    assert page.url == site.url("scheduler", "/")
    assert page.locator("h1").inner_text() == "工作台"
    topbar = page.locator("header.o-topbar").inner_text()
    assert "李娜" in topbar and "回访员" in topbar and ORG in topbar


def test_one_sign_in_is_valid_on_all_three_services(page, site):
    sign_in(page, site, "zhang", service="complaints")
    titles = {}
    for service in SERVICES:
        page.goto(site.url(service, "/"))
        assert page.url == site.url(service, "/"), f"{service} sent a signed-in manager to {page.url}"
        titles[service] = page.locator("h1").inner_text()
        assert "张伟" in page.locator(".o-user-name").inner_text()
    assert titles == {"scheduler": "工作台", "complaints": "投诉看板", "reporting": "报告室"}


def test_the_session_cookie_is_http_only_same_site_lax_and_signed_out_of_the_api(page, site):
    sign_in(page, site, "chen")
    cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["domain"] == "127.0.0.1"
    assert not cookie["secure"]  # served over http here; over https it is Secure
    assert cookie["expires"] > 0  # a working day, renewed by each page request

    # The JSON API keeps bearer tokens: the browser's session opens nothing there.
    answer = page.request.get(site.url("scheduler", f"/api/v1/callbacks?organization={ORG}"))
    assert answer.status == 401 and answer.headers["content-type"].startswith("application/problem+json")
    assert "set-cookie" not in answer.headers


def test_sign_out_ends_the_session_on_every_service(page, site):
    sign_in(page, site, "zhang", service="reporting")
    page.click("form.o-signout button")
    page.wait_for_url(site.url("reporting", "/login"))
    for service in SERVICES:
        page.goto(site.url(service, "/"))
        assert next_of(page.url) == "/", f"{service} still let the signed-out visitor in"


def test_repeated_failures_slow_down_sign_in_for_that_login(page, site):
    for _ in range(3):
        assert sign_in(page, site, "wang", "guess").status == 401

    blocked = sign_in(page, site, "wang", PASSWORD)  # even the right password waits now

    assert blocked.status == 429
    assert "登录失败次数过多" in page.locator("#login-error").inner_text()
    assert urlsplit(page.url).path == "/login"
    shoot(page, "login-too-many-failures.zh")
    # Another person at the same address is not held up.
    assert sign_in(page, site, "zhao").status == 303
