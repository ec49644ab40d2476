"""App factory pieces every service uses: auth, problem+json, health, OpenAPI, events route.

A service's `create_app` calls `create_service_app(service, blueprints, test_config)`; it owns
nothing but its blueprints.
"""
from __future__ import annotations

import functools
import json
import logging
import time
from datetime import datetime, timedelta

import peewee

from flask import Flask, after_this_request, g, jsonify, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint, abort
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from shared.web import apidocs
from shared.web.auth import AuthError, Principal, verify_token
from shared.core.errors import HuifangError, InvalidEvent, InvalidInput, Unavailable
from shared.core.mail import MailError
from shared.core.events import (CONSUMED_TYPES, INTERNAL_TYPES, NUL, ORG_PATTERN, OWN_SOURCE_PREFIX, nul_errors,
                     raised_at_in_window, validate_envelope)
from shared.core.logs import configure_logging
from shared.mesh.service import current_event_id

log = logging.getLogger(__name__)

#: Answered without a token: health, the OpenAPI document and its browsable reference.
PUBLIC_PATHS = {"/healthz", "/readyz", "/api/v1/openapi.json", apidocs.DOCS_PATH}
#: The largest request body accepted (a ledger import of 100,000 rows is ~6 MB).
MAX_BODY_BYTES = 32 * 1024 * 1024
PROBLEM = "application/problem+json"


def refuse_if_revoked(service, who: Principal) -> None:
    """Raises AuthError 401 when `who` holds a signed token issued before the person's tokens were
    revoked (the directory's `tokens_not_before`; issue 12, finding 14), or of a person the directory
    has deactivated (as their page sessions end)."""
    if who.issued_at is None:
        return
    gate = service.users.token_gate(who.organization, who.login)
    if gate is None:
        return
    active, cutoff = gate
    if not active:
        raise AuthError(401, "This person is deactivated in the user directory; their tokens are refused.")
    # token timestamps are whole seconds: one of the revoking second itself is refused too
    if cutoff is not None and who.issued_at < cutoff.replace(microsecond=0) + timedelta(seconds=1):
        raise AuthError(401, "This token was revoked; ask your administrator for a new one (`make token`).")


def roles_required(*roles: str):
    """Marks a view (function or MethodView method) as needing one of `roles`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal: Principal = g.principal
            if principal.role not in roles:
                abort(403, message=f"Role '{principal.role}' may not do this; it needs one of: {', '.join(roles)}.")
            return view(*args, **kwargs)

        wrapper._huifang_roles = roles
        return wrapper

    return decorator


def principal() -> Principal:
    return g.principal


def organization_of_request(requested: str | None = None) -> str:
    """Gives the organisation a request acts for: the token's, or for integration the one asked for."""
    p = principal()
    if p.organization == "*":
        # The integration token acts for every organisation: it must say which one. Falling back
        # to `default` silently answered an ERP's list reads with nothing (issue 12, finding 11).
        organization = requested or request.args.get("organization")
        if not organization:
            raise InvalidInput("The integration token names the organisation it acts for: add "
                               "?organization=<slug> (e.g. ?organization=acme-electric).", field="organization")
        if not ORG_PATTERN.match(organization):
            raise InvalidInput("organization must be a lower-case slug like acme-electric.", field="organization")
        return organization
    # a token of one organisation (a person's, or an organisation's integration token) asking for
    # another is refused, not silently answered with its own (issue 12, finding 14); a malformed
    # one is refused as the document says, whoever asks (`?organization=`: finding 20)
    requested = requested if requested is not None else request.args.get("organization")
    if requested is not None and not ORG_PATTERN.match(requested):
        raise InvalidInput("organization must be a lower-case slug like acme-electric.", field="organization")
    if requested and requested != p.organization:
        abort(403, message=f"Your token belongs to organisation '{p.organization}', not '{requested}'.")
    return p.organization


def total_count(total: int) -> None:
    """Puts the size of an unpaged list in `X-Total-Count`; list routes answer a plain list."""

    @after_this_request
    def _header(response):
        response.headers["X-Total-Count"] = str(total)
        return response


def _refuse_nul():
    """Gives a 422 naming each query parameter and JSON body field holding NUL, or None. No text of
    Huifang may hold it (PostgreSQL refuses it): a reply with one was a 500 there (issue 12,
    finding 20; events were finding 7). Checked for every /api/ route, once, before the body is read."""
    found = {name: ["must not contain the NUL character (\\u0000)"]
             for name, value in request.args.items(multi=True) if NUL in name or NUL in value}
    if request.is_json:
        found.update(nul_errors(request.get_json(silent=True) or {}))
    if found:
        return problem(422, "Unprocessable Entity", "Text must not contain the NUL character (\\u0000).", found)
    return None


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


class AcceptedSchema(Schema):
    id = fields.String()
    status = fields.String()


