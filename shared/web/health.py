"""Health and metrics routes of every web process: `/healthz` (alive), `/readyz` (database and
broker answer), `/metrics` (Prometheus text, from an allowed network or with the metrics token),
and the count of every request by route.
"""
from __future__ import annotations

import time

from flask import Flask, g, jsonify, request

from shared.mesh import metrics
from shared.web.problems import problem


def init_app(app: Flask, service, broker, settings) -> None:
    """Adds the health and metrics routes and the request counter to `app`."""
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
