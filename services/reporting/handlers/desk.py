"""The callback desk's own events (issue 17): a declined callback counts apart from the completion rate."""
from __future__ import annotations

from shared.events import Event
from shared.service import UnitOfWork

from ..models import CANCELLED, DECLINED, Callback
from .rows import by_key, to_date


def on_callback_declined(*, uow: UnitOfWork, event: Event) -> None:
    """Marks the callback `declined` (谢绝回访): out of the month's callbacks and counted apart."""
    data, org = event.data, event.organization
    callback = by_key(Callback, organization=org, callback_id=data["callback_id"])
    callback.customer_id, callback.kind = data["customer_id"], data["kind"]
    if data.get("due_on"):
        callback.due_on = to_date(data["due_on"])
    if callback.status != CANCELLED:
        callback.status = DECLINED
    callback.save()
