"""The register of corrective actions (纠正预防措施): open, update, check that it worked,
list; the decisions a meeting took on one; overdue ones reminding their owner by mail; and recurring
problems (complaints alike in the policy's dimensions over a rolling window) opening one when they
cross the policy's threshold, with the managers told."""
from __future__ import annotations

import logging
import uuid
from datetime import date

import peewee

from shared.core.db import bulk_insert
from shared.mesh.service import UnitOfWork

from ..domain import corrective
from ..errors import Forbidden, NotFound
from shared.core.event_fields import USER_ROLES

from ..models import Complaint, CorrectiveActionRow, CorrectiveDecision, Notification
from ..rules import ownership_for
from ..wording import category_name

log = logging.getLogger(__name__)


def _today(uow: UnitOfWork) -> date:
    return uow.now.astimezone(uow.settings.tz).date()


def _new_id() -> str:
    return f"CA-{uuid.uuid4().hex[:10].upper()}"


def _record(row: CorrectiveActionRow, uow: UnitOfWork) -> dict:
    return {"action_id": row.action_id, "title": row.title, "owner": row.owner, "due_on": row.due_on.isoformat(),
            "status": row.status, "origin": row.origin, "complaint_ids": list(row.complaint_ids),
            "callback_ids": list(row.callback_ids), "effectiveness": row.effectiveness,
            "updated_at": row.updated_at.astimezone(uow.settings.tz).isoformat()}


