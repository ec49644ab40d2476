"""Names people read for the complaints service's codes (categories, sources, states, deadlines,
history steps), per language: Chinese from the service's catalog, English the msgids. Codes stay
codes in the database and the API; a code with no name here is shown as it is.

The Chinese words are the seeds': 客户投诉处理追踪表 (seed 004), 热线工单转交工程师 (seed 001).
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

#: Complaint categories (RULES 2: 投诉类别).
CATEGORIES = {
    "product_quality": _l("Product quality"),
    "service_quality": _l("Service quality"),
    "attitude": _l("Attitude"),
    "price": _l("Price"),
    "waiting_time": _l("Waiting time"),
    "other": _l("Other"),
}
#: Where a complaint came from (CONTRACT complaint.raised `source`).
SOURCES = {
    "callback": _l("Callback"),
    "hotline": _l("Hotline"),
    "manufacturer": _l("Manufacturer"),
    "walk_in": _l("Walk-in"),
    "web": _l("Web"),
    "consumer_association": _l("Consumer association"),
    "media": _l("Media"),
}
#: Sources a person raises a complaint from on the page (the others come from systems).
RAISED_BY_HAND = ("hotline", "walk_in")
STATES = {
    "open": _l("Open"),
    "resolved": _l("Resolved, awaiting verification"),
    "closed": _l("Closed"),
}
#: The five-point scale of a callback's answers (a verification callback's).
ANSWERS = {
    "very_satisfied": _l("Very satisfied"),
    "satisfied": _l("Satisfied"),
    "neutral": _l("Neutral"),
    "dissatisfied": _l("Dissatisfied"),
    "very_dissatisfied": _l("Very dissatisfied"),
}
#: Customer class of the record (客户类别): group or private.
CLASSES = {
    "group": _l("Group customer"),
    "private": _l("Private customer"),
}
SEGMENTS = {
    "vip": _l("VIP"),
    "group": _l("Group company"),
    "government": _l("Government fleet"),
    "fleet": _l("Company fleet"),
    "police": _l("Judicial and police"),
    "ordinary": _l("Ordinary"),
}
#: The deadlines of a complaint (domain.complaint: handover, the 2-1-1 ones, investigation).
DEADLINES = {
    "handover": _l("Hand-over to an engineer"),
    "rework": _l("Rework of a repeat complaint"),
    "first_reply": _l("First reply"),
    "answer": _l("Handler's answer"),
    "investigate": _l("Investigation by the superior"),
    "verify": _l("Verification callback"),
}
#: What each deadline asks, for the complaint page (`span`: the policy's span of service time).
DEADLINE_HINTS = {
    "handover": _l("A hotline ticket goes to an engineer within %(span)s."),
    "rework": _l("A repeat complaint about the same repair gets a special callback and rework within %(span)s."),
    "first_reply": _l("The customer gets a first reply within %(span)s."),
    "answer": _l("The handler answers the customer within %(span)s."),
    "investigate": _l("A superior who receives an escalation investigates within %(span)s."),
    "verify": _l("An agent calls the customer back within %(span)s of the resolution to confirm satisfaction."),
}
#: Steps of the history (domain.complaint actions).
ACTIONS = {
    "raised": _l("Raised"),
    "replied": _l("Replied to the customer"),
    "investigated": _l("Investigated"),
    "escalated": _l("Escalated"),
    "managers_notified": _l("Managers notified"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "customer_flagged": _l("Customer flagged as a key customer"),
    "handed_over": _l("Handed over to an engineer"),
    "churn_recorded": _l("Churn reason recorded"),
    "reworked": _l("Reworked"),
    "deadlines_replanned": _l("Deadlines re-planned on the published calendar"),
    "repeat_found": _l("Found to be a repeat complaint"),
    "accepted": _l("Accepted"),
    "closed_with_reason": _l("Closed with a reason"),
    "verification_unreachable": _l("Verification unreachable"),
    "verification_retried": _l("Verification tried again"),
    "compensation_proposed": _l("Compensation proposed"),
    "compensation_approved": _l("Compensation approved"),
    "compensation_rejected": _l("Compensation rejected"),
    "promise_made": _l("Promise made"),
    "promise_kept": _l("Promise kept"),
    "promise_broken": _l("Promise broken"),
}
#: A corrective action's states (issue 18, domain/corrective.py).
ACTION_STATUSES = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "done": _l("Done, to be checked"),
    "effective": _l("Effective"),
    "ineffective": _l("Not effective"),
}
#: A compensation offered to a customer (seed 004): waiting for its approval, approved, rejected.
COMPENSATION_STATES = {
    "proposed": _l("waiting for approval"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
}
#: Ways to end a complaint besides a satisfied callback (issue 18, seed 002).
CLOSURE_REASONS = {
    "anonymous": _l("Anonymous complaint"),
    "written_reply": _l("Answered in writing"),
    "no_objection": _l("No objection"),
    "not_valid": _l("Not a valid complaint"),
    "unreachable": _l("Verification unreachable"),
}


def name_of(table: dict, code) -> str:
    """Gives the name of `code` in `table` in the page's language, else the code itself."""
    if code is None:
        return ""
    return str(table.get(code, code))


def span_of(span) -> str:
    """Gives a span of service time (domain.policy.ServiceTime), or of wall-clock time (a
    timedelta), in the page's language."""
    if span is None:
        return ""
    if isinstance(span, timedelta):
        hours = span / timedelta(hours=1)
        hours = int(hours) if hours.is_integer() else round(hours, 2)
        return ngettext("%(num)s hour", "%(num)s hours", hours)
    if span.days is not None:
        return ngettext("%(num)s service day", "%(num)s service days", span.days)
    if span.minutes is not None:
        minutes = int(span.minutes) if float(span.minutes).is_integer() else span.minutes
        return ngettext("%(num)s service minute", "%(num)s service minutes", minutes)
    hours = int(span.hours) if float(span.hours).is_integer() else span.hours
    return ngettext("%(num)s service hour", "%(num)s service hours", hours)
