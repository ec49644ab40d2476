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
"""
from __future__ import annotations

import functools
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from shared.web import vocabulary
from shared.web.auth import Principal
from shared.core.errors import HuifangError
from shared.core.events import USER_ROLES
from shared.core.settings import ROOT, SERVICES
from shared.users.store import Directory, burn_time, password_fingerprint, verify_password

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
TRANSLATIONS = HERE / "translations"

#: The blueprint of the shell (sign-in, static files); its endpoints are `huifang_pages.*`.
SHELL = "huifang_pages"
#: Languages offered, by Babel locale, each named in its own language (the switch shows these).
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
#: The session cookie: host-only, so on 127.0.0.1 one cookie serves the three ports.
SESSION_COOKIE = "huifang_session"
#: A session ends after this long without a page request (a working day), on every service.
IDLE_TIMEOUT = timedelta(hours=10)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Failed sign-ins per login and address that cost nothing; after that each one blocks the
#: next attempt for FIRST_BLOCK_S, doubling up to MAX_BLOCK_S.
FREE_FAILURES = 3
FIRST_BLOCK_S = 5
MAX_BLOCK_S = 15 * 60
#: A failure older than this is forgotten.
FORGET_FAILURES_AFTER = timedelta(hours=24)

#: Every role a person can hold: `@page_roles(*EVERY_ROLE)` for a page everyone may open.
EVERY_ROLE = USER_ROLES
#: Role names shown to people (the seeds' terms: 回访员, 服务顾问, 接待主管, 服务经理).
ROLE_NAMES = vocabulary.ROLES
#: Each service's main page, as the top bar names it.
SERVICE_TITLES = {
    "scheduler": _l("Workbench"),
    "complaints": _l("Complaint board"),
    "reporting": _l("Report room"),
}


# -- which requests are pages ------------------------------------------------------------

def is_page_path(path: str) -> bool:
    """Gives whether `path` is a page (session, CSRF, HTML) rather than the API, health or static."""
    return not (path.startswith(("/api/", "/static/")) or path in ("/api", "/healthz", "/readyz", "/metrics"))


def safe_next(target: str | None) -> str:
    """Gives `target` when it is a path on this site, else "/" (no open redirect after sign-in)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not is_page_path(parts.path) or parts.path in ("/login", "/logout"):
        return "/"
    return target


# -- the session ---------------------------------------------------------------------------

class PageSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, for pages only.

    An /api/, health or static request never reads or sets the cookie, so a session can never
    authenticate the API (bearer tokens only) and API answers carry no Set-Cookie. The
    cookie's signature holds its time: Flask refuses one older than PERMANENT_SESSION_LIFETIME,
    and each page request signs it anew, which makes that lifetime an idle timeout.
    """

    salt = "huifang-page-session"

    def open_session(self, app, request):
        if not is_page_path(request.path):
            return self.session_class()
        return super().open_session(app, request)

    def should_set_cookie(self, app, session) -> bool:
        return is_page_path(request.path) and super().should_set_cookie(app, session)

    def get_cookie_secure(self, app) -> bool:
        # Secure when served over https (directly or behind a proxy that says so).
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure \
            or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def claims_of(row) -> dict:
    """Gives what a session keeps of a signed-in person: the claims of a bearer token (login,
    role, organisation) plus the version of their directory row and of their password."""
    return {"l": row.login, "r": row.role, "o": row.organization,
            "u": row.updated_at.astimezone(timezone.utc).isoformat(), "p": password_fingerprint(row.password_hash)}


def still_valid(claims: dict, row) -> bool:
    """Gives whether a session's claims still hold against the directory row of that person.

    A row newer than the session that deactivates the person, changes their role or their
    password, or revokes their tokens and sessions (`tokens_not_before` after the session's
    start), ends the session (on every service, as the change reaches it). A missing or older
    row (the change has not arrived here yet) leaves the signed claims as they are.
    """
    if row is None:
        return True
    started = datetime.fromisoformat(claims.get("t") or claims["u"])
    if row.tokens_not_before is not None and started < row.tokens_not_before:
        return False  # an admin revoked the person's tokens and sessions
    if row.updated_at <= datetime.fromisoformat(claims["u"]):
        return True
    return bool(row.active) and row.role == claims["r"] and password_fingerprint(row.password_hash) == claims["p"]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token() -> str:
    """Gives the session's CSRF token, making one for a new session."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = new_csrf_token()
    return token