def _save(uow: UnitOfWork, organization: str, action: corrective.CorrectiveAction, *, actor: str,
          row: CorrectiveActionRow | None = None) -> CorrectiveActionRow:
    """Gives the stored row of `action` (created or updated) after emitting corrective_action.updated."""
    values = {"title": action.title, "owner": action.owner, "due_on": action.due_on, "status": action.status,
              "origin": action.origin, "complaint_ids": action.complaint_ids, "callback_ids": action.callback_ids,
              "effectiveness": action.effectiveness, "checked_at": action.checked_at, "checked_by": action.checked_by,
              "recurrence_key": action.recurrence_key, "updated_at": uow.now}
    if row is None:
        row = CorrectiveActionRow.create(organization=organization, action_id=action.id, created_by=actor,
                                         created_at=uow.now, **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
    uow.emit("corrective_action.updated", _record(row, uow), organization=organization)
    return row


def _may_manage(uow: UnitOfWork, organization: str, role: str) -> None:
    roles = ownership_for(uow.settings, organization=organization).corrective_roles
    if role not in roles:
        raise Forbidden(f"You may not open or check corrective actions: the policy lets {', '.join(roles)} do it.")


def get_action_or_raise(*, organization: str, action_id: str) -> CorrectiveActionRow:
    """Gives the action of the organisation. Raises NotFound."""
    row = CorrectiveActionRow.get_or_none(CorrectiveActionRow.organization == organization,
                                          CorrectiveActionRow.action_id == action_id)
    if row is None:
        raise NotFound(f"there is no corrective action {action_id} in your organisation.")
    return row


def open_action(*, uow: UnitOfWork, organization: str, actor: str, role: str, title: str, owner: str,
                due_on: date | None, complaint_ids=(), callback_ids=()) -> CorrectiveActionRow:
    """Gives the new corrective action of the register, linked to complaints and callbacks.

    Raises:
      Forbidden: the policy's corrective_roles do not include `role`. NotFound: a linked complaint unknown.
      InvalidInput: no title or owner, a past due date.
    """
    _may_manage(uow, organization, role)
    for complaint_id in complaint_ids:
        if not Complaint.select().where(Complaint.organization == organization,
                                        Complaint.complaint_id == complaint_id).exists():
            raise NotFound(f"there is no complaint {complaint_id} in your organisation to link.")
    action = corrective.open_action(action_id=_new_id(), title=title, owner=owner, due_on=due_on, today=_today(uow),
                                    complaint_ids=complaint_ids, callback_ids=callback_ids)
    return _save(uow, organization, action, actor=actor)


def update_action(*, uow: UnitOfWork, organization: str, action_id: str, actor: str, role: str,
                  status: str) -> CorrectiveActionRow:
    """Gives the action in its new status (open, in_progress, done), by its owner or the policy's corrective roles."""
    row = get_action_or_raise(organization=organization, action_id=action_id)
    if row.owner != actor:
        _may_manage(uow, organization, role)
    return _save(uow, organization, corrective.set_status(row.to_domain(uow.settings.tz), status), actor=actor,
                 row=row)


def check_action(*, uow: UnitOfWork, organization: str, action_id: str, actor: str, role: str, effective: bool,
                 finding: str) -> CorrectiveActionRow:
    """Gives the done action after the check that it worked (跟踪验证), by the policy's corrective roles."""
    _may_manage(uow, organization, role)
    row = get_action_or_raise(organization=organization, action_id=action_id)
    action = corrective.check_effectiveness(row.to_domain(uow.settings.tz), effective=effective, finding=finding,
                                            by=actor, at=uow.now.astimezone(uow.settings.tz))
    return _save(uow, organization, action, actor=actor, row=row)


def list_actions(*, organization: str, status: str | None = None) -> list[CorrectiveActionRow]:
    """Gives the organisation's corrective actions, soonest due first."""
    query = CorrectiveActionRow.select().where(CorrectiveActionRow.organization == organization)
    if status:
        query = query.where(CorrectiveActionRow.status == status)
    return list(query.order_by(CorrectiveActionRow.due_on, CorrectiveActionRow.id))


def actions_of_complaint(*, organization: str, complaint_id: str) -> list[CorrectiveActionRow]:
    """Gives the corrective actions linked to a complaint, soonest due first: the database narrows the
    register to the rows whose id list names it (a LIKE on the JSON text), then the list is checked."""
    # the pattern as plain text (the field's converter would make it a JSON list); ILIKE (SQLite's
    # LIKE) and a `_` in an id only widen the match, which the check below narrows again
    names_it = peewee.Expression(CorrectiveActionRow.complaint_ids, peewee.OP.ILIKE,
                                 peewee.Value(f'%"{complaint_id}"%', converter=False))
    query = CorrectiveActionRow.select().where(CorrectiveActionRow.organization == organization, names_it)
    return [row for row in query.order_by(CorrectiveActionRow.due_on, CorrectiveActionRow.id)
            if complaint_id in row.complaint_ids]


#: The complaint's column of each dimension recurring problems may be counted by (ownership.yaml).
DIMENSION_COLUMNS = {"product_model": Complaint.product_model, "branch": Complaint.branch,
                     "category": Complaint.category, "advisor": Complaint.advisor_id}


def _dimension_values(row: Complaint) -> dict:
    return {"product_model": row.product_model, "branch": row.branch, "category": row.category,
            "advisor": row.advisor_id}


def check_recurrence(*, uow: UnitOfWork, row: Complaint) -> CorrectiveActionRow | None:
    """Gives the corrective action a new complaint's recurring problem opened or joined, or None: complaints
    alike in the policy's dimensions (by default the product model and category; the organisation may count
    by branch, category, service advisor: vehicle, property and retail complaints name no product model)
    within its rolling window at or above its threshold open one (origin recurring, the managers told);
    while it is not checked yet, later ones are linked to it."""
    policy = ownership_for(uow.settings, organization=row.organization)
    rule = policy.recurrence
    values = rule.values(_dimension_values(row))
    if values is None:
        return None
    key = rule.key(**values)
    organization = row.organization
    existing = (CorrectiveActionRow.select().where(
        CorrectiveActionRow.organization == organization, CorrectiveActionRow.recurrence_key == key,
        CorrectiveActionRow.status.not_in([corrective.EFFECTIVE, corrective.INEFFECTIVE])).first())
    if existing is not None:
        action = corrective.link(existing.to_domain(uow.settings.tz), complaint_ids=(row.complaint_id,))
        return _save(uow, organization, action, actor="system", row=existing)
    alike = [DIMENSION_COLUMNS[d] == getattr(row, DIMENSION_COLUMNS[d].name) for d in values]
    recent = [c.complaint_id for c in Complaint.select(Complaint.complaint_id).where(
        Complaint.organization == organization, *alike, Complaint.raised_at > row.raised_at - rule.window,
        Complaint.raised_at <= row.raised_at).order_by(Complaint.raised_at)]
    if not corrective.crosses_threshold(len(recent), rule):
        return None
    today = _today(uow)
    # the category as the pages name it (seed wording), not the code; the other values as the policy counts them
    category = category_name(row.category) if "category" in values else ""
    what = rule.described(values)
    action = corrective.open_action(
        action_id=_new_id(), title=corrective.recurring_title(
            product_model=what, category_name=category, count=len(recent), days=rule.window.days),
        owner=policy.recurrence_owner, due_on=today + rule.due_in, today=today, complaint_ids=recent,
        origin=corrective.RECURRING, recurrence_key=key)
    saved = _save(uow, organization, action, actor="system")
    subject, body = corrective.recurring_mail(
        action_id=saved.action_id, product_model=what, category_name=category, complaint_ids=recent,
        days=rule.window.days, owner=saved.owner, due_on=saved.due_on)
    bulk_insert(Notification, [{
        "organization": organization, "key": f"{organization}:recurring:{saved.action_id}"[:300],
        "complaint_id": row.complaint_id, "kind": "recurring", "role": "manager", "login": None,
        "subject": subject[:300], "body": body, "created_at": uow.now}], ignore_conflicts=True)
    log.info("recurring problem %s of %s: corrective action %s opened for %s complaints", key, organization,
             saved.action_id, len(recent))
    return saved


def record_decision(*, uow: UnitOfWork, organization: str, action_id: str, actor: str, role: str, meeting_on,
                    decision: str, decided_by: str) -> CorrectiveDecision:
    """Gives the decision a meeting took on the action (meeting date, decision, who), recorded by the
    policy's corrective roles (seed 000 part 1: 质量信息沟通会议上…评审…提出改进措施).

    Raises:
      Forbidden; NotFound; InvalidInput (the field named).
    """
    _may_manage(uow, organization, role)
    get_action_or_raise(organization=organization, action_id=action_id)
    taken = corrective.decide(meeting_on=meeting_on, decision=decision, decided_by=decided_by, today=_today(uow))
    return CorrectiveDecision.create(organization=organization, action_id=action_id, meeting_on=taken.meeting_on,
                                     decision=taken.decision, decided_by=taken.decided_by, recorded_by=actor,
                                     recorded_at=uow.now)


def decisions_of(*, organization: str, action_id: str) -> list[CorrectiveDecision]:
    """Gives the decisions taken on the action, by meeting date."""
    return list(CorrectiveDecision.select().where(CorrectiveDecision.organization == organization,
                                                  CorrectiveDecision.action_id == action_id)
                .order_by(CorrectiveDecision.meeting_on, CorrectiveDecision.id))


def decisions_by_action(*, organization: str) -> dict[str, list[CorrectiveDecision]]:
    """Gives {action id: its decisions by meeting date} of the organisation's register, in one query."""
    found: dict[str, list[CorrectiveDecision]] = {}
    for row in CorrectiveDecision.select().where(CorrectiveDecision.organization == organization).order_by(
            CorrectiveDecision.meeting_on, CorrectiveDecision.id):
        found.setdefault(row.action_id, []).append(row)
    return found


def remind_overdue_actions(*, uow: UnitOfWork) -> int:
    """Gives how many overdue corrective actions (past their due date, not done) are owed a reminder now;
    each reminder is queued once per action and round (ownership.yaml `corrective_overdue.remind_every_days`), to the owner
    (a login; an owner named by a role: its holders)."""
    today = _today(uow)
    rows = CorrectiveActionRow.select().where(
        CorrectiveActionRow.status.in_([corrective.OPEN, corrective.IN_PROGRESS]), CorrectiveActionRow.due_on < today)
    notes = []
    for row in rows:
        action = row.to_domain(uow.settings.tz)
        every = ownership_for(uow.settings, organization=row.organization).overdue_remind_every.days
        turn = corrective.overdue_round(action, today, every)
        if turn is None:
            continue
        subject, body = corrective.overdue_mail(action=action, today=today)
        by_role = row.owner in USER_ROLES
        notes.append({"organization": row.organization,
                      "key": f"{row.organization}:corrective_overdue:{row.action_id}:{row.due_on.isoformat()}:{turn}"[:300],
                      "complaint_id": row.action_id, "kind": "corrective_overdue",
                      "role": row.owner if by_role else "person", "login": None if by_role else row.owner,
                      "subject": subject[:300], "body": body, "created_at": uow.now})
    if notes:
        bulk_insert(Notification, notes, ignore_conflicts=True)
    return len(notes)
