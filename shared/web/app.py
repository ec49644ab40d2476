"""The app factory of every service: composes the API, its docs, auth, problem answers, health
and metrics routes, the events route, the features' APIs (webhooks, audit) and the pages.

A service's `create_app` calls `create_service_app(service, blueprints, test_config)`; it owns
nothing but its blueprints. Nothing is defined here but the composition.
"""
from __future__ import annotations

import logging

from flask import Flask
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from shared.audit.api import audit_blueprint
from shared.core.logs import configure_logging
from shared.core.manifest import subscribers
from shared.core.settings import load_settings
from shared.mesh.broker import make_broker
from shared.mesh.relay import relay_messages_once, relay_once
from shared.web import apidocs, headers, health
from shared.web import pages as pages_
from shared.web.api import authenticate_requests, check_every_route_has_roles
from shared.web.events_route import events_blueprint
from shared.web.problems import register_error_handlers
from shared.webhooks.api import webhooks_blueprint

log = logging.getLogger(__name__)

#: The largest request body accepted (a ledger import of 100,000 rows is ~6 MB).
MAX_BODY_BYTES = 32 * 1024 * 1024


def create_service_app(service, blueprints, *, test_config: dict | None = None, broker=None, pages=()) -> Flask:
    """Gives the Flask app of `service` with its blueprints, auth, errors, health and OpenAPI.

    `pages`: the service's page blueprints (shared/web/pages.py adds sign-in, session, CSRF,
    languages and the shell around them; /api/ stays bearer-token only).
    """
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
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    configure_logging()
    if service.settings is None:
        service.bind(settings)
    app.extensions["huifang_service"] = service

    if broker is None:
        broker = make_broker(settings)
    app.extensions["huifang_broker"] = broker

    def relay_now():
        # A fast path so an event does not wait for the worker's relay; failure is fine:
        # the row stays in the outbox and the worker's relay sends it later.
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
    api.register_blueprint(webhooks_blueprint(service))
    api.register_blueprint(audit_blueprint(service))
    for blp in blueprints:
        api.register_blueprint(blp)
    apidocs.document_organization_parameter(api)
    apidocs.document_problem_responses(api)

    authenticate_requests(app, service, settings)

    @app.teardown_request
    def _close(exc):
        service.release()

    register_error_handlers(app)
    health.init_app(app, service, broker, settings)
    headers.init_app(app)  # CSP, nosniff, referrer policy on every answer
    # Pages: sign-in, session cookie, CSRF, languages, the shell (after the hooks above, so
    # the database is connected before a page request reads the user directory).
    pages_.init_app(app, service, pages)

    check_every_route_has_roles(app)
    return app
