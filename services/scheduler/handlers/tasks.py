"""Callback tasks: planning is a reconciliation of the tasks a rule wants now with those stored.

The domain says which callbacks a delivery, an order or a complaint needs now, and
`sync_tasks` creates the missing ones and moves those still open. So the same event twice,
events out of order and corrected dates all end in the same tasks.
"""
from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import peewee

from shared.core.db import bulk_insert, bulk_update
from shared.mesh.service import UnitOfWork

from ..domain.planned import PlannedCallback
from ..models import CANCELLED, OPEN, WRONG_NUMBER, CallbackTask, Customer
from ..rules import OrgRules
from .common import chunks, iso, rows_in

#: Ids of callback tasks are derived from what they are for, so a replay gives the same id.
_TASK_NAMESPACE_BYTES = uuid.UUID("6f1c2a8e-3b0d-4e57-9a43-5c1f0d7e2b19").bytes


#: The columns a re-planned open task may change.
_MOVED_FIELDS = ("due_on", "nominal_on", "overdue_on", "provisional", "calendar_source", "updated_at")


@dataclass(frozen=True)
class Moved:
    """An open task whose due date a re-planning changed."""

    callback_id: str
    kind: str
    was_due_on: object
    due_on: object


@dataclass
class Wanted:
    """A callback a rule wants now, with what the task row needs besides its dates."""

    plan_key: str
    planned: PlannedCallback
    customer_id: str
    business_line: str
    channel: str
    key_customer: bool
    delivery_id: str | None = None
    order_id: str | None = None
    complaint_id: str | None = None
    #: The branch of the delivery or order.
    branch: str | None = None
    #: Not callable before this moment (an immediate callback: the first call window after the
    #: completion), kept as the task's `appointment_at`.
    call_at: datetime | None = None
    #: The agent who calls it (None: the roster's agent with the fewest open callbacks).
    assigned_to: str | None = None


