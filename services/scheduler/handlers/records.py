"""The callback records of a period (回访记录表, seed 002 4.3; seed 000 6.2.3-6.2.4 《顾客回访记录》):
every callback due in it, with its outcome, read a chunk at a time for an export."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..models import CANCELLED, CallbackTask
from .common import CHUNK, contacts_of


@dataclass(frozen=True)
class RecordFilter:
    """What a records table keeps: due from `first` to `last` (both inclusive), and the list's
    filters (business line, kind, status, agent, customer) and the branch a person sees alone."""

    first: date
    last: date
    business_line: str | None = None
    kind: str | None = None
    status: str | None = None
    agent: str | None = None
    customer_id: str | None = None
    branch: str | None = None


def _query(organization: str, filters: RecordFilter):
    task = CallbackTask
    query = task.select().where(task.organization == organization, task.due_on >= filters.first,
                                task.due_on <= filters.last)
    # a cancelled callback was never to be made: it is no record (RULES 3: it counts nowhere)
    query = query.where(task.status == filters.status) if filters.status else query.where(task.status != CANCELLED)
    for name in ("business_line", "kind", "customer_id", "branch"):
        if getattr(filters, name):
            query = query.where(getattr(task, name) == getattr(filters, name))
    if filters.agent:  # who made the call, else who it was assigned to
        query = query.where((task.completed_by == filters.agent)
                            | (task.completed_by.is_null() & (task.assigned_to == filters.agent)))
    return query.order_by(task.due_on, task.id)


def callback_records(*, organization: str, filters: RecordFilter, role: str | None):
    """Gives each callback record of the filters, by due date, as a dict of its task's columns with
    `customer` (name and phones as `role` may see them, RULES 1.4) and `agent`."""
    offset = 0
    while True:
        tasks = list(_query(organization, filters).limit(CHUNK).offset(offset))
        if not tasks:
            return
        contacts = contacts_of(organization, [t.customer_id for t in tasks], role=role)
        for t in tasks:
            yield {**t.__data__, "customer": contacts.get(t.customer_id) or {},
                   "agent": t.completed_by or t.assigned_to}
        offset += len(tasks)


__all__ = ["RecordFilter", "callback_records"]
