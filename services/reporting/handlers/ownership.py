"""Issue 18 in the read model: a complaint whose verification callback found nobody after every
attempt (complaint.verification_unreachable), its broken promises (complaint.promise_broken); its
closure reason comes with complaint.closed."""
from __future__ import annotations

from shared.events import Event
from shared.service import UnitOfWork

from .complaints import _complaint
from .rows import utc


def on_complaint_verification_unreachable(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps when the complaint's verification callback last found nobody (the report counts them)."""
    complaint = _complaint(uow, event)
    complaint.verification_unreachable_at = utc(event.data.get("unreachable_at") or event.time or uow.now,
                                                uow.settings.tz)
    complaint.save()


def on_complaint_promise_broken(*, uow: UnitOfWork, event: Event) -> None:
    """Counts a promise made to the complaint's customer and not kept in time (the report lists them)."""
    complaint = _complaint(uow, event)
    complaint.promises_broken = (complaint.promises_broken or 0) + 1
    complaint.save()