def csrf_matches(expected: str | None, submitted: str | None) -> bool:
    """Gives whether a submitted CSRF token is the session's (in constant time)."""
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), submitted.encode("utf-8"))


def csrf_field() -> Markup:
    """Gives the hidden input every state-changing form carries: `{{ csrf_field() }}`."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (CSRF_FIELD, csrf_token())


def sign_in(row) -> None:
    """Starts a fresh session for the directory row `row` (new CSRF token; language kept)."""
    language = session.get("lang")
    session.clear()
    session.permanent = True
    session["who"] = {**claims_of(row), "t": datetime.now(timezone.utc).isoformat()}  # when it started
    session["csrf"] = new_csrf_token()
    if language:
        session["lang"] = language


def sign_out() -> None:
    """Ends the session (on every service: they share the cookie); the language stays."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def current_principal() -> Principal | None:
    """Gives who is signed in on this page request, or None."""
    return g.get("page_principal")


# -- failed sign-ins -------------------------------------------------------------------------

def block_seconds(failures: int) -> int:
    """Gives how long (s) the next sign-in of a login and address waits after `failures` failures."""
    if failures < FREE_FAILURES:
        return 0
    return min(FIRST_BLOCK_S * 2 ** (failures - FREE_FAILURES), MAX_BLOCK_S)


def _throttle_key(login: str, address: str | None) -> tuple[str, str]:
    return (login or "").strip().lower()[:64], (address or "-")[:64]


def seconds_blocked(directory: Directory, login: str, address: str | None, now: datetime) -> int:
    """Gives how many seconds a sign-in of `login` from `address` must still wait (0: none)."""
    key_login, key_address = _throttle_key(login, address)
    Failure = directory.SignInFailure
    row = Failure.select().where(Failure.login == key_login, Failure.address == key_address).first()
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return 0
    return max(1, int((row.blocked_until - now).total_seconds() + 0.999))


def record_failure(directory: Directory, login: str, address: str | None, now: datetime) -> int:
    """Counts one failed sign-in; gives the seconds the next attempt must wait."""
    key_login, key_address = _throttle_key(login, address)
    Failure = directory.SignInFailure
    row = Failure.select().where(Failure.login == key_login, Failure.address == key_address).first()
    failures = 1 if row is None or now - row.last_failed_at > FORGET_FAILURES_AFTER else row.failures + 1
    wait = block_seconds(failures)
    blocked_until = now + timedelta(seconds=wait) if wait else None
    if row is None:
        Failure.insert(login=key_login, address=key_address, failures=failures, last_failed_at=now,
                       blocked_until=blocked_until).on_conflict(
            conflict_target=[Failure.login, Failure.address],
            update={Failure.failures: Failure.failures + 1, Failure.last_failed_at: now,
                    Failure.blocked_until: blocked_until}).execute()
    else:
        Failure.update(failures=failures, last_failed_at=now, blocked_until=blocked_until).where(
            Failure.id == row.id).execute()
    return wait


def clear_failures(directory: Directory, login: str, address: str | None) -> None:
    key_login, key_address = _throttle_key(login, address)
    Failure = directory.SignInFailure
    Failure.delete().where(Failure.login == key_login, Failure.address == key_address).execute()


# -- roles -----------------------------------------------------------------------------------

