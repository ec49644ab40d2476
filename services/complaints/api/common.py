"""What the complaints service's routes share: who may act, the path parameters, the API view of a complaint.

Routes reach the service and the settings the app serves through `service()` and `settings()`
(shared/web/pages.py), as the pages do.
"""
from __future__ import annotations

from shared.web.apidocs import path_parameter
from shared.web.branches import check_my_branch
from shared.web.pages import service, settings

__all__ = ["ACTORS", "COMPLAINT_ID", "PROMISE_ID", "READERS", "present", "service", "settings", "visible_complaint"]

from .. import handlers
from ..models import Complaint
from ..rules import rules_for

#: Everyone may read and try; the domain decides who may act at which level (403 with why).
READERS = ("agent", "advisor", "supervisor", "manager", "admin", "integration")
ACTORS = READERS

#: The path parameter of one complaint's routes, documented with an example.
COMPLAINT_ID = path_parameter("complaint_id", "CMP-2026-0007", "the complaint's id (its complaint_id)")
#: The path parameter of one promise of a complaint.
PROMISE_ID = path_parameter("promise_id", "P-3F6C2A9E8B1D", "the promise's id")


def visible_complaint(organization: str, complaint_id: str) -> Complaint:
    """Gives the complaint the caller may see: of their organisation, and of their branch when they
    manage one (shared/web/branches.py); 404 otherwise, for the routes and the pages alike."""
    row = handlers.get_by_id_or_raise(organization=organization, complaint_id=complaint_id)
    check_my_branch(row.branch, f"complaint {complaint_id!r}")
    return row


def present(row: Complaint, history: list, *, role: str, promises: list | None = None) -> dict:
    """Gives the API view of a complaint row and its history rows, in the installation's time zone,
    as a user of `role` may see it (phone numbers masked for roles outside `SEES_PHONES`)."""
    installed = settings()
    tz = installed.tz
    rules = rules_for(installed, organization=row.organization, chain_name=row.chain_name, policy_name=row.policy_name)
    level = rules.chain.level(row.level)

    def local(value):
        return value.astimezone(tz) if value is not None else None

    out = {name: getattr(row, name) for name in (
        "organization", "state", "level", "customer_class", "description", "category", "source", "order_id",
        "delivery_id", "repeat", "resolved_by", "resolved_level", "root_cause", "corrective_action", "churn_reason",
        "handed_over_to", "special_remark", "department", "owner", "first_taker", "closure_reason",
        "compensation_state", "compensation_offer", "compensation_amount", "compensation_decided_by",
        "product_model", "branch")}
    for name in ("raised_at", "first_reply_due_at", "answer_due_at", "first_reply_at", "answered_at",
                 "investigate_due_at", "investigated_at", "resolved_at", "verify_due_at", "customer_flagged_at",
                 "closed_at", "handover_due_at", "handed_over_at", "rework_due_at", "reworked_at", "accepted_at",
                 "first_taken_at", "unreachable_at"):
        out[name] = local(getattr(row, name))
    # RULES 1.6: deadlines counted over a day of a year the official calendar has not published
    out.update(provisional=bool(row.provisional_deadlines), provisional_deadlines=list(row.provisional_deadlines))
    out.update(id=row.complaint_id, level_role=level.role, level_label=level.label, chain=rules.chain.name,
               customer=handlers.customer_of(row, role=role),
               history=[{"at": local(h.at), "actor": h.actor, "action": h.action, "from_level": h.from_level,
                         "to_level": h.to_level, "reason": h.reason} for h in history])
    if promises is None:
        promises = handlers.promises_of([row])[row.id]
    out["promises"] = [{"id": p.promise_id, "what": p.what, "to_whom": p.to_whom, "due_at": local(p.due_at),
                        "made_by": p.made_by, "made_at": local(p.made_at), "kept_at": local(p.kept_at),
                        "broken_at": local(p.broken_at),
                        "state": "kept" if p.kept_at else "broken" if p.broken_at else "pending"} for p in promises]
    out["promise_broken"] = any(p["state"] == "broken" for p in out["promises"])
    return out
