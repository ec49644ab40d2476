"""The scheduler service as the mesh sees it: database, tables, handlers."""
from shared.mesh.service import Service

from . import handlers, models
from .handlers.erasure import erase_customer_texts

SERVICE = Service(name="scheduler", database=models.database, models=models.MODELS, handlers=handlers.HANDLERS,
                  migrations=models.MIGRATIONS,
                  customer_tables={
                      models.Customer: (models.Customer.customer_id, (
                          "name", "phone", "contact_person", "site_contact", "site_phone", "flag_remark")),
                      models.Delivery: (models.Delivery.customer_id, (
                          "project", "contact_person", "phone", "site_contact", "site_phone")),
                      models.CallbackTask: (models.CallbackTask.customer_id, ("dissatisfied_reason", "suggestions")),
                      models.CustomerFlag: (models.CustomerFlag.customer_id, ("remark",)),
                      models.Lead: (models.Lead.customer_id, ("note", "outcome_note")),
                      models.OpenQuestion: (models.OpenQuestion.customer_id, ("question",))},
                  # contact corrections, free-text answers, reviews, changes, ledger files, mail (PIPL erasure)
                  customer_erasers=[erase_customer_texts],
                  without_customer_text={
                      "service_order": "ids, business line, kind, advisor, branch",
                      "sampling_decision": "which orders a policy sampled, and the code of why",
                      "callback_batch": "a policy's pools by period",
                      "call_attempt": "who called which callback when, and the result's code",
                      "phone_reveal": "who saw which callback's phone when, by id",
                      "ledger_gap_mail": "the weeks the ledger's gaps were mailed"})
