"""Raise a complaint (`/complaints/new`): a hotline call or a walk-in, taken down in the fields of
the complaint record (客户投诉处理追踪表: customer, contact, details, category).

The form is checked by the API's schema (NewComplaintSchema) and raised by the API's command
(handlers.raise_complaint, announced as complaint.raised), then the complaint's page opens:
a hotline ticket shows there the countdown of its hand-over to an engineer (seed 001).
"""
from __future__ import annotations

import uuid

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from shared.core.event_fields import COMPLAINT_CATEGORIES, SEGMENTS

from .. import handlers
from ..domain.intake import check_raise
from ..rules import rules_for
from ..schemas import NewComplaintSchema
from . import labels
from .common import RAISE, blp, form_errors, me, service, settings

_SCHEMA = NewComplaintSchema()

#: What to do about each field the schema refuses, in the page's language.
FIELD_HELP = {
    "customer.id": lambda: _("Give the customer's number (as in the ERP)."),
    "customer.name": lambda: _("Give the customer's name."),
    "customer.phone": lambda: _("The phone number is too long."),
    "customer.contact_person": lambda: _("The contact person's name is too long."),
    "description": lambda: _("Describe the complaint."),
    "order_id": lambda: _("The order number is too long."),
}


def _sources() -> tuple[str, ...]:
    """Gives the sources the signed-in person may raise a complaint of here: taken by hand, and let
    to their role by the organisation's `source_roles` (as the API: domain.intake.check_raise)."""
    who = me()
    policy = rules_for(settings(), organization=who.organization).policy
    return tuple(s for s in labels.RAISED_BY_HAND if policy.may_claim_source(s, who.role))


def _form_context(given: dict, errors: dict) -> dict:
    who = me()
    policy = rules_for(settings(), organization=who.organization).policy
    handover = None
    if policy.handover is not None:
        handover = {"sources": policy.handover.sources, "span": labels.span_of(policy.handover.within)}
    return {"given": given, "errors": errors, "sources": {s: labels.SOURCES[s] for s in _sources()},
            "categories": {c: labels.CATEGORIES.get(c, c) for c in COMPLAINT_CATEGORIES},
            "segments": {s: labels.SEGMENTS.get(s, s) for s in SEGMENTS}, "handover": handover,
            "page_title": _("Raise a complaint")}


@blp.get("/complaints/new")
@RAISE
def new_complaint():
    """The form: hotline or walk-in, the customer, the complaint."""
    source, offered = request.args.get("source"), _sources()
    given = {"source": source if source in offered else (offered[0] if offered else None), "category": "other",
             "segment": "ordinary"}
    return render_template("complaints/new.html", **_form_context(given, {}))


@blp.post("/complaints/new")
@RAISE
def raise_complaint():
    """Raises the complaint (as POST /api/v1/complaints does) and opens its page."""
    form = request.form
    given = {key: form.get(key, "").strip() for key in form if key != "csrf_token"}
    source = given.get("source") if given.get("source") in labels.RAISED_BY_HAND else "hotline"
    body = {
        "customer": {"id": given.get("customer_id", ""), "name": given.get("customer_name", ""),
                     "segment": given.get("segment") or "ordinary", "phone": given.get("phone") or None,
                     "contact_person": given.get("contact_person") or None},
        "description": given.get("description", ""), "category": given.get("category") or "other",
        "source": source, "order_id": given.get("order_id") or None,
        # an id of the same form as the API's (POST /api/v1/complaints without one)
        "complaint_id": f"CMP-{uuid.uuid4().hex[:12].upper()}",
    }
    try:
        data = _SCHEMA.load(body)
    except ValidationError as exc:
        errors = form_errors(exc.normalized_messages(), FIELD_HELP)
        return render_template("complaints/new.html", **_form_context(given, errors)), 422
    who = me()
    # the source the organisation lets this role claim, checked as the API checks it (403 otherwise)
    check_raise(role=who.role, data={"source": data["source"]}, now=service().clock(),
                window_minutes=settings().raised_at_window_minutes,
                policy=rules_for(settings(), organization=who.organization).policy)
    row, _created = service().run(handlers.raise_complaint, organization=who.organization, data=data,
                                  actor=who.login, announce=True)
    return redirect(url_for(".complaint", complaint_id=row.complaint_id, done="raised"), code=303)
