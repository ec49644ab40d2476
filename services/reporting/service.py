"""The reporting service as the mesh sees it: database, tables, handlers."""
from shared.service import Service

from . import handlers, models

SERVICE = Service(name="reporting", database=models.database, models=models.MODELS, handlers=handlers.HANDLERS,
                  migrations=models.MIGRATIONS)
