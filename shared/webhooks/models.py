"""The webhook tables of one service's database: endpoints (a copy in every service), deliveries
(one event to one endpoint, until delivered or dead) and the delivery log (one row per attempt)."""
from __future__ import annotations

import peewee

from shared.core.fields import ORG, UTCDateTimeField

#: A delivery's states.
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
#: Characters of an answer kept in the log.
ANSWER_KEEP = 500


def endpoint_model(database) -> type[peewee.Model]:
    """Gives the table of an organisation's endpoints (a copy in every service)."""

    class WebhookEndpoint(peewee.Model):
        endpoint_id = peewee.CharField(max_length=64, unique=True)
        organization = peewee.CharField(**ORG)
        url = peewee.CharField(max_length=2000)
        #: JSON list of type patterns.
        types = peewee.TextField()
        secret = peewee.CharField(max_length=200)
        enabled = peewee.BooleanField(default=True)
        description = peewee.CharField(max_length=200, default="")
        disabled_reason = peewee.CharField(max_length=500, null=True)
        updated_at = UTCDateTimeField()
        # This service's own state, not carried by the event:
        #: Since when every attempt failed (None: the last one succeeded).
        failing_since = UTCDateTimeField(null=True)
        #: The admins are to be told that this service disabled the endpoint.
        notice_due = peewee.BooleanField(default=False)
        notice_claimed_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "webhook_endpoint"
            indexes = ((("organization", "enabled"), False),)

    WebhookEndpoint._meta.set_database(database)
    return WebhookEndpoint


def delivery_model(database) -> type[peewee.Model]:
    """Gives the table of deliveries: one event to one endpoint, until delivered or dead."""

    class WebhookDelivery(peewee.Model):
        #: The `webhook-id`: the same on every attempt.
        delivery_id = peewee.CharField(max_length=40, unique=True)
        endpoint_id = peewee.CharField(max_length=64)
        organization = peewee.CharField(**ORG)
        event_id = peewee.CharField(max_length=200)
        event_type = peewee.CharField(max_length=100)
        #: The exact bytes signed and posted (the envelope as JSON).
        body = peewee.TextField()
        state = peewee.CharField(max_length=16, default=PENDING)
        attempts = peewee.IntegerField(default=0)
        #: The attempt count when this round of retries began (a re-send by hand starts a new one).
        round_start = peewee.IntegerField(default=0)
        next_attempt_at = UTCDateTimeField(null=True)
        claimed_at = UTCDateTimeField(null=True)
        claimed_by = peewee.CharField(max_length=32, null=True)
        last_status = peewee.IntegerField(null=True)
        last_error = peewee.CharField(max_length=500, null=True)
        created_at = UTCDateTimeField()
        finished_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "webhook_delivery"
            indexes = ((("state", "next_attempt_at"), False), (("endpoint_id", "id"), False),
                       (("finished_at",), False))

    WebhookDelivery._meta.set_database(database)
    return WebhookDelivery


def attempt_model(database) -> type[peewee.Model]:
    """Gives the delivery log: one row per attempt."""

    class WebhookAttempt(peewee.Model):
        delivery_id = peewee.CharField(max_length=40, index=True)
        endpoint_id = peewee.CharField(max_length=64)
        organization = peewee.CharField(**ORG)
        event_type = peewee.CharField(max_length=100)
        attempt = peewee.IntegerField()
        attempted_at = UTCDateTimeField()
        status = peewee.IntegerField(null=True)
        latency_ms = peewee.IntegerField()
        error = peewee.CharField(max_length=500, null=True)
        #: The start of the answer (ANSWER_KEEP characters).
        answer = peewee.TextField(default="")

        class Meta:
            table_name = "webhook_attempt"
            indexes = ((("endpoint_id", "id"), False), (("attempted_at",), False))

    WebhookAttempt._meta.set_database(database)
    return WebhookAttempt
