"""The reporting service's handlers: one module per event family, and the report's commands.

Event handlers keep the read model the report is computed from. Each first appends the
envelope to `event_log` (so `rebuild` can replay it), then applies it: an upsert by natural
key, so the same event applied twice, or events arriving out of order (a completion before
its scheduling, a commissioning before its shipment), leave the same rows.

Every handler takes the caller's unit of work (`handler(*, uow, ...)`) and never commits.
"""
from __future__ import annotations

from .callbacks import on_callback_completed, on_callback_scheduled, on_callback_unreachable
from .complaints import (on_complaint_closed, on_complaint_deadlines_moved, on_complaint_escalated,
                         on_complaint_handed_over, on_complaint_raised, on_complaint_reopened, on_complaint_repeated,
                         on_complaint_resolved)
from .customers import on_customer_flagged, on_customer_unflagged, on_customer_updated
from .desk import on_callback_declined, on_callback_reviewed, submit_summary
from .deliveries import on_delivery_cancelled, on_delivery_shipped, on_equipment_commissioned, on_service_order_completed
from .leads import on_lead_raised, on_lead_updated
from .log import logged
from .ownership import on_complaint_promise_broken, on_complaint_verification_unreachable, on_corrective_action_updated
from .reports import (figures_to_make, finish_generation, forget_made_figures, mail_report, request_figures,
                      request_generation, request_send, run_to_make, store_figures, store_report)
from .tickets import on_ticket_converted, on_ticket_dispatched, on_ticket_handed_over, on_ticket_recorded

#: What each event type does to the read model (rebuild replays these).
APPLY = {
    "callback.scheduled": on_callback_scheduled,
    "callback.completed": on_callback_completed,
    "callback.unreachable": on_callback_unreachable,
    "delivery.cancelled": on_delivery_cancelled,
    "service_order.completed": on_service_order_completed,
    "delivery.shipped": on_delivery_shipped,
    "equipment.commissioned": on_equipment_commissioned,
    "customer.updated": on_customer_updated,
    "customer.flagged": on_customer_flagged,
    "complaint.raised": on_complaint_raised,
    "complaint.escalated": on_complaint_escalated,
    "complaint.resolved": on_complaint_resolved,
    "complaint.closed": on_complaint_closed,
    "complaint.reopened": on_complaint_reopened,
    "complaint.repeated": on_complaint_repeated,
    "complaint.deadlines_moved": on_complaint_deadlines_moved,
    "complaint.handed_over": on_complaint_handed_over,
    "customer.unflagged": on_customer_unflagged,
    "callback.declined": on_callback_declined,
    "callback.reviewed": on_callback_reviewed,
    "complaint.verification_unreachable": on_complaint_verification_unreachable,
    "complaint.promise_broken": on_complaint_promise_broken,
    "corrective_action.updated": on_corrective_action_updated,
    "lead.raised": on_lead_raised,
    "lead.updated": on_lead_updated,
    "ticket.recorded": on_ticket_recorded,
    "ticket.handed_over": on_ticket_handed_over,
    "ticket.dispatched": on_ticket_dispatched,
    "ticket.converted": on_ticket_converted,
}

#: The service's event handlers: each logs the event, then applies it.
HANDLERS = {event_type: logged(apply) for event_type, apply in APPLY.items()}

__all__ = ["APPLY", "HANDLERS", "finish_generation", "submit_summary", "mail_report", "request_generation", "request_send",
           "run_to_make", "store_report", "request_figures", "figures_to_make", "store_figures", "forget_made_figures"]
