"""HTTP routes of the complaints service, one module per resource: the complaints (their
promises and compensation with them) and the register of corrective actions.

Views only translate: query or body -> a handler command (in one unit of work, `service().run`)
or a query scoped to the caller's organisation -> a schema. Errors are not caught here: the
shared web layer turns every HuifangError into problem+json.
"""
from .complaints import complaints_blp
from .corrective_actions import actions_blp
from .exports import exports_blp
from .tickets import tickets_blp

BLUEPRINTS = [exports_blp, complaints_blp, actions_blp, tickets_blp]
