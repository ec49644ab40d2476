"""callback.scheduled, callback.completed, callback.unreachable: the month's callbacks and outcomes.

Each is an upsert by callback id, so a completion that arrives before its scheduling leaves the
same row as the other way round. A callback counts as a key customer's or an ordinary one's as
it was when it was planned (RULES 1.2, 3): the class is decided the first time the callback is
seen and a later flag of the customer never changes it (only the scheduler saying "key" does).
"""
from __future__ import annotations

from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from ..models import CANCELLED, DONE, OPEN, UNREACHABLE, Callback, Complaint, Customer, QuestionLabel
from ..rules import report_policy
from .churn import keep_churn_reason
from .customers import save_customer
from .rows import answer, by_key, to_date, utc_moment


def key_customer_now(uow: UnitOfWork, organization: str, customer_id: str | None) -> bool:
    """Gives whether the customer is a key customer at this moment: flagged after a complaint, or
    of a key segment of the organisation's report policy."""
    customer = Customer.get_or_none(Customer.organization == organization, Customer.customer_id == customer_id)
    return customer is not None and bool(customer.flagged or customer.segment in report_policy(
        uow.settings, organization).key_segments)


def _keep_class(uow: UnitOfWork, event: Event, callback: Callback) -> None:
    """Decides the callback's class once, when first seen: the scheduler's `key_customer` when the
    event says it, else the customer's class at this moment; later, only a `key_customer: true` raises it."""
    said = event.raw.get("data", {}).get("key_customer")
    if said is True:
        callback.key_customer = True
    elif callback.key_customer is None:
        callback.key_customer = said if isinstance(said, bool) else key_customer_now(
            uow, event.organization, callback.customer_id)


def _outcome_flags(callback: Callback, data: dict) -> None:
    for name in ("over_time_limit", "outside_call_window"):
        if isinstance(data.get(name), bool):
            setattr(callback, name, data[name])
    # who made the call, and the service advisor of the order
    for name in ("agent", "advisor_id", "branch"):
        if data.get(name):
            setattr(callback, name, data[name])


def on_callback_scheduled(*, uow: UnitOfWork, event: Event) -> None:
    data, org = event.data, event.organization
    callback = by_key(Callback, organization=org, callback_id=data["callback_id"])
    callback.kind, callback.due_on, callback.customer_id = data["kind"], data["due_on"], data["customer_id"]
    for name in ("delivery_id", "order_id", "complaint_id"):
        if data.get(name):
            setattr(callback, name, data[name])
    if data.get("overdue_on"):
        callback.overdue_on = to_date(data["overdue_on"])
    save_customer(org, data.get("customer"))
    _keep_class(uow, event, callback)
    if data.get("assigned_to") and callback.agent is None:  # the agent responsible until one calls
        callback.agent = data["assigned_to"]
    if data.get("branch"):
        callback.branch = data["branch"]
    wanted = data.get("status")
    if wanted == CANCELLED and callback.status in (None, OPEN):
        callback.status = CANCELLED
    elif callback.status is None:
        callback.status = OPEN
    callback.save()


def on_callback_completed(*, uow: UnitOfWork, event: Event) -> None:
    data, org = event.data, event.organization
    customer = data["customer"]
    save_customer(org, customer)
    callback = by_key(Callback, organization=org, callback_id=data["callback_id"])
    callback.kind, callback.due_on, callback.customer_id = data["kind"], data["due_on"], customer["id"]
    _keep_class(uow, event, callback)
    _outcome_flags(callback, data)
    callback.reached = bool(data["reached"])
    callback.product_satisfaction = answer(data.get("product_satisfaction"))
    callback.service_satisfaction = answer(data.get("service_satisfaction"))
    callback.suggestions = (data.get("suggestions") or "").strip() or None
    callback.dissatisfied_reason = (data.get("dissatisfied_reason") or "").strip() or None
    callback.complaint_id = data.get("complaint_id") or callback.complaint_id
    _yes_no(org, callback, data)
    keep_churn_reason(callback, data)
    callback.recorded_at = utc_moment(data.get("recorded_at") or event.time or uow.now, uow.settings.tz)
    if callback.reached and callback.reached_on is None:  # the first call that reached them (RULES 3)
        reached_at = utc_moment(data.get("completed_at") or data.get("recorded_at") or event.time or uow.now,
                                uow.settings.tz)
        callback.reached_on = reached_at.astimezone(uow.settings.tz).date()
    if callback.status != CANCELLED:
        # An attempt that did not reach the customer leaves the task open for the next try.
        callback.status = DONE if callback.reached else (callback.status or OPEN)
    callback.save()
    if callback.reached and callback.complaint_id and data.get("verification") is not False:
        _verified(uow, event, callback)


def _yes_no(organization: str, callback: Callback, data: dict) -> None:
    """Keeps the answers to the questionnaire's yes/no questions and their labels (the report counts
    them: seed 000 6.3.1); an event without its questions leaves what was kept."""
    questions = data.get("yes_no_questions") or []
    answers = data.get("answers") or {}
    for question in questions:
        QuestionLabel.insert(organization=organization, question_id=question["id"], label_zh=question["label_zh"],
                             label_en=question["label_en"]).on_conflict(
            conflict_target=[QuestionLabel.organization, QuestionLabel.question_id],
            preserve=[QuestionLabel.label_zh, QuestionLabel.label_en]).execute()
    kept = {q["id"]: answers[q["id"]] for q in questions if isinstance(answers.get(q["id"]), bool)}
    if questions:
        callback.yes_no_answers = kept or None


def _verified(uow: UnitOfWork, event: Event, callback: Callback) -> None:
    """Keeps when the complaint's verification callback first reached the customer: the last "1"
    of 2-1-1 is met by reaching them in time, whatever they answered (RULES 2)."""
    complaint = by_key(Complaint, organization=event.organization, complaint_id=callback.complaint_id)
    reached_at = utc_moment(event.data.get("completed_at") or event.time or uow.now, uow.settings.tz)
    if complaint.resolved_at is not None and reached_at < complaint.resolved_at:
        return  # a call before the (latest) resolution verifies nothing
    if complaint.verified_at is None or reached_at < complaint.verified_at:
        complaint.verified_at = reached_at
        complaint.save()


def on_callback_unreachable(*, uow: UnitOfWork, event: Event) -> None:
    data, org = event.data, event.organization
    callback = by_key(Callback, organization=org, callback_id=data["callback_id"])
    callback.customer_id = data["customer_id"]
    if data.get("kind"):
        callback.kind = data["kind"]
    if data.get("due_on"):
        callback.due_on = to_date(data["due_on"])
    callback.reached = False
    _keep_class(uow, event, callback)
    _outcome_flags(callback, data)
    if callback.status != CANCELLED:
        callback.status = UNREACHABLE
    callback.save()
