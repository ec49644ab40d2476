"""Deliveries from the outbox: when a unit of work commits the events its service produces, one
`webhook_delivery` row per matching enabled endpoint is written *in the same transaction*
(shared/mesh/service.py), so a change that rolls back sends nothing."""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from shared.core.db import bulk_insert
from shared.core.events import INTERNAL_TYPES, OWN_SOURCE_PREFIX
from shared.webhooks.endpoints import matches
from shared.webhooks.endpoints_file import sync_endpoints_file
from shared.webhooks.models import PENDING, attempt_model, delivery_model, endpoint_model

#: json.dumps(envelope, ensure_ascii=False, default=str), built once.
ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"))


class Webhooks:
    """The webhook tables of one service's database, and the one write the outbox path makes."""

    def __init__(self, database):
        self.Endpoint = endpoint_model(database)
        self.Delivery = delivery_model(database)
        self.Attempt = attempt_model(database)

    @property
    def models(self) -> list:
        return [self.Endpoint, self.Delivery, self.Attempt]

    def add_deliveries(self, envelopes: list[dict], *, now: datetime, uow=None) -> int:
        """Gives how many deliveries were stored for the produced events among `envelopes`.

        Runs in the caller's transaction (Service.unit_of_work), so the deliveries commit or
        roll back with the change and its outbox rows.
        """
        produced = [e for e in envelopes if e["type"] not in INTERNAL_TYPES
                    and str(e.get("source", "")).startswith(OWN_SOURCE_PREFIX)]
        if not produced:
            return 0
        E = self.Endpoint
        organizations = {e.get("organization", "default") for e in produced}
        if uow is not None:
            for organization in sorted(organizations):
                sync_endpoints_file(uow, organization)
        endpoints = list(E.select(E.endpoint_id, E.organization, E.types)
                         .where(E.organization.in_(organizations), E.enabled == True).tuples())  # noqa: E712
        if not endpoints:
            return 0
        wanted = [(endpoint_id, organization, json.loads(types)) for endpoint_id, organization, types in endpoints]
        rows = []
        for envelope in produced:
            body = None
            for endpoint_id, organization, patterns in wanted:
                if organization == envelope.get("organization", "default") and matches(patterns, envelope["type"]):
                    body = body or ENCODER.encode(envelope)
                    rows.append({"delivery_id": new_delivery_id(), "endpoint_id": endpoint_id,
                                 "organization": organization, "event_id": envelope["id"],
                                 "event_type": envelope["type"], "body": body, "state": PENDING,
                                 "next_attempt_at": now, "created_at": now})
        bulk_insert(self.Delivery, rows)
        return len(rows)


def new_delivery_id() -> str:
    return "msg_" + uuid.uuid4().hex