def task_id(organization: str, plan_key: str) -> str:
    """Gives the id of the task for `plan_key`: the same on every replay.

    str(uuid.uuid5(namespace, ...)) spelled out: the same text without two objects a task.
    """
    digest = bytearray(hashlib.sha1(_TASK_NAMESPACE_BYTES + f"{organization}\x1f{plan_key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def sync_tasks(*, uow: UnitOfWork, organization: str, wanted: list[Wanted], rules: OrgRules) -> list[Moved]:
    """Gives the open tasks moved, after creating the wanted tasks that are missing and moving
    open ones whose dates changed.

    Done, unreachable and cancelled tasks are never touched. Emits `callback.scheduled`
    for each new or moved task. An open task whose dates stay but whose calendar changed
    (a provisional year published) only has its `provisional` and `calendar_source` updated.
    """
    if not wanted:
        return []
    opted_out = _opted_out(organization, {w.customer_id for w in wanted})
    # rows as dicts: a model object per existing task costs more than the lookup
    existing = {task["plan_key"]: task for task in rows_in(
        CallbackTask, CallbackTask._meta.sorted_fields, organization=organization, key=CallbackTask.plan_key,
        values=[w.plan_key for w in wanted])}
    new_rows, moved, relabelled = [], [], []
    for w in wanted:
        task = existing.get(w.plan_key)
        p = w.planned
        if task is None:
            # declined callbacks: no survey planned from then on; a complaint's follow-ups (verification,
            # repeat-complaint special callback, promise follow-up) still are (RULES 2, seed 002 投诉100%回访)
            if w.customer_id not in opted_out or w.complaint_id is not None:
                new_rows.append(_task_row(organization, w, uow.now))
        elif task["status"] != OPEN:
            continue
        elif (task["due_on"], task["nominal_on"], task["overdue_on"]) != (p.due_on, p.nominal_on, p.overdue_on):
            moved.append(Moved(task["id"], task["kind"], task["due_on"], p.due_on))
            task.update(due_on=p.due_on, nominal_on=p.nominal_on, overdue_on=p.overdue_on,
                        provisional=p.provisional, calendar_source=p.calendar_source, updated_at=uow.now)
            relabelled.append(task)
        elif (bool(task["provisional"]), task["calendar_source"]) != (p.provisional, p.calendar_source):
            task.update(provisional=p.provisional, calendar_source=p.calendar_source, updated_at=uow.now)
            relabelled.append(task)
    _assign(organization=organization, rows=new_rows, rules=rules.with_directory(uow.users, organization))
    bulk_insert(CallbackTask, new_rows, ignore_conflicts=True)
    bulk_update(CallbackTask, set_fields=_MOVED_FIELDS, rows=[(*(t[f] for f in _MOVED_FIELDS), t["id"])
                                                              for t in relabelled])
    for row in new_rows:
        emit_scheduled(uow, row, rescheduled=False)
    moved_ids = {m.callback_id for m in moved}
    for task in relabelled:
        if task["id"] in moved_ids:
            emit_scheduled(uow, task, rescheduled=True)
    return moved


def _opted_out(organization: str, customer_ids: set[str]) -> set[str]:
    """Gives the customers among `customer_ids` who declined callbacks (谢绝回访)."""
    found: set[str] = set()
    for chunk in chunks(sorted(customer_ids)):
        found.update(row[0] for row in Customer.select(Customer.customer_id).where(
            Customer.organization == organization, Customer.customer_id.in_(chunk),
            Customer.opted_out_at.is_null(False)).tuples())
    return found


def cancel_open(*, uow: UnitOfWork, organization: str, where) -> int:
    """Gives how many open tasks matching `where` were cancelled (each announced as `callback.scheduled`).

    A task waiting for corrected contact data (`wrong_number`) is still to be made, so it
    is cancelled too: else a later phone correction would open it again for a cancelled delivery or
    a customer who declined callbacks."""
    tasks = list(CallbackTask.select().where(CallbackTask.organization == organization,
                                             CallbackTask.status.in_((OPEN, WRONG_NUMBER)), where))
    for chunk in chunks([t.id for t in tasks]):
        CallbackTask.update(status=CANCELLED, updated_at=uow.now).where(CallbackTask.id.in_(chunk)).execute()
    for task in tasks:
        emit_scheduled(uow, task.__data__, rescheduled=True, status=CANCELLED)
    return len(tasks)


def _task_row(organization: str, w: Wanted, now: datetime) -> dict:
    p = w.planned
    return {
        "id": task_id(organization, w.plan_key), "organization": organization, "plan_key": w.plan_key,
        "kind": p.kind, "business_line": w.business_line, "nominal_on": p.nominal_on, "due_on": p.due_on,
        "overdue_on": p.overdue_on, "provisional": p.provisional, "calendar_source": p.calendar_source,
        "status": OPEN, "channel": w.channel,
        "customer_id": w.customer_id, "key_customer": w.key_customer, "delivery_id": w.delivery_id,
        "order_id": w.order_id, "complaint_id": w.complaint_id, "assigned_to": w.assigned_to, "attempts": 0,
        "branch": w.branch, "appointment_at": w.call_at,
        "created_at": now, "updated_at": now,
    }


def emit_scheduled(uow: UnitOfWork, row: dict, *, rescheduled: bool, status: str | None = None) -> None:
    """Emits `callback.scheduled` for a task row (a dict of its columns), new or changed."""
    uow.emit("callback.scheduled", {
        "callback_id": row["id"], "kind": row["kind"], "due_on": iso(row["due_on"]),
        "overdue_on": iso(row["overdue_on"]), "nominal_on": iso(row["nominal_on"]),
        "provisional": bool(row["provisional"]), "calendar_source": row.get("calendar_source"),
        "status": status or row["status"], "rescheduled": rescheduled,
        "channel": row["channel"], "business_line": row["business_line"], "customer_id": row["customer_id"],
        "key_customer": bool(row["key_customer"]), "delivery_id": row["delivery_id"], "order_id": row["order_id"],
        "complaint_id": row["complaint_id"], "assigned_to": row["assigned_to"],
        "organization": row["organization"], "branch": row.get("branch"),
    }, organization=row["organization"])


def _assign(*, organization: str, rows: list[dict], rules: OrgRules) -> None:
    """Assigns each new task to the agent of its line with the fewest open tasks (counted in SQL)."""
    if not rules.agents or not rows:
        return
    logins = [login for login, _ in rules.agents]
    load = Counter({login: 0 for login in logins})
    query = (CallbackTask.select(CallbackTask.assigned_to, peewee.fn.COUNT(CallbackTask.id).alias("n"))
             .where(CallbackTask.organization == organization, CallbackTask.status == OPEN,
                    CallbackTask.assigned_to.in_(logins))
             .group_by(CallbackTask.assigned_to))
    for login, n in query.tuples():
        load[login] = n
    for row in rows:
        if row["assigned_to"]:
            continue  # planned for a given agent (the one who took the customer's question)
        candidates = rules.agents_for(row["business_line"], row.get("branch"))
        if candidates:
            chosen = min(candidates, key=lambda login: (load[login], login))
            row["assigned_to"] = chosen
            load[chosen] += 1
