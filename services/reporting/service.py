"""The reporting service as the mesh sees it: database, tables, handlers."""
from shared.mesh.service import Service

from . import handlers, models
from .handlers.erasure import erase_customer_from_reports

SERVICE = Service(name="reporting", database=models.database, models=models.MODELS, handlers=handlers.HANDLERS,
                  migrations=models.MIGRATIONS,
                  raw_logs={"event_log": (models.EventLog, models.EventLog.received_at)},
                  customer_tables={
                      models.Customer: (models.Customer.customer_id, ("name", "phone")),
                      models.Callback: (models.Callback.customer_id, ("suggestions", "dissatisfied_reason", "churn_reason")),
                      models.Complaint: (models.Complaint.customer_id, ("churn_reason",))},
                  # the stored reports' lists, their PDF and mail; the figures made for readers (PIPL erasure)
                  customer_erasers=[erase_customer_from_reports],
                  without_customer_text={
                      "delivery": "ids", "served_day": "ids and days", "lead": "kinds and states",
                      "callback_verdict": "the reviews' verdicts, by callback id",
                      "corrective_action": "the register of actions, by complaint id",
                      "question_label": "the questionnaires' own labels",
                      "desk_ticket": "the hotline tickets' ids, kinds and moments",
                      "agent_summary": "an agent's remark on their own month (seed 000 part 1), not a customer's",
                      "scheduled_report": "the months whose report was scheduled",
                      "report_run": "the reports asked for and their state"})
