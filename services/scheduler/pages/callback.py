"""The callback form (`/callbacks/<id>`): the customer, what the callback is for, the customer's
history, the questionnaire in order, a call timer, and the outcome.

The outcome goes to the command of POST /api/v1/callbacks/<id>/outcome (handlers.record_outcome),
checked first by the same schema (OutcomeSchema); phones are masked until someone who may see
them asks, and each look is recorded (handlers.reveal_phones).
"""
from __future__ import annotations

from datetime import datetime

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from shared.core.answers import DISSATISFIED_ANSWERS
from shared.web.roles import page_roles

from .. import handlers
from ..api.common import visible_callback
from ..handlers.common import contacts_of
from ..domain.questionnaire import SATISFACTION_SCALE, TEXT, YES_NO
from ..errors import SchedulerDomainError
from ..errors import CallbackClosed, OutcomeInvalid
from ..models import OPEN
from ..rules import rules_for
from ..schemas import ContactCorrectionSchema, OutcomeSchema
from . import labels
from .common import PAGE_READERS, RECORD_OUTCOME, REVEAL_PHONES, blp, is_htmx, me, now, service, settings
from .supervision import supervision_context

_OUTCOME = OutcomeSchema()
_CONTACT = ContactCorrectionSchema()


def _form_context(callback_id: str) -> dict:
    """Gives what the callback page shows (phones masked for everyone)."""
    who = me()
    organization = who.organization
    task = visible_callback(organization, callback_id)
    rules = rules_for(settings(), organization)
    questionnaire = handlers.questionnaire_of(organization=organization, task=task, settings=settings(), rules=rules)
    customer = contacts_of(organization, [task.customer_id], role=None).get(task.customer_id)
    subject = handlers.callback_subject(organization=organization, task=task)
    return {
        "task": task, "callback_id": task.id, "questionnaire": questionnaire, "customer": customer,
        "subject": subject,
        "phones": phone_rows(customer, subject["delivery"]),
        "history": handlers.customer_history(organization=organization, customer_id=task.customer_id,
                                             exclude_id=task.id),
        "guide_s": rules.policy.call_length_guide_s, "answers": list(labels.ANSWERS.items()),
        "dissatisfied": DISSATISFIED_ANSWERS, "today": now().date(), "SATISFACTION_SCALE": SATISFACTION_SCALE,
        "TEXT": TEXT, "YES_NO": YES_NO, "is_open": task.status == OPEN, "revealed": None,
        # an agent records only their own callbacks (or an unassigned one of their line)
        "may_record": handlers.may_record(settings=settings(), users=service().users, organization=organization,
                                          task=task, login=who.login, role=who.role),
        "errors": {}, "given": {}, "page_title": _("Callback"),
        "calls": handlers.call_attempts(organization=organization, callback_id=task.id),
        "scripts": handlers.callback_scripts(
            settings=settings(), organization=organization, task=task, questionnaire=questionnaire,
            agent_name=_display_name(organization, who.login),
            customer_name=customer.get("name") if customer else None),
        "call_results": labels.CALL_RESULTS,
        # a supervisor's changes, the customer's open questions (pages/supervision.py)
        **supervision_context(organization, task),
    }


def _display_name(organization: str, login: str | None) -> str | None:
    person = service().users.get(organization, login) if login else None
    return person.display_name if person is not None else login


@blp.get("/callbacks/<callback_id>")
@page_roles(*PAGE_READERS)
def callback(callback_id):
    """The callback form: who to call, about what, the questions in order; the outcome once recorded."""
    context = _form_context(callback_id)
    context["saved"] = request.args.get("saved") == "1"
    return render_template("scheduler/callback.html", **context)


def _outcome_of(form, questionnaire) -> tuple[dict, dict]:
    """Gives (the outcome as the API's body would carry it, the fields as typed) from the form."""
    given = {key: form.get(key, "") for key in form}
    duration = form.get("duration_s", "").strip()
    outcome = {"duration_s": int(duration) if duration.isdigit() else None}
    contact = {name: form.get(f"contact_{name}", "").strip() for name in ("name", "phone", "contact_person")}
    if any(contact.values()):
        outcome["contact"] = {name: value for name, value in contact.items() if value}
    result = form.get("result")
    if result:
        # another result than answers: rescheduled with the asked time, declined, wrong number
        outcome["result"] = result
        asked = form.get("call_at", "").strip()
        if asked:
            try:
                outcome["call_at"] = datetime.fromisoformat(asked).replace(tzinfo=settings().tz).isoformat()
            except ValueError:
                outcome["call_at"] = asked  # the schema names the field
        return outcome, given
    reached = form.get("reached") == "1"
    outcome["reached"] = reached
    if not reached:
        return outcome, given
    answers = {}
    for question in questionnaire.questions:
        raw = (form.get(f"q_{question.id}") or "").strip()
        if not raw:
            continue
        # the command checks each answer against its question (a wrong one is named there)
        answers[question.id] = {"yes": True, "no": False}.get(raw, raw) if question.answer_type == YES_NO else raw
    outcome["answers"] = answers
    outcome["dissatisfied_reason"] = (form.get("dissatisfied_reason") or "").strip() or None
    return outcome, given


