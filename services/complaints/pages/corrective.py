"""The register of corrective actions (纠正预防措施台账, `/corrective-actions`): each action
with its owner, due date, status, the check that it worked and the complaints behind it; overdue ones
marked. The policy's corrective roles open and check actions; an action's owner moves its status.
A meeting's decisions (date, decision, who) are recorded on an action. Each form runs the command the API
runs (handlers.open_action, update_action, check_action, record_decision)."""
from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from shared.core.errors import Forbidden as ForbiddenPage
from shared.web.roles import page_roles

from .. import handlers
from ..domain.corrective import MANUAL_STATUSES
from ..errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from ..rules import ownership_for
from .common import MANAGE_ACTIONS, READERS, blp, me, now, service, settings


def _context(**extra) -> dict:
    who = me()
    policy = ownership_for(settings(), organization=who.organization)
    today = now().astimezone(settings().tz).date()
    rows = handlers.list_actions(organization=who.organization)
    actions = [{"row": row, "overdue": row.to_domain(settings().tz).overdue(today),
                "may_move": row.status in MANUAL_STATUSES and (row.owner == who.login
                                                               or who.role in policy.corrective_roles),
                "may_check": row.status == "done" and who.role in policy.corrective_roles} for row in rows]
    return {"actions": actions, "may_open": who.role in policy.corrective_roles, "statuses": MANUAL_STATUSES,
            "decisions": handlers.decisions_by_action(organization=who.organization),
            "overdue_count": sum(1 for a in actions if a["overdue"]), "errors": {}, "given": {},
            "done": request.args.get("done"), "page_title": _("Corrective actions"), **extra}


@blp.get("/corrective-actions")
@page_roles(*READERS)
def corrective_actions():
    """The register, soonest due first, overdue ones marked."""
    return render_template("complaints/corrective.html", **_context())


def _run(command, done: str, **fields):
    who = me()
    try:
        service().run(command, organization=who.organization, actor=who.login, role=who.role, **fields)
    except (InvalidInput, NotFound) as exc:
        field = getattr(exc, "field", None) or "form"
        return render_template("complaints/corrective.html", **_context(
            errors={field: str(exc)}, given=dict(request.form))), 422
    except InvalidTransition as exc:
        return render_template("complaints/corrective.html", **_context(errors={"form": str(exc)})), 409
    except Forbidden:
        raise ForbiddenPage(_("The organisation's policy does not let your role do this.")) from None
    return redirect(url_for(".corrective_actions", done=done), code=303)


@blp.post("/corrective-actions")
@MANAGE_ACTIONS
def open_corrective_action():
    """A new action: title, owner, due date, the complaints behind it (ids, comma separated)."""
    form = request.form
    try:
        due_on = date.fromisoformat((form.get("due_on") or "").strip())
    except ValueError:
        due_on = None
    complaint_ids = tuple(c.strip() for c in (form.get("complaint_ids") or "").replace("，", ",").split(",")
                          if c.strip())
    return _run(handlers.open_action, "opened", title=form.get("title") or "", owner=(form.get("owner") or "").strip(),
                due_on=due_on, complaint_ids=complaint_ids)


@blp.post("/corrective-actions/<action_id>/status")
@MANAGE_ACTIONS
def move_corrective_action(action_id):
    """The action's new status (open, in progress, done)."""
    return _run(handlers.update_action, "moved", action_id=action_id, status=request.form.get("status") or "")


@blp.post("/corrective-actions/<action_id>/decisions")
@MANAGE_ACTIONS
def decide_corrective_action(action_id):
    """A meeting's decision on the action: its date, the decision, who decided (seed 000 part 1)."""
    form = request.form
    try:
        meeting_on = date.fromisoformat((form.get("meeting_on") or "").strip())
    except ValueError:
        meeting_on = None
    return _run(handlers.record_decision, "decided", action_id=action_id, meeting_on=meeting_on,
                decision=form.get("decision") or "", decided_by=form.get("decided_by") or "")


@blp.post("/corrective-actions/<action_id>/check")
@MANAGE_ACTIONS
def check_corrective_action(action_id):
    """The check that a done action worked (跟踪验证)."""
    return _run(handlers.check_action, "checked", action_id=action_id, effective=request.form.get("effective") == "1",
                finding=request.form.get("finding") or "")
