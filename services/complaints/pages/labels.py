"""Names people read for the complaints service's codes, per language: the contract's families
(categories, sources, states, deadlines ...) from the shared vocabulary (shared/web/vocabulary.py),
the service's own here (history steps, deadline hints, compensation states). Chinese from the
catalogs, English the msgids. Codes stay codes in the database and the API; a code with no name is
shown as it is.

The Chinese words are the seeds': 客户投诉处理追踪表 (seed 004), 热线工单转交工程师 (seed 001).
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from shared.web import vocabulary

from services.complaints import wording

# The contract's families (categories, sources, states, answers, segments, deadlines, closure
# reasons, corrective actions) are the shared vocabulary's; this module keeps the complaints' own.
CATEGORIES = vocabulary.CATEGORIES
SOURCES = vocabulary.SOURCES
#: Sources a person raises a complaint from on the page (the others come from systems).
RAISED_BY_HAND = ("hotline", "walk_in")
STATES = vocabulary.COMPLAINT_STATES
#: The five-point scale of a callback's answers (a verification callback's).
ANSWERS = vocabulary.ANSWERS
#: Customer class of the record (客户类别): group or private.
CLASSES = vocabulary.CUSTOMER_CLASSES
SEGMENTS = vocabulary.SEGMENTS
#: The deadlines of a complaint (domain.complaint: handover, the 2-1-1 ones, investigation).
DEADLINES = vocabulary.DEADLINES
#: What each deadline asks, for the complaint page (`span`: the policy's span of service time).
DEADLINE_HINTS = {
    "handover": _l("A hotline ticket goes to an engineer within %(span)s."),
    "rework": _l("A repeat complaint about the same repair gets a special callback and rework within %(span)s."),
    "first_reply": _l("The customer gets a first reply within %(span)s."),
    "answer": _l("The handler answers the customer within %(span)s."),
    "investigate": _l("A superior who receives an escalation investigates within %(span)s."),
    "verify": _l("An agent calls the customer back within %(span)s of the resolution to confirm satisfaction."),
}
#: Steps of the history (domain.complaint actions): the words the mails use too.
ACTIONS = wording.HISTORY_STEPS
ACTION_STATUSES = vocabulary.ACTION_STATUSES
#: A compensation offered to a customer (seed 004): waiting for its approval, approved, rejected.
COMPENSATION_STATES = {
    "proposed": _l("waiting for approval"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
}
CLOSURE_REASONS = vocabulary.CLOSURE_REASONS

name_of = vocabulary.name_of


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
