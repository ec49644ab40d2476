"""A complaint's page (`/complaints/<id>`): the record of seed 004 (客户投诉处理追踪表), its
deadlines and its history as a timeline, and the steps the signed-in person may take at the
complaint's level: reply, escalate, resolve, hand over, record the churn reason.

Each step posts to its own address and runs the command the API runs (handlers.reply,
escalate, resolve, hand_over, record_churn) with `service().run`. A button the person may not
press is not shown; posting it anyway is refused by the domain (403 page).
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from shared.core.errors import Forbidden as ForbiddenPage
from shared.core.errors import NotFound as NotFoundPage
from shared.core.service_time import service_hours_between

from .. import handlers
from ..api.common import visible_complaint
from ..domain import pending_deadlines
from ..domain.complaint import CLOSED, OPEN, SYSTEM
from ..errors import Forbidden, InvalidInput, InvalidTransition
from ..domain.ownership import UNREACHABLE
from ..rules import ownership_for, rules_for
from . import labels
from .history import describe
from .common import (ACCEPT, CLOSE, DECIDE_COMPENSATION, ESCALATE, KEEP_PROMISE, MAKE_PROMISE, PROPOSE_COMPENSATION, HAND_OVER, READERS, RECORD_CHURN, REPLY, RESOLVE, RETRY_VERIFICATION,
                     REWORK, blp, countdown, may_act, me, now, service, service_clock, settings)
from shared.web.roles import page_roles

#: The deadlines of a complaint in the order they come: (name, due column, done column).
DEADLINE_COLUMNS = (
    ("handover", "handover_due_at", "handed_over_at"),
    ("rework", "rework_due_at", "reworked_at"),
    ("first_reply", "first_reply_due_at", "first_reply_at"),
    ("answer", "answer_due_at", "answered_at"),
    ("investigate", "investigate_due_at", "investigated_at"),
    ("verify", "verify_due_at", "closed_at"),
)
#: The policy's span of each deadline, for its explanation.
DEADLINE_SPANS = {"first_reply": "first_reply", "answer": "answer", "investigate": "investigate", "verify": "verify"}

#: Each form's fields, with what to do when one is missing (the domain names the field).
FIELD_HELP = {
    "reply": {"message": lambda: _("Write what the customer was told.")},
    "escalate": {"reason": lambda: _("Say why this level cannot handle the complaint.")},
    "resolve": {"root_cause": lambda: _("Say why the customer was dissatisfied (the root cause)."),
                "corrective_action": lambda: _("Say what was done so that it does not happen again.")},
    "hand_over": {"engineer": lambda: _("Name the engineer the ticket goes to.")},
    "record_churn": {"reason": lambda: _("Say why the customer left.")},
    "rework": {"note": lambda: _("Say what was done again.")},
    "accept": {},
    "close": {"reason": lambda: _("Choose a closure reason."),
              "comment": lambda: _("Say why the complaint may be closed this way.")},
    "retry_verification": {},
    "propose_compensation": {"offer": lambda: _("Say what is offered to the customer."),
                             "amount": lambda: _("Give the amount in CNY, e.g. 500.00.")},
    "decide_compensation": {},
    "make_promise": {"what": lambda: _("Say what was promised."), "to_whom": lambda: _("Say to whom."),
                     "due_at": lambda: _("Give a moment to come, e.g. 2026-11-27 17:00.")},
    "keep_promise": {},
}


def _deadlines(row, rules, moment) -> list[dict]:
    """Gives each deadline the complaint has had: due, done, met or missed, or its countdown."""
    complaint = row.to_domain(settings().tz)
    pending = dict(pending_deadlines(complaint))
    policy = rules.policy
    spans = {**{name: getattr(policy, attr) for name, attr in DEADLINE_SPANS.items()},
             "handover": policy.handover.within if policy.handover else None,
             "rework": getattr(policy, "repeat_followup", None)}
    provisional = set(getattr(complaint, "provisional_deadlines", ()) or ())
    clock = service_clock(moment, rules)
    out = []
    for name, due_column, done_column in DEADLINE_COLUMNS:
        due, done = getattr(complaint, due_column), getattr(complaint, done_column)
        if due is None:
            continue
        if name in pending:
            state, shown = "pending", countdown(name, due, clock, rules)
        elif done is not None:
            state, shown = ("met" if done <= due else "late"), None
        else:
            state, shown = "void", None  # no longer asked for (e.g. closed before it came)
        span = labels.span_of(spans.get(name))
        out.append({"name": name, "label": labels.name_of(labels.DEADLINES, name), "due_at": due, "done_at": done,
                    "state": state, "countdown": shown, "provisional": name in provisional,
                    "hint": str(labels.DEADLINE_HINTS[name]) % {"span": span} if span else ""})
    return out


def _actor_name(organization: str, actor: str, known: dict) -> tuple[str, bool]:
    """Gives (who, is_user_data): a person's name, or a translated word for the system."""
    if actor == SYSTEM:
        return _("System"), False
    if actor.startswith("callback:"):
        return _("Verification callback"), False
    if actor not in known:
        person = service().users.get(organization, actor)
        known[actor] = person.display_name if person else actor
    return known[actor], True


