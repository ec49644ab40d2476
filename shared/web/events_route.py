"""`POST /api/v1/events`: other systems post an event envelope (docs/EVENTS.md) over HTTP; it is
validated by shared.core.events, kept in the outbox and relayed to every subscriber.
"""
from __future__ import annotations

import json
from datetime import datetime

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from shared.core.errors import InvalidEvent, InvalidInput
from shared.core.events import CONSUMED_TYPES, INTERNAL_TYPES, OWN_SOURCE_PREFIX, raised_at_in_window, validate_envelope
from shared.web import apidocs
from shared.web.api import organization_of_request, principal, roles_required
from shared.web.problems import problem


class AcceptedSchema(Schema):
    id = fields.String()
    status = fields.String()


def _check_raised_by_person(envelope: dict, service) -> None:
    """Refuses a complaint.raised a person (an admin) posts that claims the manufacturer, or dates
    itself outside HUIFANG_RAISED_AT_WINDOW_MINUTES. People raise complaints
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
            if principal().organization != "*" and str(envelope["source"]).startswith(OWN_SOURCE_PREFIX):
                # an organisation's own token (a person's, or its integration token) speaks for
                # that organisation's systems, never for Huifang's services
                abort(403, message=f"The source prefix {OWN_SOURCE_PREFIX} is reserved for Huifang's services.")
            if principal().role != "integration":
                # Only the integration token may speak for Huifang's own services or send the
                # events they produce; a user could otherwise close complaints or skew reports.
                if envelope["type"] not in CONSUMED_TYPES:
                    abort(403, message=f"Only the integration token may post {envelope['type']} events.")
                if str(envelope["source"]).startswith(OWN_SOURCE_PREFIX):
                    abort(403, message=f"The source prefix {OWN_SOURCE_PREFIX} is reserved for Huifang's services.")
                if envelope["type"] == "complaint.raised":
                    _check_raised_by_person(envelope, service)
            # a person's post is audited in the same transaction; the integration token's are not
            service.accept([envelope], posted_by=principal() if principal().role != "integration" else None)
            return {"id": envelope["id"], "status": "accepted"}

    return blp
