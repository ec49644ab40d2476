"""The shell's error pages: an error inside a page answers as an HTML page (translated, in the
shell); the API keeps problem+json (shared/web/problems.py)."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from shared.core.errors import HuifangError
from shared.web.roles import role_label
from shared.web.session import is_page_path

log = logging.getLogger(__name__)

def answer_errors_as_pages(blp: Blueprint) -> None:
    """Errors inside a page answer as pages; the API keeps problem+json (shared/web/app.py).

    A blueprint is set up once, before its first registration (tests build many apps).
    """
    if getattr(blp, "_huifangerror_pages", False):
        return
    if blp._got_registered_once:
        raise RuntimeError(f"page blueprint {blp.name} was registered elsewhere first; pass it in pages=[...]")
    for kind in (HTTPException, HuifangError, Exception):
        blp.register_error_handler(kind, error_page)
    blp._huifangerror_pages = True


ERROR_TITLES = {
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


def error_page(exc):
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
    return render_template(template, status=status, title=str(ERROR_TITLES.get(status, ERROR_TITLES[500])),
                           detail=detail, needed_roles=needed, csrf_refused=g.get("csrf_refused", False)), status


def not_found_or_problem(app: Flask, exc: HTTPException):
    """An unknown page address opened by a browser gets the HTML 404/405 page; everything else
    (the API, a client that does not ask for HTML) keeps the app's problem+json answer."""
    if is_page_path(request.path) and request.accept_mimetypes.accept_html:
        return error_page(exc)
    for cls in type(exc).__mro__:
        handler = app.error_handler_spec[None][None].get(cls)
        if handler is not None:
            return handler(exc)
    return exc