def _row(organization: str, complaint_id: str):
    try:
        return visible_complaint(organization, complaint_id)
    except NotFoundPage:  # of another organisation, or of another branch than the one a person manages
        raise NotFoundPage(_("There is no complaint %(id)s in your organisation.", id=complaint_id)) from None


def _context(complaint_id: str) -> dict:
    who = me()
    organization = who.organization
    moment = now()
    row = _row(organization, complaint_id)
    rules = rules_for(settings(), organization=organization, chain_name=row.chain_name, policy_name=row.policy_name)
    chain = rules.chain
    top = chain.top
    level = chain.level(min(row.level, top))
    history, known = [], {}
    for entry in handlers.history_of([row])[row.id]:
        actor, personal = _actor_name(organization, entry.actor, known)
        history.append({"at": entry.at, "actor": actor, "actor_is_data": personal, "action": entry.action,
                        "from_role": chain.role_at(entry.from_level) if entry.from_level is not None
                        and entry.from_level <= top else None,
                        "to_role": chain.role_at(entry.to_level) if entry.to_level is not None
                        and entry.to_level <= top else None,
                        "moved": entry.from_level is not None and entry.to_level != entry.from_level,
                        "reason": describe(entry.action, entry.reason)})
    end = row.resolved_at or moment
    taken = service_hours_between(row.raised_at.astimezone(settings().tz), end, calendar=rules.calendar,
                                  service_hours=rules.policy.service_hours)
    acting = may_act(rules, who.role, row.level)
    is_open = row.state == OPEN
    ownership = ownership_for(settings(), organization=organization)
    # the closure reasons this role may use; `unreachable` only once the verification found nobody
    reasons = [r for r in ownership.reasons_for(who.role) if r != UNREACHABLE or row.unreachable_at is not None]
    allowed = {
        "reply": is_open and acting,
        "escalate": is_open and acting and row.level < top,
        "resolve": is_open and acting and chain.resolves_at(row.level),  # a level that passes on cannot
        "hand_over": is_open and acting and row.handed_over_at is None,
        "rework": is_open and acting and row.rework_due_at is not None and row.reworked_at is None,
        "record_churn": acting,
        "accept": is_open and acting and not (row.owner == who.login and row.accepted_at is not None),
        # not while a compensation waits for its decision (decide it first: 409 otherwise)
        "close": row.state != CLOSED and bool(reasons) and row.compensation_state != "proposed",
        "retry_verification": row.unreachable_at is not None and row.state != CLOSED
        and who.role in ownership.closure_roles.get(UNREACHABLE, ()),
        "propose_compensation": is_open and acting and row.compensation_state != "proposed",
        "decide_compensation": row.state != CLOSED and row.compensation_state == "proposed"
        and who.role in ownership.compensation_approvers,
        "make_promise": row.state != CLOSED and acting,
        "keep_promise": row.state != CLOSED and acting,
    }
    resolver = (None, False)
    if row.resolved_by:
        resolver = _actor_name(organization, row.resolved_by, known)
    owner = _actor_name(organization, row.owner, known) if row.owner else (None, False)
    first_taker = _actor_name(organization, row.first_taker, known) if row.first_taker else (None, False)
    promises = [{"row": p, "state": "kept" if p.kept_at else "broken" if p.broken_at else "pending",
                 "due_at": p.due_at.astimezone(settings().tz),
                 "maker": _actor_name(organization, p.made_by, known)} for p in handlers.promises_of([row])[row.id]]
    return {
        "corrective_actions": handlers.actions_of_complaint(organization=organization, complaint_id=row.complaint_id),
        "promises": promises, "owner": owner, "first_taker": first_taker, "closure_reasons": reasons,
        "row": row, "customer": handlers.customer_of(row, role=who.role), "level": level, "chain": chain,
        "is_top": row.level >= top, "deadlines": _deadlines(row, rules, moment), "history": history[::-1],
        "time_taken_h": round(taken, 1), "resolver": resolver, "allowed": allowed, "acting": acting,
        "closed": row.state == CLOSED, "now": moment, "errors": {}, "given": {}, "open_form": None,
        "done": request.args.get("done"), "page_title": _("Complaint %(id)s", id=row.complaint_id),
    }


@blp.get("/complaints/<complaint_id>")
@page_roles(*READERS)
def complaint(complaint_id):
    """The complaint's record, deadlines, history, and the steps this person may take."""
    return render_template("complaints/complaint.html", **_context(complaint_id))


