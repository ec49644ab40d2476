"""The scheduler's handlers: one module per event or command family; each loads, decides (domain), stores, emits.

Event handlers are `on_<event>(*, uow, event)`; commands (`record_outcome`, `import_ledger`)
are `command(*, uow, ...)`. Entry points (actors, routes, periodic jobs) open the unit of
work; nothing here commits, connects or touches the broker.
"""
from .callbacks import callback_scripts, callback_subject, customer_history, reveal_phones
from .complaints import (on_complaint_closed, on_complaint_deadlines_moved, on_complaint_promise_made, on_complaint_repeated,
                         on_complaint_resolved)
from .customers import flag_history, lift_flag, on_customer_flagged, on_customer_updated
from .deliveries import on_delivery_cancelled, on_delivery_shipped, on_equipment_commissioned, on_equipment_installed
from .imports import get_import_or_raise, queue_ledger_import, run_checked_import
from .ledger import (
    LEDGER_SORTS, LedgerFilter, export_ledger, import_ledger, known_deliveries, ledger_entries, ledger_export_rows,
    ledger_page, month_bounds,
)
from .outcomes import (
    call_attempts, correct_callback_contact, correct_contact, get_callback_or_raise, may_record, questionnaire_of, record_outcome,
)
from .leads import get_lead_or_raise, lead_row, list_leads, update_lead
from .lapsed import LAPSED_PLANNERS, lapsed_customers, plan_lapsed
from .ledger_gaps import ledger_gaps
from .policies import preview_policy
from .records import RecordFilter, callback_records
from .reviews import improvement_notes, record_review, review_queue
from .service_orders import on_service_order_completed
from .supervision import (ask_question, callback_changes, questions_of, reassign_callback, reassign_open,
                          switch_to_onsite)
from .tasks import task_id
from .worklist import Scope, Worklist, agent_worklist, worklist_counts

__all__ = [
    "HANDLERS", "get_callback_or_raise", "import_ledger", "known_deliveries", "on_complaint_resolved",
    "on_customer_flagged", "on_customer_updated", "on_delivery_cancelled", "on_delivery_shipped",
    "on_equipment_commissioned", "on_equipment_installed", "on_service_order_completed", "questionnaire_of",
    "record_outcome", "correct_callback_contact", "may_record", "task_id", "Scope", "Worklist", "agent_worklist", "worklist_counts", "LEDGER_SORTS",
    "LedgerFilter", "export_ledger", "ledger_entries", "ledger_export_rows", "ledger_page", "month_bounds", "preview_policy",
    "callback_subject", "customer_history", "reveal_phones", "get_import_or_raise", "queue_ledger_import",
    "run_checked_import", "flag_history", "lift_flag", "RecordFilter", "callback_records",
    "LAPSED_PLANNERS", "lapsed_customers", "plan_lapsed",
    "ask_question", "callback_changes", "questions_of", "reassign_callback", "reassign_open", "switch_to_onsite",
]

HANDLERS = {
    "delivery.shipped": on_delivery_shipped,
    "equipment.installed": on_equipment_installed,
    "equipment.commissioned": on_equipment_commissioned,
    "delivery.cancelled": on_delivery_cancelled,
    "service_order.completed": on_service_order_completed,
    "customer.updated": on_customer_updated,
    "customer.flagged": on_customer_flagged,
    "complaint.resolved": on_complaint_resolved,
    "complaint.repeated": on_complaint_repeated,
    "complaint.deadlines_moved": on_complaint_deadlines_moved,
    # a supervisor asked for the verification again after an unreachable one: a new round
    "complaint.verification_retried": on_complaint_resolved,
    "complaint.promise_made": on_complaint_promise_made,
    "complaint.closed": on_complaint_closed,
}
