"""RULES 1.2: who calls whom now: an agent's (or a team's) open callbacks, when each may be called.

One query behind GET /api/v1/agents/<login>/callbacks and the workbench (工作台): open tasks
by the day they are to be called (a retry's day, else the due day), each with the next
moment inside a call window on a working day. Reads only: called in the request's
connection, outside a unit of work (on SQLite a unit of work takes the write lock).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import peewee

from ..domain.calls import in_call_window, next_call_at
from ..models import DONE, OPEN, WRONG_NUMBER, CallbackTask, call_on
from ..rules import rules_for
from .common import contacts_of


@dataclass(frozen=True)
class Scope:
    """Whose open tasks: `logins` (None: every agent's), and the unassigned ones too or not.

    A task no roster assigned (data/agents.yaml lists nobody for its line) waits for any agent.
    """

    logins: tuple[str, ...] | None = None
    unassigned: bool = False
    #: Only the tasks of this branch (a branch manager's: shared/web/branches.py), or every branch.
    branch: str | None = None

    def branches(self) -> list:
        """Gives the SQL condition of each part of the scope (None: the whole organisation).

        One condition per agent (and one for the unassigned tasks): each walks its own range of
        the (organization, assigned_to, status, call day) index, which an OR of them could not.
        """
        if self.logins is None:
            return [None]
        branches = [CallbackTask.assigned_to == login for login in self.logins]
        if self.unassigned or not self.logins:
            branches.append(CallbackTask.assigned_to.is_null())
        return branches


@dataclass
class Worklist:
    """A page of open tasks (dicts with `customer` and `next_call_at`), and what frames it."""

    rows: list[dict]
    total: int
    #: Whether now is inside a call window on a working day.
    in_window: bool
    #: The next moment inside a call window (now, when `in_window`).
    next_window_at: datetime
    windows: tuple = field(default_factory=tuple)


def agent_worklist(*, settings, organization: str, now: datetime, role: str, scope: Scope,
                   due_to: date | None = None, callable_now: bool = False, business_line: str | None = None,
                   kind: str | None = None, key_first: bool = False, limit: int = 200,
                   offset: int = 0, counted: list[int] | None = None, status: str = OPEN) -> Worklist:
    """Gives the scope's open tasks by call day (a retry counts from its next attempt).

    `callable_now`: only the tasks to call today or earlier, and none while now is outside the
    call windows (RULES 1.2: no calls in the customer's rest time), nor before the time a
    customer asked to be called (an appointment, `rescheduled`). `key_first`: on one day,
    key customers (重点客户) first. Phones as `role` may see them. `counted`: how many tasks
    each part of the scope holds up to the last day, when the caller has counted them already
    (worklist_counts' `callable_parts` with `callable_now`, else its `parts`, for the same
    filters up to today): not counted again, and the
    empty parts not read. `status`: `wrong_number` lists instead the tasks waiting for a correct
    number (待更正号码), to correct on the callback's page.
    """
    rules = rules_for(settings, organization)
    tz = settings.tz
    local = now.astimezone(tz)
    windows = rules.policy.call_windows
    in_window = in_call_window(local, windows, rules.calendar)
    frame = dict(in_window=in_window, windows=tuple(windows),
                 next_window_at=next_call_at(local, windows, rules.calendar, tz=tz))
    when = call_on()
    if callable_now and not in_window:
        return Worklist(rows=[], total=0, **frame)
    last_day = min(d for d in (due_to, local.date() if callable_now else None, date.max) if d is not None)
    queries = [query.where(when <= last_day) if last_day != date.max else query
               for query in _open_tasks(organization, scope, business_line=business_line, kind=kind,
                                        status=status)]
    if callable_now:
        queries = [query.where(_not_before_appointment(now)) for query in queries]
    if counted is None:
        total = sum(query.count() for query in queries)
    else:
        total = sum(counted)
        queries = [query for query, n in zip(queries, counted) if n] or queries[:1]
    order = (when, CallbackTask.key_customer.desc(), CallbackTask.id) if key_first else (when, CallbackTask.id)
    # rows as dicts: a model object per task costs more than reading it
    if len(queries) == 1:
        rows = list(queries[0].order_by(*order).limit(limit).offset(offset).dicts())
    else:  # each part in index order, merged: the first offset + limit of them all
        parts = [list(query.order_by(*order).limit(offset + limit).dicts()) for query in queries]
        key = (lambda t: (t["next_attempt_on"] or t["due_on"], not t["key_customer"], t["id"])) if key_first else \
            (lambda t: (t["next_attempt_on"] or t["due_on"], t["id"]))
        rows = list(heapq.merge(*parts, key=key))[offset:offset + limit]
    contacts = contacts_of(organization, [row["customer_id"] for row in rows], role=role)
    moments: dict = {}  # one per call day: most tasks share a few
    for row in rows:
        row["customer"] = contacts.get(row["customer_id"])
        day = row["next_attempt_on"] or row["due_on"]
        if day not in moments:
            moments[day] = next_call_at(local, windows, rules.calendar, not_before=day, tz=tz)
        # a customer who asked to be called at a time (`rescheduled`; inside the windows)
        appointment = row.get("appointment_at")
        row["next_call_at"] = (appointment.astimezone(tz) if appointment is not None and appointment > moments[day]
                               else moments[day])
    return Worklist(rows=rows, total=total, **frame)


def worklist_counts(*, settings, organization: str, now: datetime, scope: Scope, done_by: str | None = None,
                    business_line: str | None = None, kind: str | None = None) -> dict[str, int]:
    """Gives the workbench's counts: `due_today` (to call today, not yet overdue), `overdue`
    (open past their last day on time) and `done_today` (reached and recorded today, by
    `done_by` when given), `wrong_number` (waiting for a correct number, 待更正号码: not callable
    until the contact data is corrected); and `parts`, the open tasks to call up to today of each
    part of the scope, and `callable_parts`, those of them not waiting for a later appointment
    time today (agent_worklist's `counted`, without and with `callable_now`)."""
    local = now.astimezone(settings.tz)
    today = local.date()
    late = CallbackTask.overdue_on < today
    waiting = ~_not_before_appointment(now)
    due_today = overdue = 0
    parts, callable_parts = [], []
    for query in _open_tasks(organization, scope, business_line=business_line, kind=kind):
        on_time, past, later = (query.select(peewee.fn.SUM(peewee.Case(None, [(late, 0)], 1)),
                                             peewee.fn.SUM(peewee.Case(None, [(late, 1)], 0)),
                                             peewee.fn.SUM(peewee.Case(None, [(waiting, 1)], 0)))
                                .where(call_on() <= today).tuples().get())
        due_today, overdue = due_today + int(on_time or 0), overdue + int(past or 0)
        parts.append(int(on_time or 0) + int(past or 0))
        callable_parts.append(parts[-1] - int(later or 0))
    wrong_number = sum(query.count() for query in _open_tasks(organization, scope, business_line=business_line,
                                                              kind=kind, status=WRONG_NUMBER))
    start = datetime.combine(today, datetime.min.time(), tzinfo=settings.tz)
    done = CallbackTask.select().where(CallbackTask.organization == organization, CallbackTask.status == DONE,
                                       CallbackTask.completed_at >= start,
                                       CallbackTask.completed_at < start + timedelta(days=1))
    if done_by is not None:
        done = done.where(CallbackTask.completed_by == done_by)
    if scope.branch is not None:
        done = done.where(CallbackTask.branch == scope.branch)
    for name, value in (("business_line", business_line), ("kind", kind)):
        if value:
            done = done.where(getattr(CallbackTask, name) == value)
    return {"due_today": due_today, "overdue": overdue, "done_today": done.count(), "wrong_number": wrong_number,
            "parts": parts, "callable_parts": callable_parts}


def _not_before_appointment(now: datetime):
    """Gives the SQL condition of a task callable at `now` as far as its appointment goes: none, or
    the asked time has come (`rescheduled`: a customer asked to be called at 16:30)."""
    return CallbackTask.appointment_at.is_null() | (CallbackTask.appointment_at <= now)


def _open_tasks(organization: str, scope: Scope, *, business_line: str | None, kind: str | None,
                status: str = OPEN) -> list:
    """Gives a query of open tasks (or of another `status`) for each part of the scope."""
    queries = []
    for condition in scope.branches():
        query = CallbackTask.select().where(CallbackTask.organization == organization, CallbackTask.status == status)
        if condition is not None:
            query = query.where(condition)
        if scope.branch is not None:
            query = query.where(CallbackTask.branch == scope.branch)
        if business_line:
            query = query.where(CallbackTask.business_line == business_line)
        if kind:
            query = query.where(CallbackTask.kind == kind)
        queries.append(query)
    return queries