def _act(form_name: str, command, complaint_id: str, **fields):
    """Runs `command` of the signed-in person on the complaint; back to its page (303), or the
    page again with the form's errors (422) or the news that it changed meanwhile (409)."""
    who = me()
    _row(who.organization, complaint_id)  # a branch manager acts on their branch's
    try:
        service().run(command, organization=who.organization, complaint_id=complaint_id, actor=who.login,
                      role=who.role, **fields)
    except InvalidInput as exc:
        context = _context(complaint_id)
        helper = FIELD_HELP[form_name].get(exc.field or "")
        context.update(errors={exc.field or "form": helper() if helper else _("Check this form.")},
                       given=dict(request.form), open_form=form_name)
        return render_template("complaints/complaint.html", **context), 422
    except InvalidTransition:
        context = _context(complaint_id)
        context["changed"] = True
        return render_template("complaints/complaint.html", **context), 409
    except Forbidden:
        raise ForbiddenPage(_("This complaint is at a level your role does not hold; ask someone of that level "
                              "or higher.")) from None
    return redirect(url_for(".complaint", complaint_id=complaint_id, done=form_name), code=303)


def _text(name: str) -> str:
    return (request.form.get(name) or "").strip()


@blp.post("/complaints/<complaint_id>/reply")
@REPLY
def reply(complaint_id):
    """A reply to the customer: the first reply, then the handler's answer (or a note)."""
    answer = request.form.get("answer")
    return _act("reply", handlers.reply, complaint_id, message=_text("message"),
                answer=True if answer == "1" else None)


@blp.post("/complaints/<complaint_id>/escalate")
@ESCALATE
def escalate(complaint_id):
    """One level up: beyond this level's authority (the reason is required)."""
    return _act("escalate", handlers.escalate, complaint_id, reason=_text("reason"))


@blp.post("/complaints/<complaint_id>/resolve")
@RESOLVE
def resolve(complaint_id):
    """Resolved at this level (root cause and corrective action required); the verification
    callback then closes or reopens it."""
    return _act("resolve", handlers.resolve, complaint_id, root_cause=_text("root_cause"),
                corrective_action=_text("corrective_action"), special_remark=_text("special_remark") or None)


@blp.post("/complaints/<complaint_id>/rework")
@REWORK
def rework(complaint_id):
    """The repair of a repeat complaint was done again (返修; meets its rework deadline)."""
    return _act("rework", handlers.rework, complaint_id, note=_text("note"))


@blp.post("/complaints/<complaint_id>/hand-over")
@HAND_OVER
def hand_over(complaint_id):
    """The ticket went to an engineer (转交工程师; meets a hotline ticket's hand-over deadline)."""
    return _act("hand_over", handlers.hand_over, complaint_id, engineer=_text("engineer"))


@blp.post("/complaints/<complaint_id>/churn")
@RECORD_CHURN
def record_churn(complaint_id):
    """Why the customer left (客户流失原因)."""
    return _act("record_churn", handlers.record_churn, complaint_id, reason=_text("reason"))


@blp.post("/complaints/<complaint_id>/accept")
@ACCEPT
def accept(complaint_id):
    """The signed-in person accepts the complaint (接单): its owner from now."""
    return _act("accept", handlers.accept, complaint_id)


@blp.post("/complaints/<complaint_id>/close")
@CLOSE
def close(complaint_id):
    """Closed with a closure reason and a comment, by a role the ownership policy names (seed 002)."""
    return _act("close", handlers.close_with_reason, complaint_id, reason=_text("reason"), comment=_text("comment"))


@blp.post("/complaints/<complaint_id>/retry-verification")
@RETRY_VERIFICATION
def retry_verification(complaint_id):
    """An unreachable verification sent back for another verification callback."""
    return _act("retry_verification", handlers.retry_verification, complaint_id, comment=_text("comment"))


@blp.post("/complaints/<complaint_id>/compensation")
@PROPOSE_COMPENSATION
def propose_compensation(complaint_id):
    """A compensation proposed; promised only after the policy's approval (seed 004)."""
    return _act("propose_compensation", handlers.propose_compensation, complaint_id, offer=_text("offer"),
                amount=_text("amount") or None)


@blp.post("/complaints/<complaint_id>/compensation/decision")
@DECIDE_COMPENSATION
def decide_compensation(complaint_id):
    """The proposed compensation approved or rejected by a role the policy names (seed 004)."""
    return _act("decide_compensation", handlers.decide_compensation, complaint_id,
                approve=request.form.get("approve") == "1", note=_text("note"))


def _moment(name: str):
    """Gives the form's local date and time (`datetime-local`) as an aware moment of the installation, or None."""
    from datetime import datetime

    text = _text(name)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=settings().tz)


@blp.post("/complaints/<complaint_id>/promises")
@MAKE_PROMISE
def make_promise(complaint_id):
    """A promise made to the customer (what, to whom, by when): a deadline with a reminder and a follow-up callback."""
    return _act("make_promise", handlers.make_promise, complaint_id, what=_text("what"), to_whom=_text("to_whom"),
                due_at=_moment("due_at"))


@blp.post("/complaints/<complaint_id>/promises/<promise_id>/kept")
@KEEP_PROMISE
def keep_promise(complaint_id, promise_id):
    """A promise kept."""
    return _act("keep_promise", handlers.keep_promise, complaint_id, promise_id=promise_id, note=_text("note"))
