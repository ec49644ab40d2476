"""Page tests' pieces: the three services for real, a real browser.

`site` starts a Mesh (real Redis, SQLite or PostgreSQL, worker processes) plus each service's web
app on a free port (werkzeug servers in threads), with HUIFANG_<SERVICE>_URL pointing at them,
and enters the people of PEOPLE with the code `make user` runs (shared.users.store.save_person on
the scheduler; the other services get them through `user.updated`). `page` is a Playwright page
in Debian's chromium, in Chinese unless a test asks otherwise. `shoot(page, name)` keeps a
screenshot under tests/artifacts/pages/. The fixtures (`site`, `browser`, `new_page`, `page`)
are taken in by tests/pages/conftest.py.
"""
from __future__ import annotations

import contextlib
import re
import shutil
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.serving import make_server

from ops.infra import free_port
from shared.core.settings import ROOT, SERVICES
from shared.users.store import save_person
from testkit.mesh import Mesh
from testkit.polling import eventually

ARTIFACTS = ROOT / "tests" / "artifacts" / "pages"
ORG = "acme-electric"
PASSWORD = "correct-horse-7"
#: login: (role, display name); names are user data, in Chinese in both languages.
PEOPLE = {
    "li": ("agent", "李娜"),
    "wang": ("agent", "王强"),
    "zhao": ("advisor", "赵敏"),
    "zhang": ("manager", "张伟"),
    "chen": ("supervisor", "陈静"),
}
#: Chinese (CJK) characters: none may appear in an English page outside user data.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


class Site:
    """The three services as a browser sees them."""

    def __init__(self, mesh: Mesh, urls: dict[str, str]):
        self.mesh = mesh
        self.urls = urls

    def url(self, service: str, path: str = "/") -> str:
        return self.urls[service] + path


@pytest.fixture(scope="module")
def site(redis_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    redis_server.client().flushall()
    mesh = Mesh(broker_url=redis_server.url, folder=folder,
                extra_env={f"HUIFANG_{name.upper()}_URL": url for name, url in urls.items()})
    mesh.start_all()
    servers = []
    try:
        for name in SERVICES:
            server = make_server("127.0.0.1", ports[name], mesh.app(name), threaded=True)
            threading.Thread(target=server.serve_forever, name=f"{name}-web", daemon=True).start()
            servers.append(server)
        enter_people(mesh)
        yield Site(mesh, urls)
    finally:
        for server in servers:
            server.shutdown()
        mesh.stop()


def enter_people(mesh: Mesh) -> None:
    """Enters PEOPLE on the scheduler, as `make user` does, and waits until every service has them."""
    scheduler = mesh.services["scheduler"]
    for login, (role, name) in PEOPLE.items():
        scheduler.run(save_person, organization=ORG, login=login, role=role, name=name, password=PASSWORD)
    for service in mesh.services.values():
        eventually(lambda: _people(service) == len(PEOPLE), timeout=30,
                   message=f"the people to reach {service.name} (user.updated)")


def _people(service) -> int:
    with service.connection():
        return service.users.User.select().count()


@contextlib.contextmanager
def launched_browser(*args: str):
    """Yields Debian's chromium under Playwright, started with the command-line `args`."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make system-deps` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright  # heavy: only the page tests load it

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=list(args))
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def browser():
    with launched_browser() as launched:
        yield launched


@pytest.fixture
def new_page(browser):
    """Gives a function making a page in a fresh browser context (own cookies) for `locale`."""
    contexts = []

    def make(locale: str = "zh-CN"):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 720})
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def shoot(page, name: str) -> None:
    """Keeps a full-page screenshot as tests/artifacts/pages/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, site: Site, login: str, password: str = PASSWORD, *, service: str = "scheduler"):
    """Signs in through the login form of `service`; gives the response to the POST."""
    page.goto(site.url(service, "/login"))
    page.fill("#login", login)
    page.fill("#password", password)
    with page.expect_response(lambda r: r.request.method == "POST" and urlsplit(r.url).path == "/login") as answer:
        page.click("form.o-form button[type=submit]")
    page.wait_for_load_state()
    return answer.value


def next_of(url: str) -> str | None:
    """Gives the `next` parameter of a /login address (None when it is another page)."""
    parts = urlsplit(url)
    if parts.path != "/login":
        return None
    return parse_qs(parts.query).get("next", [""])[0]


def english_text(page) -> str:
    """Gives the page's visible text without user data (translate="no") and without words
    shown in their own language on purpose (the language switch's 中文, lang="zh-CN")."""
    return page.evaluate("""() => {
        const copy = document.body.cloneNode(true);
        copy.querySelectorAll('[translate="no"], [lang]:not([lang^="en"]), script, style')
            .forEach(el => el.remove());
        return copy.innerText + ' ' + document.title + ' ' +
            Array.from(document.querySelectorAll('[title],[aria-label],[placeholder]'))
                 .filter(el => !el.closest('[translate="no"]'))
                 .map(el => [el.title, el.getAttribute('aria-label'), el.placeholder].join(' ')).join(' ');
    }""")


def press_accesskey(page, key: str) -> None:
    """Presses Alt+`key` as a person does to use an accesskey (Chromium on Linux: Alt).

    Playwright's keyboard.press("Alt+o") sends key events that never reach Chromium's accesskey
    handling; the accesskey is taken on the character event, so it is sent through CDP."""
    session = page.context.new_cdp_session(page)
    try:
        session.send("Input.dispatchKeyEvent", {"type": "char", "modifiers": 1, "key": key, "text": key,
                                                "unmodifiedText": key})
    finally:
        session.detach()
