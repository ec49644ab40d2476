"""The event log: every envelope this service received, kept raw so that `rebuild` can replay it."""
from __future__ import annotations

import functools
import json

from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from shared.core.db import bulk_insert

from ..models import EventLog
from .rows import as_utc


def log_event(*, uow: UnitOfWork, event: Event) -> None:
    """Appends the envelope to the event log (once per source and id)."""
    bulk_insert(EventLog, [{"source": event.source, "event_id": event.id, "type": event.type,
                            "organization": event.organization,
                            "envelope": json.dumps(event.raw, ensure_ascii=False, default=str),
                            "received_at": as_utc(uow.now)}], ignore_conflicts=True)


def logged(apply):
    """Gives the event handler that logs the event, then applies it to the read model with `apply`."""
    @functools.wraps(apply)
    def handle(*, uow: UnitOfWork, event: Event) -> None:
        log_event(uow=uow, event=event)
        apply(uow=uow, event=event)

    return handle
