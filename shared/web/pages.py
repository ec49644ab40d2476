"""Server-rendered pages on every service: sign-in, the session, CSRF, roles, languages, the shell.

`shared.web.app.create_service_app(service, blueprints, pages=[...])` calls `init_app`, which gives
every service the same:

- `GET /login`, `POST /login`, `POST /logout` (CONTRACT.md "Pages"), checked against the
  service's copy of the user directory (shared/users/store.py);
- a session cookie signed with HUIFANG_SECRET_KEY carrying the claims of a bearer token
  (login, role, organisation), so one sign-in is valid on all three services; it ends after
  `IDLE_TIMEOUT` without a page request and is refreshed by each one. The JSON API under
  /api/ never reads it: it keeps bearer tokens only;
- a CSRF token tied to the session, checked on every page request that is not GET/HEAD/OPTIONS
  (form field `csrf_token` or header `X-CSRF-Token`, which htmx sends from the shell);
- languages (Flask-Babel): zh_CN by default, English by `?lang=en`, `Accept-Language: en`
  or the switch in the top bar, kept in the session;
- the shell (templates/base.html), static files at /static/, HTML error pages (403, 404, 400).

A service's pages are plain Flask blueprints made with `page_blueprint`; every view says who
may open it with `@page_roles(...)` (the app refuses to start otherwise), and templates hide
what a role may not press with `can(...)` / `may(action)`. See docs/DEVELOPING.md "Pages".

Beside it: session.py (the session and CSRF), roles.py, languages.py, error_pages.py; the sign-in
throttle is shared/users/throttle.py.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from shared.core.settings import ROOT, SERVICES
from shared.users.passwords import burn_time, verify_password
from shared.users.store import Directory
from shared.users.sessions import end_session, start_session
from shared.users.throttle import login_digest, password_check_slot, reserve, succeeded
from shared.web.auth import Principal
from shared.web.error_pages import answer_errors_as_pages, not_found_or_problem
from shared.web.languages import DEFAULT_LOCALE, LANGUAGES, language_url, normalise_language, select_locale
from shared.web.roles import can, check_every_page_has_roles, may, role_label
from shared.web.session import (CSRF_FIELD, CSRF_HEADER, IDLE_TIMEOUT, SAFE_METHODS, SESSION_COOKIE,
                                PageSessionInterface, csrf_field, csrf_matches, csrf_token, current_principal,
                                is_page_path, principal_of_session, safe_next, sign_in, sign_out)

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
TRANSLATIONS = HERE / "translations"

#: The blueprint of the shell (sign-in, static files); its endpoints are `huifang_pages.*`.
SHELL = "huifang_pages"
#: Each service's main page, as the top bar names it.
SERVICE_TITLES = {
    "scheduler": _l("Workbench"),
    "complaints": _l("Complaint board"),
    "reporting": _l("Report room"),
}


def page_blueprint(name: str, import_name: str, **options) -> Blueprint:
    """Gives a blueprint for a service's pages, with its `templates/` folder.

    Name templates `<service>/<page>.html` so they never shadow another blueprint's; they
    extend "base.html" (the shell).
    """
    options.setdefault("template_folder", "templates")
    return Blueprint(name, import_name, **options)


def _shell_blueprint(service) -> Blueprint:
    blp = Blueprint(SHELL, __name__, template_folder=str(TEMPLATES))

    @blp.get("/login")
    def login():
        if current_principal() is not None:
            return redirect(request.script_root + safe_next(request.args.get("next")))
        return render_template("login.html", next=safe_next(request.args.get("next")))

    @blp.post("/login")
    def login_post():
        form = request.form
        login_name = form.get("login", "").strip()
        password = form.get("password", "")
        organization = form.get("organization", "").strip() or None
        next_url = safe_next(form.get("next"))
        directory: Directory = service.users
        now = datetime.now(timezone.utc)
        address = request.remote_addr

        def again(message, status, **extra):
            return render_template("login.html", error=message, login=login_name, next=next_url, **extra), status

        # Counted as failed before the check (atomic, per login and per address, on every service
        # when the broker is Redis): parallel guesses past the free ones are not checked at all.
        # Reads and the (slow, ~0.1 s) password checks run outside a transaction: on SQLite a
        # write transaction would hold the one write lock of the database meanwhile.
        counts = {"redis_client": _shared_counter(), "database": service.database}
        with service.connection(), password_check_slot() as free:
            if not free:
                return again(_("Too many sign-ins at once. Try again in %(seconds)s seconds.", seconds=1), 429)
            wait = reserve(directory, login_name, address, now, **counts)
            if wait:
                return again(_("Too many failed sign-ins. Try again in %(seconds)s seconds.", seconds=wait), 429)
            rows = [r for r in directory.rows_of_login(login_name) if organization in (None, r.organization)]
            if not any(r.password_hash for r in rows):
                burn_time(password)  # an unknown login takes as long as a wrong password
            matched = [r for r in rows if verify_password(password, r.password_hash)]
            if not matched:
                # the typed login only as a digest: people type their password there by mistake
                log.info("failed sign-in of login %s from %s", login_digest(login_name), address)
                return again(_("Wrong login or password."), 401)
            succeeded(directory, login_name, address, **counts)
            if len(matched) > 1:
                # The same login and password in several organisations: the person chooses.
                return again(None, 200, organizations=[r.organization for r in matched])
            session_id = sign_in(matched[0], started_at=now)
            with service.unit_of_work() as uow:
                start_session(uow=uow, organization=matched[0].organization, login=matched[0].login,
                              session_id=session_id, started_at=now)
        log.info("%s of %s signed in", matched[0].login, matched[0].organization)
        return redirect(request.script_root + next_url, code=303)  # under a proxy's path prefix too

    @blp.post("/logout")
    def logout():
        claims = session.get("who") or {}
        if claims.get("s") and current_principal() is not None:
            # ended here and, through user.signed_out, on every service of the installation
            with service.command() as uow:
                end_session(uow=uow, organization=claims["o"], login=claims["l"], session_id=claims["s"],
                            started_at=datetime.fromisoformat(claims["t"]))
        sign_out()
        return redirect(url_for(f"{SHELL}.login"), code=303)

    def _shared_counter():
        # the installation's Redis (the broker), which every service shares; None: this service's table
        return getattr(current_app.extensions.get("huifang_broker"), "client", None)

    return blp


#: Endpoints a signed-out visitor may open.
PUBLIC_ENDPOINTS = {f"{SHELL}.login", f"{SHELL}.login_post", "static"}


@dataclass(frozen=True)
class ServiceLink:
    name: str
    title: str
    url: str
    current: bool


# -- the hook create_service_app calls ------------------------------------------------------------

def init_app(app: Flask, service, page_blueprints: Iterable[Blueprint] = ()) -> None:
    """Gives `app` the sign-in pages, the session, CSRF, languages, the shell and `page_blueprints`."""
    settings = app.config["HUIFANG_SETTINGS"]
    page_blueprints = list(page_blueprints)
    app.secret_key = settings.secret_key
    app.config["SECRET_KEY_FALLBACKS"] = list(settings.verifying_keys[1:])  # sessions signed with an older key
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=IDLE_TIMEOUT, SESSION_REFRESH_EACH_REQUEST=True,
    )
    app.session_interface = PageSessionInterface()
    # The app's own /static/ route serves shared/web/static (the stylesheet, vendored htmx).
    app.static_folder = str(STATIC)
    directories = [str(TRANSLATIONS)]
    own = ROOT / "services" / service.name / "translations"
    if own.is_dir():
        directories.append(str(own))
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: settings.timezone,
          default_locale=DEFAULT_LOCALE, default_translation_directories=";".join(directories))
    app.jinja_env.filters.update(format_date=format_date, format_datetime=format_datetime,
                                 format_decimal=format_decimal)

    for blp in (_shell_blueprint(service), *page_blueprints):
        answer_errors_as_pages(blp)
        app.register_blueprint(blp)
    for code in (404, 405):
        app.register_error_handler(code, functools.partial(not_found_or_problem, app))

    @app.before_request
    def _page_guard():
        if not is_page_path(request.path):
            return None
        requested = normalise_language(request.args.get("lang"))
        if requested:
            session["lang"] = requested
        principal = principal_of_session(service)
        if principal is not None:
            g.page_principal = g.principal = principal
        if request.method not in SAFE_METHODS:
            submitted = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
            if not csrf_matches(session.get("csrf"), submitted):
                g.csrf_refused = True
                abort(400)
        if principal is None and request.endpoint not in PUBLIC_ENDPOINTS:
            target = request.full_path.rstrip("?") if request.method in SAFE_METHODS else request.path
            return redirect(url_for(f"{SHELL}.login", next=target), code=303)
        return None

    @app.context_processor
    def _shell_context():
        if not is_page_path(request.path):
            return {}
        return _template_context(service, settings)

    check_every_page_has_roles(app, [blp.name for blp in page_blueprints])


def _template_context(service, settings) -> dict:
    principal = current_principal()
    row = g.get("page_person")
    current = get_locale()
    locale = "zh_CN" if current is None or current.language == "zh" else "en"
    links = [ServiceLink(name=name, title=str(SERVICE_TITLES[name]), url=settings.public_url(name),
                         current=name == service.name) for name in SERVICES]
    user = None
    if principal is not None:
        user = {"login": principal.login, "organization": principal.organization, "role": principal.role,
                "display_name": (row.name if row is not None and row.name else principal.login)}
    return {
        "csrf_token": csrf_token, "csrf_field": csrf_field, "can": can, "may": may, "role_label": role_label,
        "current_user": user, "service_name": service.name, "service_title": str(SERVICE_TITLES.get(service.name, "")),
        "service_links": links, "languages": LANGUAGES, "language": locale,
        "html_lang": "zh-CN" if locale.startswith("zh") else "en", "language_url": language_url,
        "static_url": lambda filename: url_for("static", filename=filename),
        "today": datetime.now(settings.tz).date(),
    }


# -- what every service's page views ask of the request -----------------------------------------

def service():
    """Gives the service the app serves."""
    return current_app.extensions["huifang_service"]


def settings():
    """Gives the settings of the app."""
    return current_app.config["HUIFANG_SETTINGS"]


def me() -> Principal | None:
    """Gives who is signed in (the page guard has made sure someone is)."""
    return current_principal()


def now() -> datetime:
    """Gives now by the service's clock (a test may set it), in the installation's zone."""
    return service().clock().astimezone(settings().tz)


#: The highest page number a list page takes: a list past it is empty anyway, and the offset it
#: makes must fit the databases' 64-bit integer (SQLite refuses a larger one: a 500).
MAX_PAGE = 1_000_000


def page_number(name: str = "page") -> int:
    """Gives the page of a list the request asks for (`?page=`), 1 to MAX_PAGE; 1 when unreadable."""
    page = request.args.get(name, 1, type=int) or 1
    return min(max(1, page), MAX_PAGE)


def is_htmx() -> bool:
    """Gives True when htmx asked (a fragment is enough)."""
    return request.headers.get("HX-Request") == "true"
