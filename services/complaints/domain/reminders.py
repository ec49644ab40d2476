"""Deadline reminders: a notice `policy.notify_before` (wall-clock) before each deadline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .complaint import Complaint
from .deadlines import breach_key, pending_deadlines
from .policy import ComplaintPolicy


@dataclass(frozen=True)
class Reminder:
    """A reminder that `deadline` of a complaint is due at `due_at`.

    `key` is stable for one deadline: use it as the outbox/event id so a reminder is sent
    once however often the tick runs.
    """

    complaint_id: str
    deadline: str
    due_at: datetime
    remind_at: datetime
    level: int
    key: str


def reminder_key(complaint_id: str, deadline: str, due_at: datetime) -> str:
    """Gives the stable key of the reminder of one deadline of a complaint."""
    return f"complaint-reminder:{complaint_id}:{breach_key(deadline, due_at)}"


def reminders_due(complaint: Complaint, now: datetime, policy: ComplaintPolicy) -> list[Reminder]:
    """Gives the reminders whose time has come at `now`: deadlines pending, due within
    `policy.notify_before` and not passed yet (a passed deadline is the sweep's)."""
    out = []
    for name, due in pending_deadlines(complaint):
        remind_at = due - policy.notify_before
        if remind_at <= now < due:
            out.append(Reminder(
                complaint_id=complaint.id,
                deadline=name,
                due_at=due,
                remind_at=remind_at,
                level=complaint.level,
                key=reminder_key(complaint.id, name, due),
            ))
    return out
