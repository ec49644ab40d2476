"""What every API route of every service stands on: the bearer token checked before the route,
its roles, the organisation it acts for, and the size of a list.

Routes declare who may call them with `@roles_required(...)`; `init_app` refuses to start an app
with an /api/ route that forgot (deny by default). The role is checked before the body is read,
so a caller who may not act learns nothing about the fields.
"""
from __future__ import annotations

import functools
import time
from datetime import timedelta

from flask import Flask, after_this_request, g, request
from flask_smorest import abort

from shared.core.errors import InvalidInput
from shared.core.event_fields import NUL, ORG_PATTERN, nul_errors
from shared.core.logs import current_event_id
from shared.web import apidocs
from shared.users import integration_tokens
from shared.web.auth import ALL_ORGANIZATIONS, AuthError, Principal, verify_token
from shared.web.problems import problem

#: Answered without a token: health, the OpenAPI document and its browsable reference.
PUBLIC_PATHS = {"/healthz", "/readyz", "/api/v1/openapi.json", apidocs.DOCS_PATH}


def refuse_if_revoked(service, who: Principal) -> None:
    """Raises AuthError 401 when `who` holds a signed token issued before the person's tokens were
    revoked (the directory's `tokens_not_before`), or of a person the directory
    has deactivated (as their page sessions end); or an organisation's integration token that was
    revoked, or has no id (shared/users/integration_tokens.py), whose use it records."""
    if who.issued_at is None:
        return
    if who.role == "integration" and who.organization != ALL_ORGANIZATIONS:
        if not who.token_id:
            raise AuthError(401, "This integration token cannot be revoked (it was issued before tokens had ids); "
                                 "ask your administrator for a new one (`make integration-token ORG=...`).")
        if integration_tokens.refused(service.users, who.token_id, who.organization):
            raise AuthError(401, "This integration token was revoked; ask your administrator for a new one "
                                 "(`make integration-token ORG=...`).")
        with service.database.atomic():
            integration_tokens.note_use(service.users, who.token_id, service.clock())
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
        # to `default` silently answered an ERP's list reads with nothing.
        organization = requested or request.args.get("organization")
        if not organization:
            raise InvalidInput("The integration token names the organisation it acts for: add "
                               "?organization=<slug> (e.g. ?organization=acme-electric).", field="organization")
        if not ORG_PATTERN.match(organization):
            raise InvalidInput("organization must be a lower-case slug like acme-electric.", field="organization")
        return organization
    # a token of one organisation (a person's, or an organisation's integration token) asking for
    # another is refused, not silently answered with its own; a malformed
    # one is refused as the document says, whoever asks (`?organization=`)
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


def refuse_nul():
    """Gives a 422 naming each query parameter and JSON body field holding NUL, or None. No text of
    Huifang may hold it (PostgreSQL refuses it): a reply with one was a 500 there
    (events are checked by their schemas). Checked for every /api/ route, once, before the body is read."""
    found = {name: ["must not contain the NUL character (\\u0000)"]
             for name, value in request.args.items(multi=True) if NUL in name or NUL in value}
    if request.is_json:
        found.update(nul_errors(request.get_json(silent=True) or {}))
    if found:
        return problem(422, "Unprocessable Entity", "Text must not contain the NUL character (\\u0000).", found)
    return None


def roles_of(app: Flask, endpoint: str | None, method: str):
    view = app.view_functions.get(endpoint) if endpoint else None
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    target = getattr(view_class, method.lower(), None) if view_class else view
    return getattr(target, "_huifang_roles", None)


def check_every_route_has_roles(app: Flask) -> None:
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


def authenticate_requests(app: Flask, service, settings) -> None:
    """Checks the bearer token and the route's roles of every /api/ request, before the route."""

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
        roles = roles_of(app, request.endpoint, request.method)
        if roles is not None and g.principal.role not in roles:
            return problem(403, "Forbidden",
                           f"Role '{g.principal.role}' may not do this; it needs one of: {', '.join(roles)}.")
        return refuse_nul()
