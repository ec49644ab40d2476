"""complaint.raised, .escalated, .resolved, .closed, .reopened: the month's complaint analysis.

Any complaint event may carry the 2-1-1 deadlines and when they were met; each is kept when
present, whatever the order the events arrive in.
"""
from __future__ import annotations


from shared.core.events import Event
from shared.core.service_time import service_hours_between
from shared.mesh.service import UnitOfWork

from ..models import Complaint
from ..rules import calendar_of, report_policy
from .customers import save_customer
from .rows import by_key, local_date, utc_moment

#: Optional deadline fields any complaint event may carry (the 2-1-1 deadlines and when met).
_DEADLINE_FIELDS = ("first_reply_due_at", "first_reply_at", "answer_due_at", "answered_at", "verify_due_at",
                    "rework_due_at", "reworked_at", "handover_due_at", "handed_over_at")


def _complaint(uow: UnitOfWork, event: Event) -> Complaint:
    data, tz = event.data, uow.settings.tz
    complaint = by_key(Complaint, organization=event.organization, complaint_id=data["complaint_id"])
    if data.get("customer_id") and not complaint.customer_id:
        complaint.customer_id = data["customer_id"]
    if data.get("raised_at") and complaint.raised_at is None:
        complaint.raised_at = utc_moment(data["raised_at"], tz)
        complaint.raised_on = local_date(data["raised_at"], tz)
    for name in _DEADLINE_FIELDS:
        if data.get(name):
            setattr(complaint, name, utc_moment(data[name], tz))
    if data.get("churn_reason"):
        complaint.churn_reason = str(data["churn_reason"]).strip() or complaint.churn_reason
    if isinstance(data.get("level"), int):
        complaint.level = data["level"]
    if data.get("repeat") is True:
        complaint.repeat = True
    return complaint


def on_complaint_raised(*, uow: UnitOfWork, event: Event) -> None:
    data, org = event.data, event.organization
    save_customer(org, data["customer"])
    complaint = _complaint(uow, event)
    complaint.customer_id = data["customer"]["id"]
    complaint.category = data.get("category")
    complaint.customer_class = data["customer"].get("segment")
    complaint.branch = data.get("branch") or complaint.branch
    complaint.source = data.get("source") or complaint.source
    if complaint.raised_at is None:
        raised_at = data.get("raised_at") or event.time or uow.now
        complaint.raised_at = utc_moment(raised_at, uow.settings.tz)
        complaint.raised_on = local_date(raised_at, uow.settings.tz)
    if complaint.level is None:
        complaint.level = 0
    complaint.save()


def on_complaint_escalated(*, uow: UnitOfWork, event: Event) -> None:
    complaint = _complaint(uow, event)
    if isinstance(event.data.get("to_level"), int):
        complaint.level = event.data["to_level"]
    complaint.save()


def on_complaint_resolved(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps the resolving level and the service hours to resolve: as the event gives them, or
    counted on the organisation's working calendar and service hours."""
    data, settings, org = event.data, uow.settings, event.organization
    complaint = _complaint(uow, event)
    complaint.state = "resolved"
    complaint.resolved_level = data.get("level", complaint.level)
    complaint.resolved_level_role = data.get("level_role")
    complaint.resolved_at = utc_moment(data.get("resolved_at") or event.time or uow.now, settings.tz)
    if complaint.verified_at is not None and complaint.verified_at < complaint.resolved_at:
        complaint.verified_at = None  # resolved again after a reopening: a new verification is due
    hours = data.get("service_hours_to_resolve")
    if isinstance(hours, (int, float)):
        complaint.service_hours_to_resolve = float(hours)
    elif complaint.raised_at is not None and complaint.resolved_at is not None:
        complaint.service_hours_to_resolve = round(service_hours_between(
            complaint.raised_at.astimezone(settings.tz), complaint.resolved_at.astimezone(settings.tz),
            calendar=calendar_of(settings, org), service_hours=report_policy(settings, org).service_hours), 2)
    complaint.save()


def on_complaint_closed(*, uow: UnitOfWork, event: Event) -> None:
    complaint = _complaint(uow, event)
    complaint.state = "closed"
    complaint.closed_at = utc_moment(event.data.get("closed_at") or event.time or uow.now, uow.settings.tz)
    complaint.closure_reason = event.data.get("closure_reason") or complaint.closure_reason
    complaint.save()


def on_complaint_reopened(*, uow: UnitOfWork, event: Event) -> None:
    complaint = _complaint(uow, event)
    complaint.state = "open"
    complaint.reopened_count = (complaint.reopened_count or 0) + 1
    complaint.save()


def on_complaint_repeated(*, uow: UnitOfWork, event: Event) -> None:
    """Marks a repeat complaint about the same repair, with its rework deadline (RULES 1.3)."""
    save_customer(event.organization, event.data.get("customer"))
    complaint = _complaint(uow, event)
    complaint.repeat = True
    complaint.save()


def on_complaint_handed_over(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps when a hotline complaint's ticket went to an engineer (seed 001: the hand-over on-time share)."""
    _complaint(uow, event).save()


def on_complaint_deadlines_moved(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps a complaint's deadlines re-planned on the published calendar (RULES 1.6)."""
    _complaint(uow, event).save()
