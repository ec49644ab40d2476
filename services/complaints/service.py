"""The complaints service as the mesh sees it: database, tables, handlers."""
from shared.mesh.service import Service

from . import handlers, models
from .handlers.erasure import erase_customer_texts

SERVICE = Service(name="complaints", database=models.database, models=models.MODELS, handlers=handlers.HANDLERS,
                  migrations=models.MIGRATIONS,
                  customer_tables={models.Complaint: (models.Complaint.customer_id, (
                      "customer_name", "customer_phone", "contact_person", "site_contact", "site_phone", "description",
                      "churn_reason", "special_remark", "compensation_offer")),
                      # tickets recorded for the customer: their name, phone and the fault in their words
                      models.Ticket: (models.Ticket.customer_id, ("customer_name", "customer_phone", "fault"))},
                  # promises, history and mail of the customer's complaints (PIPL erasure)
                  customer_erasers=[erase_customer_texts],
                  without_customer_text={
                      "corrective_action": "the organisation's actions on a product or process, by complaint id",
                      "corrective_decision": "the decisions on those actions, and who took them"})