def _check_raised_by_person(envelope: dict, service) -> None:
    """Refuses a complaint.raised a person (an admin) posts that claims the manufacturer, or dates
    itself outside HUIFANG_RAISED_AT_WINDOW_MINUTES (issue 12, finding 4). People raise complaints
    through the complaints service's `POST /api/v1/complaints`, where its policy says who may claim
    which source; the integration token speaks for the systems that forward older ones."""
    data = envelope["data"]
    if data.get("source") == "manufacturer":
        abort(403, message="Only the integration token may post a complaint forwarded by the manufacturer; "
                           "raise it with POST /api/v1/complaints of the complaints service.")
    raised = data.get("raised_at") or envelope.get("time")  # without raised_at, the event's time dates it
    if raised:
        minutes = service.settings.raised_at_window_minutes
        if not raised_at_in_window(datetime.fromisoformat(str(raised)), now=service.clock(), window_minutes=minutes):
            raise InvalidInput(f"raised_at must lie within the last {minutes} minutes.", field="data.raised_at")


def events_blueprint(service) -> Blueprint:
    blp = Blueprint("events", __name__, url_prefix="/api/v1/events",
                    description="Post an event envelope (docs/EVENTS.md); it is kept and relayed to every "
                                "subscriber.")

    @blp.route("")
    class Events(MethodView):
        # Documented as the union of the types' envelopes (shared/web/apidocs.py); validated below by
        # shared.core.events, the one place envelopes are checked.
        @blp.doc(requestBody=apidocs.event_request_body())
        @blp.response(202, AcceptedSchema)
        @roles_required("integration", "admin")
        def post(self):
            """Accept a CloudEvents envelope: 202 even while the broker is down.

            Any type of docs/EVENTS.md but the internal `user.updated`. The integration token
            may post every one of them, for any organisation; an admin only the types other
            systems send, for their own organisation. `400`: the body is not JSON; `422`: it is
            invalid, `errors` names each bad field; nothing is stored then.
            """
            raw = request.get_data(cache=False)
            try:
                body = json.loads(raw or b"")
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                return problem(400, "Invalid JSON", f"The body is not valid JSON: {exc}", {"_body": [str(exc)]})
            try:
                envelope = validate_envelope(body)
            except InvalidEvent as exc:
                return problem(422, exc.title, "Fix the fields named in errors and post again.", exc.errors)
            if envelope["type"] in INTERNAL_TYPES:
                abort(403, message=f"{envelope['type']} events come only from Huifang's own services.")
            organization_of_request(envelope["organization"])
            if principal().role != "integration":
                # Only the integration token may speak for Huifang's own services or send the
                # events they produce; a user could otherwise close complaints or skew reports.
                if envelope["type"] not in CONSUMED_TYPES:
                    abort(403, message=f"Only the integration token may post {envelope['type']} events.")
                if str(envelope["source"]).startswith(OWN_SOURCE_PREFIX):
                    abort(403, message=f"The source prefix {OWN_SOURCE_PREFIX} is reserved for Huifang's services.")
                if envelope["type"] == "complaint.raised":
                    _check_raised_by_person(envelope, service)
            service.accept([envelope])
            if principal().role != "integration":
                from shared.audit.store import audit

                audit(service, principal(), organization=envelope["organization"], action="event.posted",
                      subject=envelope["id"], detail={"type": envelope["type"], "source": envelope["source"]})
            return {"id": envelope["id"], "status": "accepted"}

    return blp


