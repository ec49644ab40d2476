"""The leads callbacks raised (`/leads`, 商机跟进): each with its owner and due date, the overdue ones
first marked, and its end recorded here: contacted, then won or lost, with a note (seed 000 part 5
「寻求新的商务机会」; seed 003 「了解客户未来的购买需求和计划」). Team leads see every lead; others the
leads they own."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from shared.web.roles import define_action, page_roles

from .. import handlers
from ..domain.leads import LEAD_STATES, NEXT_STATES, WAITING
from ..handlers.leads import LEAD_LEADS
from . import labels
from .common import PAGE_READERS, blp, me, now, service

#: Move a lead on: its owner (whatever their role), or a team lead (handlers.update_lead checks the owner).
MOVE_LEAD = define_action("scheduler.move_lead", *PAGE_READERS)
#: The list's views: waiting (open or contacted), overdue, ended (won or lost), all.
VIEWS = ("waiting", "overdue", "ended", "all")


@blp.get("/leads")
@page_roles(*PAGE_READERS)
def leads():
    """The leads, by due date: waiting ones by default; each with the buttons its next states allow."""
    who = me()
    view = request.args.get("view") if request.args.get("view") in VIEWS else "waiting"
    today = now().date()
    owner = None if who.role in LEAD_LEADS else who.login
    with service().connection():
        found = handlers.list_leads(organization=who.organization, owner=owner,
                                    overdue_on=today if view == "overdue" else None)
    every = [handlers.lead_row(lead, today) for lead in found]
    rows = [row for row in every if view in ("all", "overdue") or (row["status"] in WAITING) == (view == "waiting")]
    overdue = sum(1 for row in every if row["overdue"])
    return render_template("scheduler/leads.html", rows=rows, view=view, views=labels.LEAD_VIEWS, overdue=overdue,
                           states=labels.LEAD_STATES, lead_kinds=labels.LEAD_KINDS, next_states=NEXT_STATES,
                           me=who.login, team_lead=who.role in LEAD_LEADS, saved=request.args.get("saved"),
                           page_title=_("Leads"))


@blp.post("/leads/<lead_id>")
@MOVE_LEAD
def move_lead(lead_id):
    """Moves a lead on (contacted, won, lost) with the note, then back to the list."""
    who = me()
    status = request.form.get("status")
    view = request.form.get("view") if request.form.get("view") in VIEWS else None
    if status in LEAD_STATES:
        note = (request.form.get("note") or "").strip()[:2000] or None
        service().run(handlers.update_lead, organization=who.organization, lead_id=lead_id, actor=who.login,
                      role=who.role, status=status, note=note)
    return redirect(url_for(".leads", view=view, saved=lead_id) + f"#l-{lead_id}", code=303)
