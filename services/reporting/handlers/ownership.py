"""Complaint ownership in the read model: a complaint whose verification callback found nobody after every
attempt (complaint.verification_unreachable), its broken promises (complaint.promise_broken), the
register of corrective actions (corrective_action.updated); the closure reason comes with complaint.closed."""
from __future__ import annotations

from shared.core.events import Event
from shared.mesh.service import UnitOfWork

import json

from ..models import CorrectiveAction
from .complaints import _complaint
from .rows import by_key, utc_moment


def on_complaint_verification_unreachable(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps when the complaint's verification callback last found nobody (the report counts them)."""
    complaint = _complaint(uow, event)
    complaint.verification_unreachable_at = utc_moment(event.data.get("unreachable_at") or event.time or uow.now,
                                                       uow.settings.tz)
    complaint.save()


def on_complaint_promise_broken(*, uow: UnitOfWork, event: Event) -> None:
    """Counts a promise made to the complaint's customer and not kept in time (the report lists them)."""
    complaint = _complaint(uow, event)
    complaint.promises_broken = (complaint.promises_broken or 0) + 1
    complaint.save()


def on_corrective_action_updated(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps a corrective action of the register, whole; an older `updated_at` than the one kept changes nothing."""
    data = event.data
    action = by_key(CorrectiveAction, organization=event.organization, action_id=data["action_id"])
    updated_at = utc_moment(data["updated_at"], uow.settings.tz)
    if action.updated_at is not None and action.updated_at > updated_at:
        return
    action.title, action.owner, action.due_on, action.status = data["title"], data["owner"], data["due_on"], \
        data["status"]
    action.origin = data.get("origin") or "manual"
    action.complaint_ids = json.dumps(list(data.get("complaint_ids") or ()), ensure_ascii=False)
    action.callback_ids = json.dumps(list(data.get("callback_ids") or ()), ensure_ascii=False)
    action.effectiveness, action.updated_at = data.get("effectiveness"), updated_at
    action.save()
