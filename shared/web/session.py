"""The pages' session and CSRF: a cookie signed with HUIFANG_SECRET_KEY carrying the claims of a
bearer token (login, role, organisation) and the session's id, so one sign-in is valid on all
three services; it ends after `IDLE_TIMEOUT` without a page request (each one refreshes it),
HUIFANG_SESSION_LIFETIME_HOURS after its sign-in whatever its use, and at its sign-out on every
service (the id is checked on the server: shared/users/sessions.py). The JSON API under /api/
never reads it. A CSRF token tied to the session is checked on every page request that is not
GET/HEAD/OPTIONS (form field `csrf_token` or header `X-CSRF-Token`, which htmx sends)."""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import g, request, session
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup

from shared.users.passwords import password_fingerprint
from shared.users.sessions import new_session_id, session_ended
from shared.web.auth import Principal

#: The session cookie: host-only, so on 127.0.0.1 one cookie serves the three ports.
SESSION_COOKIE = "huifang_session"
#: A session ends after this long without a page request (a working day), on every service.
IDLE_TIMEOUT = timedelta(hours=10)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_page_path(path: str) -> bool:
    """Gives whether `path` is a page (session, CSRF, HTML) rather than the API, health or static."""
    return not (path.startswith(("/api/", "/static/")) or path in ("/api", "/healthz", "/readyz", "/metrics"))


def safe_next(target: str | None) -> str:
    """Gives `target` when it is a path on this site, else "/" (no open redirect after sign-in)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):  # CR/LF would break the Location header
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not is_page_path(parts.path) or parts.path in ("/login", "/logout"):
        return "/"
    return target


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


def within_lifetime(claims: dict, lifetime: timedelta, now: datetime | None = None) -> bool:
    """Gives whether a session started (`t`) less than `lifetime` ago: however often it is used,
    a copy of the cookie is worth nothing after that."""
    started = datetime.fromisoformat(claims["t"])
    return started + lifetime > (now or datetime.now(timezone.utc))


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


def sign_in(row, *, session_id: str | None = None, started_at: datetime | None = None) -> str:
    """Starts a fresh session for the directory row `row` (new CSRF token; language kept); gives
    its id (the caller records it: shared.users.sessions.start_session)."""
    language = session.get("lang")
    session_id = session_id or new_session_id()
    session.clear()
    session.permanent = True
    started_at = started_at or datetime.now(timezone.utc)
    session["who"] = {**claims_of(row), "t": started_at.isoformat(), "s": session_id}  # when it started, its id
    session["csrf"] = new_csrf_token()
    if language:
        session["lang"] = language
    return session_id


def sign_out() -> None:
    """Ends the session (on every service: they share the cookie); the language stays."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def current_principal() -> Principal | None:
    """Gives who is signed in on this page request, or None."""
    return g.get("page_principal")


def principal_of_session(service) -> Principal | None:
    """Gives who the session says is signed in, checked against this service's copy of the directory
    (a session no longer valid is ended), or None."""
    claims = session.get("who")
    if not claims:
        return None
    try:
        lifetime = timedelta(hours=service.settings.session_lifetime_hours)
        row = service.users.row(claims["o"], claims["l"])
        # a session without an id (from before ids) or signed out on any service is over
        valid = within_lifetime(claims, lifetime) and not session_ended(service.users, claims["s"]) \
            and still_valid(claims, row)
    except (KeyError, TypeError, ValueError):
        valid, row = False, None
    if not valid:
        sign_out()
        return None
    g.page_person = row
    return Principal(login=claims["l"], role=claims["r"], organization=claims["o"])
