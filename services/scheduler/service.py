"""The scheduler service as the mesh sees it: database, tables, handlers."""
from shared.mesh.service import Service

from . import handlers, models

SERVICE = Service(name="scheduler", database=models.database, models=models.MODELS, handlers=handlers.HANDLERS,
                  migrations=models.MIGRATIONS,
                  customer_tables={
                      models.Customer: (models.Customer.customer_id, (
                          "name", "phone", "contact_person", "site_contact", "site_phone", "flag_remark")),
                      models.Delivery: (models.Delivery.customer_id, (
                          "contact_person", "phone", "site_contact", "site_phone")),
                      models.CallbackTask: (models.CallbackTask.customer_id, ("dissatisfied_reason", "suggestions")),
                      models.CustomerFlag: (models.CustomerFlag.customer_id, ("remark",))})
