"""The reporting service as the mesh sees it: database, tables, handlers."""
from shared.mesh.service import Service

from . import handlers, models

SERVICE = Service(name="reporting", database=models.database, models=models.MODELS, handlers=handlers.HANDLERS,
                  migrations=models.MIGRATIONS,
                  raw_logs={"event_log": (models.EventLog, models.EventLog.received_at)},
                  customer_tables={
                      models.Customer: (models.Customer.customer_id, ("name", "phone")),
                      models.Callback: (models.Callback.customer_id, ("suggestions", "dissatisfied_reason")),
                      models.Complaint: (models.Complaint.customer_id, ("churn_reason",))},
                  customer_erasers=[handlers.forget_made_figures])
