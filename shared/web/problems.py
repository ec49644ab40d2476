"""Problem answers (RFC 9457 problem+json): every error of every API route, one shape.

`register_error_handlers(app)` is the one mapping from exceptions to answers: a HuifangError's
class says its status, webargs' validation errors name each field, the database out of reach is
503 with Retry-After, anything else 500 and logged.
"""
from __future__ import annotations

import logging

import peewee
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from shared.core.errors import HuifangError, Unavailable
from shared.core.mail import MailError

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str = "", errors: dict | None = None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    return response


def _flatten_webargs(messages) -> dict:
    if not isinstance(messages, dict):
        return {"_body": messages}
    flat = {}
    for location, errs in messages.items():  # webargs nests by location (json, query, ...)
        if isinstance(errs, dict):
            for field, msgs in errs.items():
                flat[str(field)] = msgs
        else:
            flat[location] = errs
    return flat


def register_error_handlers(app: Flask) -> None:
    """Answers every error raised in a request as problem+json."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        data = getattr(exc, "data", None) or {}
        errors = _flatten_webargs(data["messages"]) if "messages" in data else None
        detail = data.get("message") or exc.description or ""
        if errors:
            detail = "Fix the fields named in errors and try again."
        status = exc.code or 500
        if status == 400 and errors:
            status = 422
        response = problem(status, exc.name, detail, errors)
        # A 405 names the methods the resource has (RFC 9110 `Allow`), as the document says.
        for name, value in exc.get_headers():
            if name.lower() in ("allow", "retry-after"):
                response.headers[name] = value
        return response

    @app.errorhandler(HuifangError)
    def _huifang_error(exc: HuifangError):
        # The one mapping from the project's errors to problem+json (their class says the status).
        if exc.status >= 500 and not isinstance(exc, (MailError, Unavailable)):
            log.exception("error on %s %s", request.method, request.path)
            return problem(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")
        return problem(exc.status, exc.title, exc.message or str(exc), exc.problem_errors())

    @app.errorhandler(RecursionError)
    def _too_deep(exc):
        # A JSON body nested thousands deep: the parser's recursion, not our fault.
        return problem(400, "Invalid JSON", "The body is nested too deeply to read.", {"_body": ["nested too deeply"]})

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def _database_unreachable(exc):
        # The database restarting or out of reach (connections dropped): nothing to fix in the
        # request; send it again. An event sent twice is handled once (the receivers' inboxes).
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        log.warning("database unavailable on %s %s: %s", request.method, request.path, first_line)
        response = problem(503, "Service Unavailable", "The database is not reachable now; try again shortly.")
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")
