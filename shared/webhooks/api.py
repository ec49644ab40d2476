"""`/api/v1/webhooks` on every service: an organisation's webhook endpoints (shared/webhooks/endpoints.py).

Admins (their own organisation) and the integration token (`?organization=`) list, add,
change (enable, disable), test them, read each endpoint's delivery log and send a delivery
again. An endpoint added on one service reaches the other two as `webhook.endpoint_updated`;
each service's log holds the deliveries of the events *it* produced.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared.webhooks.deliveries import delivery_log, resend
from shared.webhooks.endpoints import add_endpoint, get_endpoint, list_endpoints, public_view, update_endpoint
from shared.webhooks.sender import send_test
from shared.web.apidocs import path_parameter
from shared.core.schemas import QueryArgs, StrictBoolean, Timestamp
from shared.web.api import organization_of_request, principal, roles_required, total_count

#: Who manages an organisation's webhooks.
MANAGERS = ("admin", "integration")

ENDPOINT_ID = path_parameter("endpoint_id", "ep_4f1c2b9a7d3e5f60a1b2", "the endpoint's id")
DELIVERY_ID = path_parameter("delivery_id", "msg_0f8e2d4c6b1a49e7a3c5d7f9b2e4a6c8",
                             "the delivery's id (its webhook-id header)")


class WebhookNewEndpointSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    types = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=lambda: ["*"])
    enabled = StrictBoolean(load_default=True)
    description = fields.String(load_default="", validate=validate.Length(max=200))


class WebhookEndpointChangeSchema(Schema):
    url = fields.String(validate=validate.Length(min=1, max=2000))
    types = fields.List(fields.String(validate=validate.Length(min=1, max=100)))
    enabled = StrictBoolean()
    description = fields.String(validate=validate.Length(max=200))


class WebhookEndpointSchema(Schema):
    id = fields.String()
    organization = fields.String()
    url = fields.String()
    types = fields.List(fields.String())
    enabled = fields.Boolean()
    description = fields.String()
    disabled_reason = fields.String(allow_none=True)
    updated_at = Timestamp()


class WebhookCreatedEndpointSchema(WebhookEndpointSchema):
    #: Shown in this answer only: keep it where the receiver can verify signatures with it.
    secret = fields.String()


class WebhookAttemptSchema(Schema):
    attempt = fields.Integer()
    at = Timestamp()
    status = fields.Integer(allow_none=True)
    latency_ms = fields.Integer()
    error = fields.String(allow_none=True)
    answer = fields.String()


class WebhookDeliverySchema(Schema):
    id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    state = fields.String()
    attempts = fields.Integer()
    created_at = Timestamp()
    next_attempt_at = Timestamp(allow_none=True)
    finished_at = Timestamp(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    log = fields.List(fields.Nested(WebhookAttemptSchema))


class WebhookDeliveryArgs(QueryArgs):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class WebhookTestAnswerSchema(Schema):
    delivery_id = fields.String()
    ok = fields.Boolean()
    status = fields.Integer(allow_none=True)
    latency_ms = fields.Integer()
    answer = fields.String()
    error = fields.String(allow_none=True)


class WebhookResentSchema(Schema):
    id = fields.String()
    state = fields.String()


def webhooks_blueprint(service) -> Blueprint:
    """Gives the `/api/v1/webhooks` blueprint of `service`."""
    blp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks",
                    description="Webhook endpoints of the organisation: the events Huifang produces, signed "
                                "(Standard Webhooks), with retries and a delivery log (docs/WEBHOOKS.md).")

    def view(record: dict) -> dict:
        with service.connection():
            row = service.webhooks.Endpoint.get(service.webhooks.Endpoint.endpoint_id == record["endpoint_id"])
        return public_view(row)

    @blp.route("")
    class Endpoints(MethodView):
        @blp.arguments(QueryArgs, location="query")
        @blp.response(200, WebhookEndpointSchema(many=True))
        @roles_required(*MANAGERS)
        def get(self, _args):
            """List the organisation's endpoints (without their secrets)."""
            rows = service.run(list_endpoints, organization=organization_of_request())
            total_count(len(rows))
            return [public_view(row) for row in rows]

        @blp.arguments(WebhookNewEndpointSchema, example={
            "url": "https://erp.acme.example/huifang/webhooks", "types": ["callback.completed", "complaint.*"],
            "description": "ERP"})
        @blp.response(201, WebhookCreatedEndpointSchema)
        @roles_required(*MANAGERS)
        def post(self, body):
            """Add an endpoint; the answer carries its `secret`, shown this once.

            `types`: event types or patterns (`complaint.*`, `*`). `422` when the URL is not
            http(s) or leads to a loopback, private or link-local address (unless
            `HUIFANG_WEBHOOK_ALLOW_PRIVATE=1`).
            """
            organization = organization_of_request()
            with service.command() as uow:  # the change and its audit entry commit together
                record = add_endpoint(uow=uow, organization=organization, **body)
                uow.audit(principal(), organization=organization, action="webhook.changed",
                          subject=record["endpoint_id"],
                          detail={"added": True, "enabled": record["enabled"]})
            return {**view(record), "secret": record["secret"]}

    @blp.route("/<endpoint_id>", parameters=[ENDPOINT_ID])
    class Endpoint(MethodView):
        @blp.arguments(QueryArgs, location="query")
        @blp.response(200, WebhookEndpointSchema)
        @roles_required(*MANAGERS)
        def get(self, _args, endpoint_id):
            """One endpoint (without its secret)."""
            row = service.run(get_endpoint, organization=organization_of_request(), endpoint_id=endpoint_id)
            return public_view(row)

        @blp.arguments(WebhookEndpointChangeSchema, example={"enabled": False})
        @blp.response(200, WebhookEndpointSchema)
        @roles_required(*MANAGERS)
        def patch(self, body, endpoint_id):
            """Change an endpoint: disable it (`{"enabled": false}`), enable it again, its URL or types."""
            organization = organization_of_request()
            with service.command() as uow:  # the change and its audit entry commit together
                record = update_endpoint(uow=uow, organization=organization, endpoint_id=endpoint_id, **body)
                uow.audit(principal(), organization=organization, action="webhook.changed", subject=endpoint_id,
                          detail={"changed": sorted(body)})
            return view(record)

    @blp.route("/<endpoint_id>/test", parameters=[ENDPOINT_ID])
    class Test(MethodView):
        @blp.arguments(QueryArgs, location="query")
        @blp.response(200, WebhookTestAnswerSchema)
        @roles_required(*MANAGERS)
        def post(self, _args, endpoint_id):
            """Post a signed `webhook.test` envelope to the endpoint now; give how it went (logged too)."""
            return send_test(service, organization=organization_of_request(), endpoint_id=endpoint_id)

    @blp.route("/<endpoint_id>/deliveries", parameters=[ENDPOINT_ID])
    class Deliveries(MethodView):
        @blp.arguments(WebhookDeliveryArgs, location="query")
        @blp.response(200, WebhookDeliverySchema(many=True))
        @roles_required(*MANAGERS)
        def get(self, args, endpoint_id):
            """The endpoint's delivery log on this service, newest first: each delivery with its attempts
            (time, status, latency, the start of the answer)."""
            rows = service.run(delivery_log, organization=organization_of_request(),
                               endpoint_id=endpoint_id, limit=args["limit"])
            total_count(len(rows))
            return rows

    @blp.route("/<endpoint_id>/deliveries/<delivery_id>/resend", parameters=[ENDPOINT_ID, DELIVERY_ID])
    class Resend(MethodView):
        @blp.arguments(QueryArgs, location="query")
        @blp.response(202, WebhookResentSchema)
        @roles_required(*MANAGERS)
        def post(self, _args, endpoint_id, delivery_id):
            """Send a delivery again (same `webhook-id`), with a new round of retries."""
            return service.run(resend, organization=organization_of_request(), endpoint_id=endpoint_id,
                               delivery_id=delivery_id)

    return blp