def page_roles(*roles: str):
    """Marks a page view as open to `roles` only; anyone else gets the 403 page.

    Every view of a page blueprint needs it (deny by default: the app refuses to start
    otherwise). `@page_roles(*EVERY_ROLE)` for a page every signed-in person may open.
    """
    unknown = [r for r in roles if r not in ROLE_NAMES]
    if not roles or unknown:
        raise ValueError(f"page_roles needs roles from {list(ROLE_NAMES)}, got {roles!r}")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None or principal.role not in roles:
                g.needed_roles = roles
                abort(403)
            return view(*args, **kwargs)

        wrapper._huifang_page_roles = roles
        return wrapper

    return decorator


#: Actions a template may ask about with `may(name)`, by name: the roles that may do each.
ACTIONS: dict[str, tuple[str, ...]] = {}


def define_action(name: str, *roles: str):
    """Declares an action (e.g. "complaints.escalate") and gives the decorator of its route.

    The route and the template then share one list of roles:

        ESCALATE = define_action("complaints.escalate", "advisor", "supervisor", "manager", "admin")

        @blp.post("/complaints/<id>/escalate")
        @ESCALATE
        def escalate(id): ...

        {% if may("complaints.escalate") %}<button ...>{% endif %}
    """
    ACTIONS[name] = tuple(roles)
    return page_roles(*roles)


def can(*roles: str) -> bool:
    """Gives whether the signed-in person holds one of `roles` (for templates: `can("manager")`)."""
    principal = current_principal()
    return principal is not None and principal.role in roles


def may(action: str) -> bool:
    """Gives whether the signed-in person may do `action` (declared with `define_action`)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}; declare it with shared.web.pages.define_action")
    return can(*ACTIONS[action])


def role_label(role: str | None) -> str:
    return str(ROLE_NAMES.get(role or "", role or ""))


# -- languages -------------------------------------------------------------------------------

def normalise_language(code: str | None) -> str | None:
    """Gives the Babel locale for a requested language ("en", "en-US", "zh", "zh-CN"), or None."""
    code = (code or "").strip().replace("-", "_").lower()
    if code.startswith("en"):
        return "en"
    if code.startswith("zh"):
        return "zh_CN"
    return None


def select_locale() -> str:
    """Gives the language of this request: the session's choice, else Accept-Language, else zh_CN."""
    chosen = normalise_language(request.args.get("lang")) or session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return normalise_language(best) or DEFAULT_LOCALE


