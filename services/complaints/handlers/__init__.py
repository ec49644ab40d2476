"""Handlers and commands of the complaints service: load, decide (domain), store, emit.

Each is a plain function `(*, uow, ...)` run inside the unit of work its entry point opened
(`Service.handle`, a route's `SERVICE.run` / `SERVICE.unit_of_work()`, an actor); none
commits. One module per family: raising (a new complaint), transitions (a person's steps),
verification (the verification callback), customers (customer data); store and reading are
the writes and reads they share. The sweep and the wake-up are in `jobs.py`, mail in `notify.py`.
"""
from .corrective import (actions_of_complaint, check_action, decisions_by_action, decisions_of, get_action_or_raise, list_actions, open_action,
                         record_decision, remind_overdue_actions, update_action)
from .customers import customer_of, on_customer_updated
from .ownership import (accept, close_with_reason, decide_compensation, on_callback_declined, on_callback_unreachable,
                        on_callback_wrong_number, propose_compensation, retry_verification)
from .promises import keep_promise, make_promise, promises_of, sweep_promises
from .raising import on_complaint_raised, raise_complaint
from .reading import get_by_id_or_raise, history_of
from .store import wake_at
from .transitions import escalate, hand_over, record_churn, reply, resolve, rework
from .verification import on_callback_completed
from .tickets import (dispatch_ticket, get_ticket_or_raise, hand_over_ticket, list_tickets, record_ticket,
                      sweep_due_tickets, sweep_ticket, ticket_to_complaint)

__all__ = ["HANDLERS", "dispatch_ticket", "get_ticket_or_raise", "hand_over_ticket", "list_tickets", "record_ticket",
           "sweep_due_tickets", "sweep_ticket", "ticket_to_complaint", "actions_of_complaint", "check_action", "get_action_or_raise", "list_actions", "open_action",
           "update_action", "keep_promise", "make_promise", "promises_of", "sweep_promises", "accept", "close_with_reason", "decide_compensation", "propose_compensation", "on_callback_unreachable", "retry_verification", "customer_of", "escalate", "get_by_id_or_raise", "hand_over", "history_of",
           "raise_complaint", "record_churn", "reply", "resolve", "rework", "wake_at"]

#: Event type -> handler `(*, uow, event)`.
HANDLERS: dict = {
    "complaint.raised": on_complaint_raised,
    "callback.completed": on_callback_completed,
    "callback.unreachable": on_callback_unreachable,
    "callback.declined": on_callback_declined,
    "callback.wrong_number": on_callback_wrong_number,
    "customer.updated": on_customer_updated,
}