def _field_errors(messages: dict) -> dict[str, str]:
    """Gives the form's fields with what to do, in the page's language, from the command's errors."""
    errors = {}
    for name in messages:
        if name == "dissatisfied_reason":
            errors[name] = _("Say why the customer is dissatisfied: a dissatisfied answer needs its reason.")
        elif name.startswith("answers."):
            errors["q_" + name.split(".", 1)[1]] = _("Answer this question.")
        elif name == "duration_s":
            errors[name] = _("The call's length is not a number of seconds.")
        elif name == "call_at":
            errors[name] = _("Give a time from now on, within the period the policy plans appointments.")
        elif name in ("contact.phone", "phone"):
            errors["contact"] = _("Give the correct phone number: not empty, and not the wrong one on file.")
        elif name.startswith("contact") or name in ("name", "contact_person"):
            errors["contact"] = _("Check the corrected contact data: a phone has digits, + ( ) - and blanks only.")
        else:
            errors.setdefault("form", _("The answers could not be saved; check the questions."))
    return errors


@blp.post("/callbacks/<callback_id>/outcome")
@RECORD_OUTCOME
def record_outcome(callback_id):
    """Records one call: reached with its answers, or not reached (tried again the next working day)."""
    who = me()
    task = visible_callback(who.organization, callback_id)
    questionnaire = handlers.questionnaire_of(organization=who.organization, task=task, settings=settings(),
                                              rules=rules_for(settings(), who.organization))
    outcome, given = _outcome_of(request.form, questionnaire)

    def command():
        loaded = _OUTCOME.load(outcome)
        with service().command() as uow:
            handlers.record_outcome(uow=uow, organization=who.organization, callback_id=callback_id, outcome=loaded,
                                    recorded_by=who.login, role=who.role)
            uow.audit(who, organization=who.organization, action="callback.outcome_recorded", subject=callback_id)
    return _saved_or_again(callback_id, given, command)


def _saved_or_again(callback_id: str, given: dict, command):
    """Runs the form's `command` (it checks the form with the API's schema, then runs the API's
    command): back to the page saved (303), or the form again with each field's error (422), or
    the page saying it is closed (409)."""
    try:
        command()
    except ValidationError as exc:
        return _again(callback_id, given, exc.normalized_messages())
    except (OutcomeInvalid, SchedulerDomainError) as exc:
        return _again(callback_id, given, exc.problem_errors() or {"form": [str(exc)]})
    except CallbackClosed:
        context = _form_context(callback_id)
        context["closed_again"] = True
        return render_template("scheduler/callback.html", **context), 409
    return redirect(url_for(".callback", callback_id=callback_id, saved="1"), code=303)


def _again(callback_id: str, given: dict, messages: dict):
    """Gives the form again with what was typed and each field's error (422)."""
    context = _form_context(callback_id)
    context.update(errors=_field_errors(messages), given=given)
    return render_template("scheduler/callback.html", **context), 422


@blp.post("/callbacks/<callback_id>/contact")
@RECORD_OUTCOME
def correct_contact(callback_id):
    """Corrects the contact data of a callback waiting for a correct number: the same
    command as POST /api/v1/callbacks/<id>/contact; the callback is open again."""
    who = me()
    given = {key: request.form.get(key, "") for key in request.form}
    visible_callback(who.organization, callback_id)
    correction = {name: request.form.get(f"contact_{name}", "").strip() or None for name in ("phone", "contact_person")}
    if correction["contact_person"] is None:
        del correction["contact_person"]
    return _saved_or_again(callback_id, given, lambda: service().run(
        handlers.correct_callback_contact, organization=who.organization, callback_id=callback_id,
        correction=_CONTACT.load(correction), login=who.login, role=who.role))


@blp.post("/callbacks/<callback_id>/phones")
@REVEAL_PHONES
def reveal_phones(callback_id):
    """Shows the customer's full phone numbers and records who looked, when, at which callback."""
    who = me()
    visible_callback(who.organization, callback_id)
    with service().command() as uow:
        revealed = handlers.reveal_phones(uow=uow, organization=who.organization, callback_id=callback_id,
                                          login=who.login, role=who.role)
        uow.audit(who, organization=who.organization, action="phones.revealed", subject=callback_id)
    if is_htmx():
        return render_template("scheduler/_phones.html", revealed=revealed, callback_id=callback_id,
                               phones=phone_rows(revealed["customer"], revealed["delivery"]))
    context = _form_context(callback_id)
    context.update(revealed=revealed, phones=phone_rows(revealed["customer"], revealed["delivery"]))
    return render_template("scheduler/callback.html", **context)


def phone_rows(customer: dict | None, delivery: dict | None) -> list[tuple[str, str]]:
    """Gives (label, number) of each phone number of a callback's customer and delivery, as given
    (masked, or in full once revealed)."""
    rows, seen = [], set()
    for source, label, field in ((customer, _("Customer's phone"), "phone"),
                                 (customer, _("Site contact's phone"), "site_phone"),
                                 (delivery, _("Responsible person's phone"), "phone"),
                                 (delivery, _("Site contact's phone"), "site_phone")):
        number = (source or {}).get(field)
        if number and number not in seen:
            seen.add(number)
            rows.append((label, number))
    return rows
