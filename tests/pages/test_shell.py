"""The shell: languages, roles (403 page), CSRF, error pages, and a screenshot of each page."""
from __future__ import annotations

from testkit.pages import CJK, PEOPLE, english_text, shoot, sign_in

SERVICES = ("scheduler", "complaints", "reporting")


def test_english_has_no_untranslated_label(page, site):
    sign_in(page, site, "zhang")
    page.click("header .o-lang a[lang=en]")
    page.wait_for_load_state()

    for service in SERVICES:  # the choice is kept in the session, on every service
        page.goto(site.url(service, "/"))
        assert page.locator("html").get_attribute("lang") == "en"
        leftovers = CJK.findall(english_text(page))
        assert leftovers == [], f"untranslated Chinese on {service}'s page: {''.join(leftovers)}"
    assert page.locator("h1").inner_text() == "Report room"
    assert page.locator(".o-role").inner_text() == "Service manager"
    assert "张伟" in page.locator(".o-user-name").inner_text()  # a name stays as it was entered

    page.click("header .o-lang a[lang=zh-CN]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "报告室"


def test_accept_language_or_lang_selects_english_before_sign_in(new_page, site):
    english_browser = new_page("en-US")
    english_browser.goto(site.url("complaints", "/"))
    assert english_browser.locator("h1").inner_text() == "Sign in"
    assert CJK.findall(english_text(english_browser)) == []

    chinese_browser = new_page("zh-CN")
    chinese_browser.goto(site.url("complaints", "/login?lang=en"))
    assert chinese_browser.locator("h1").inner_text() == "Sign in"


def test_a_role_that_may_not_see_a_page_gets_the_403_page(page, site):
    sign_in(page, site, "li")  # an agent; the report room is for supervisors and managers

    answer = page.goto(site.url("reporting", "/"))

    assert answer.status == 403
    assert page.locator("h1").inner_text() == "无权访问"
    text = page.locator("main").inner_text()
    assert "您的角色（回访员）不能打开此页面" in text and "接待主管、服务经理、管理员" in text
    assert "李娜" in page.locator(".o-user-name").inner_text()  # still in the shell, still signed in


def test_a_post_without_the_csrf_token_is_refused(page, site):
    sign_in(page, site, "chen")

    for token in (None, "forged-token"):
        form = {"csrf_token": token} if token else {}
        answer = page.request.post(site.url("complaints", "/logout"), form=form, max_redirects=0)
        assert answer.status == 400, f"a logout with csrf_token={token!r} was not refused"
    page.goto(site.url("complaints", "/"))
    assert page.locator("h1").inner_text() == "投诉看板"  # still signed in: nothing happened

    # A form a hostile page would post, submitted by the browser itself: refused with the page.
    _submit_form_without_token(page, site.url("scheduler", "/logout"))
    assert page.locator(".o-error-code").inner_text() == "400"
    assert "表单已过期" in page.locator("main").inner_text()
    shoot(page, "csrf-refused.zh")


def _submit_form_without_token(page, action: str) -> None:
    with page.expect_navigation():
        page.evaluate("""(action) => {
            const form = document.createElement('form');
            form.method = 'post'; form.action = action;
            document.body.appendChild(form); form.submit();
        }""", action)


def test_an_unknown_address_gets_the_404_page(page, site):
    sign_in(page, site, "zhao")
    answer = page.goto(site.url("scheduler", "/no-such-page"))
    assert answer.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"


def test_screenshots_of_every_page_in_both_languages(new_page, site):
    for locale, suffix in (("zh-CN", "zh"), ("en-US", "en")):
        page = new_page(locale)
        page.goto(site.url("scheduler", "/login"))
        shoot(page, f"login.{suffix}")
        sign_in(page, site, "zhang")
        for service in SERVICES:
            page.goto(site.url(service, "/"))
            shoot(page, f"{service}-main.{suffix}")
        page.goto(site.url("complaints", "/no-such-page"))
        shoot(page, f"404.{suffix}")
        _submit_form_without_token(page, site.url("complaints", "/logout"))
        shoot(page, f"400-csrf.{suffix}")
        agent = new_page(locale)
        sign_in(agent, site, "li")
        agent.goto(site.url("reporting", "/"))
        shoot(agent, f"403.{suffix}")
        if suffix == "en":
            for shown in (page, agent):
                assert CJK.findall(english_text(shown)) == []
    assert len(PEOPLE) == 5