def language_url(code: str) -> str:
    """Gives this page's address in language `code` (the top bar's switch)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return request.script_root + request.path + "?" + urlencode(args, doseq=True)  # under a proxy's prefix too


# -- blueprints ----------------------------------------------------------------------------

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

        # Reads and the (slow, ~0.1 s) password checks run outside a transaction: on SQLite a
        # write transaction would hold the one write lock of the database meanwhile.
        with service.connection():
            wait = seconds_blocked(directory, login_name, address, now)
            if wait:
                return again(_("Too many failed sign-ins. Try again in %(seconds)s seconds.", seconds=wait), 429)
            rows = [r for r in directory.rows_of_login(login_name) if organization in (None, r.organization)]
            if not any(r.password_hash for r in rows):
                burn_time(password)  # an unknown login takes as long as a wrong password
            matched = [r for r in rows if verify_password(password, r.password_hash)]
            if not matched:
                with service.unit_of_work():
                    record_failure(directory, login_name, address, now)
                log.info("failed sign-in of %r from %s", login_name, address)
                return again(_("Wrong login or password."), 401)
            if len(matched) > 1:
                # The same login and password in several organisations: the person chooses.
                return again(None, 200, organizations=[r.organization for r in matched])
            with service.unit_of_work():
                clear_failures(directory, login_name, address)
        sign_in(matched[0])
        log.info("%s of %s signed in", matched[0].login, matched[0].organization)
        return redirect(request.script_root + next_url, code=303)  # under a proxy's path prefix too

    @blp.post("/logout")
    def logout():
        sign_out()
        return redirect(url_for(f"{SHELL}.login"), code=303)

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
        _answer_errors_as_pages(blp)
        app.register_blueprint(blp)
    for code in (404, 405):
        app.register_error_handler(code, functools.partial(_not_found_or_problem, app))

    @app.before_request
    def _page_guard():
        if not is_page_path(request.path):
            return None
        requested = normalise_language(request.args.get("lang"))
        if requested:
            session["lang"] = requested
        principal = _principal_of_session(service)
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

    _check_every_page_has_roles(app, [blp.name for blp in page_blueprints])


def _answer_errors_as_pages(blp: Blueprint) -> None:
    """Errors inside a page answer as pages; the API keeps problem+json (shared/web/app.py).

    A blueprint is set up once, before its first registration (tests build many apps).
    """
    if getattr(blp, "_huifang_error_pages", False):
        return
    if blp._got_registered_once:
        raise RuntimeError(f"page blueprint {blp.name} was registered elsewhere first; pass it in pages=[...]")
    for kind in (HTTPException, HuifangError, Exception):
        blp.register_error_handler(kind, _error_page)
    blp._huifang_error_pages = True


def _principal_of_session(service) -> Principal | None:
    claims = session.get("who")
    if not claims:
        return None
    try:
        row = service.users.row(claims["o"], claims["l"])
        valid = still_valid(claims, row)
    except (KeyError, TypeError, ValueError):
        valid, row = False, None
    if not valid:
        sign_out()
        return None
    g.page_person = row
    return Principal(login=claims["l"], role=claims["r"], organization=claims["o"])


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


_ERROR_TITLES = {
    400: _l("The request could not be accepted"),
    401: _l("Please sign in"),
    403: _l("You may not open this page"),
    404: _l("Page not found"),
    405: _l("This action is not available here"),
    409: _l("The record has changed"),
    422: _l("Some fields need correcting"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is unavailable for a moment"),
}


def _error_page(exc):
    """Gives the HTML page of an error raised inside a page (translated, in the shell)."""
    if isinstance(exc, HTTPException):
        status, detail = exc.code or 500, None
    elif isinstance(exc, HuifangError):
        status, detail = exc.status, (exc.message or str(exc))
    else:
        status, detail = 500, None
    if status >= 500:
        log.exception("error on page %s %s", request.method, request.path, exc_info=exc)
        detail = None  # nothing of a fault of ours reaches the visitor
    template = {403: "403.html", 404: "404.html"}.get(status, "error.html")
    needed = [role_label(r) for r in g.get("needed_roles", ())]
    return render_template(template, status=status, title=str(_ERROR_TITLES.get(status, _ERROR_TITLES[500])),
                           detail=detail, needed_roles=needed, csrf_refused=g.get("csrf_refused", False)), status


def _not_found_or_problem(app: Flask, exc: HTTPException):
    """An unknown page address opened by a browser gets the HTML 404/405 page; everything else
    (the API, a client that does not ask for HTML) keeps the app's problem+json answer."""
    if is_page_path(request.path) and request.accept_mimetypes.accept_html:
        return _error_page(exc)
    for cls in type(exc).__mro__:
        handler = app.error_handler_spec[None][None].get(cls)
        if handler is not None:
            return handler(exc)
    return exc


def _check_every_page_has_roles(app: Flask, blueprint_names: list[str]) -> None:
    """Refuses to start when a page view forgot `@page_roles`: deny by default, loudly."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] not in blueprint_names or rule.endpoint.endswith(".static"):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        methods = [m.lower() for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS")]
        targets = [getattr(view_class, m, None) for m in methods] if view_class else [view]
        for target in targets:
            if target is not None and not getattr(target, "_huifang_page_roles", None):
                raise RuntimeError(f"page {rule.rule} ({rule.endpoint}) has a view without @page_roles")




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


def is_htmx() -> bool:
    """Gives True when htmx asked (a fragment is enough)."""
    return request.headers.get("HX-Request") == "true"