def create_service_app(service, blueprints, *, test_config: dict | None = None, broker=None, pages=()) -> Flask:
    """Gives the Flask app of `service` with its blueprints, auth, errors, health and OpenAPI.

    `pages`: the service's page blueprints (shared/web/pages.py adds sign-in, session, CSRF,
    languages and the shell around them; /api/ stays bearer-token only).
    """
    from shared.core.settings import load_settings

    app = Flask(f"huifang.{service.name}")
    app.config.update(
        API_TITLE=f"Huifang {service.name}", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        **apidocs.app_config(service.name),  # Swagger UI at /api/v1/docs, vendored; bearer auth
    )
    if test_config:
        app.config.update(test_config)
    settings = app.config.get("HUIFANG_SETTINGS") or load_settings()
    app.config["HUIFANG_SETTINGS"] = settings
    if settings.trusted_proxies:
        # Behind nginx (deploy/nginx.conf.in): the client's address, scheme, host and the path
        # prefix of the service (X-Forwarded-Prefix becomes SCRIPT_NAME, so url_for, redirects
        # and the pages' links carry it). Believed only from that many proxies in front.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    configure_logging()
    if service.settings is None:
        service.bind(settings)
    app.extensions["huifang_service"] = service

    if broker is None:
        from shared.mesh.broker import make_broker

        broker = make_broker(settings)
    app.extensions["huifang_broker"] = broker

    def relay_now():
        # A fast path so an event does not wait for the worker's relay; failure is fine:
        # the row stays in the outbox and the worker's relay sends it later.
        from shared.core.manifest import subscribers
        from shared.mesh.outbox import relay_messages_once, relay_once

        try:
            relay_once(service.Outbox, broker, limit=50, subscribers=subscribers)
            relay_messages_once(service.OutboxMessage, broker, limit=50)
        except Exception:
            log.warning("immediate relay failed; the worker's relay will retry", exc_info=False)

    relay_now._web_relay = True
    service.on_commit[:] = [h for h in service.on_commit if not getattr(h, "_web_relay", False)] + [relay_now]

    api = Api(app, **apidocs.api_options())
    apidocs.register_event_schemas(api)
    api.register_blueprint(events_blueprint(service))
    from shared.webhooks.api import webhooks_blueprint  # here: it builds on this module

    api.register_blueprint(webhooks_blueprint(service))
    from shared.audit.store import audit_blueprint

    api.register_blueprint(audit_blueprint(service))
    for blp in blueprints:
        api.register_blueprint(blp)
    apidocs.document_organization_parameter(api)
    apidocs.document_problem_responses(api)

    @app.before_request
    def _authenticate():
        g.started = time.perf_counter()
        current_event_id.set(request.headers.get("X-Request-Id", "-"))
        service.database.connect(reuse_if_open=True)
        if request.path in PUBLIC_PATHS or not request.path.startswith("/api/"):
            return None
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        try:
            g.principal = verify_token(token, secret_key=settings.verifying_keys, api_token=settings.api_token)
            refuse_if_revoked(service, g.principal)
        except AuthError as exc:
            response = problem(exc.status, "Unauthorized", exc.detail)
            response.headers["WWW-Authenticate"] = 'Bearer realm="huifang"'
            return response
        # The role is checked before the body is validated: a caller who may not act learns
        # nothing about the fields.
        roles = _roles_of(app, request.endpoint, request.method)
        if roles is not None and g.principal.role not in roles:
            return problem(403, "Forbidden",
                           f"Role '{g.principal.role}' may not do this; it needs one of: {', '.join(roles)}.")
        return _refuse_nul()

    @app.teardown_request
    def _close(exc):
        service.release()

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
        # A 405 names the methods the resource has (RFC 9110 `Allow`; issue 12, finding 20).
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
        # A JSON body nested thousands deep (issue 12, finding 2): the parser's recursion, not our fault.
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

    from shared.mesh import metrics

    metrics.configure(settings, service.name)

    @app.after_request
    def _count(response):
        rule = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        started = g.get("started")
        metrics.observe_request(service.name, request.method, rule, response.status_code,
                                time.perf_counter() - started if started else 0.0)
        return response

    @app.get("/metrics")
    def metrics_text():
        # Not under /api/: Prometheus scrapes with a network rule or its own token, never a user's.
        if not metrics.allowed(settings, request.remote_addr, request.headers.get("Authorization")):
            return problem(403, "Forbidden", "Metrics are read from an allowed network (HUIFANG_METRICS_ALLOW) "
                                             "or with the metrics token (HUIFANG_METRICS_TOKEN).")
        return app.response_class(metrics.exposition(service, broker), mimetype=None,
                                  headers={"Content-Type": metrics.CONTENT_TYPE})

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=service.name)

    @app.get("/readyz")
    def readyz():
        checks = {}
        try:
            service.database.execute_sql("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        checks["broker"] = broker_ping(broker)
        ok = all(v == "ok" for v in checks.values())
        response = jsonify(status="ready" if ok else "not ready", checks=checks)
        response.status_code = 200 if ok else 503
        return response

    # Pages: sign-in, session cookie, CSRF, languages, the shell (after the hooks above, so
    # the database is connected before a page request reads the user directory).
    from shared.web import pages as pages_

    pages_.init_app(app, service, pages)

    _check_every_route_has_roles(app)
    return app


def broker_ping(broker) -> str:
    try:
        client = getattr(broker, "client", None)
        if client is not None:
            client.ping()
        else:
            broker.connection  # RabbitMQ: opens (or reuses) a connection
        return "ok"
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"


def _roles_of(app: Flask, endpoint: str | None, method: str):
    view = app.view_functions.get(endpoint) if endpoint else None
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    target = getattr(view_class, method.lower(), None) if view_class else view
    return getattr(target, "_huifang_roles", None)


def _check_every_route_has_roles(app: Flask) -> None:
    """Refuses to start when an /api/ route forgot its roles: deny by default, loudly."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in PUBLIC_PATHS or "openapi" in rule.rule:
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        methods = [m.lower() for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS")]
        targets = [getattr(view_class, m, None) for m in methods] if view_class else [view]
        for target in targets:
            if target is not None and not getattr(target, "_huifang_roles", None):
                raise RuntimeError(f"route {rule.rule} has a method without @roles_required")
