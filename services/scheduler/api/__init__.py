"""HTTP routes of the scheduler: callbacks, outcomes, agents' lists, policy preview, the ledger.

Views only translate: query or body -> a handler command (in one unit of work, `service().run`)
or a query scoped to the caller's organisation -> a schema. Errors are not caught here:
shared/web/app.py turns every HuifangError into problem+json.
"""
from .callbacks import agents_blp, callbacks_blp
from .customers import customers_blp
from .exports import exports_blp
from .ledger import ledger_blp
from .leads import leads_blp
from .lapsed import lapsed_blp
from .ledger_gaps import ledger_gaps_blp
from .policies import policies_blp
from .reviews import reviews_blp
from .supervision import absent_blp, supervision_blp

BLUEPRINTS = [exports_blp, callbacks_blp, agents_blp, policies_blp, ledger_blp, lapsed_blp, customers_blp, reviews_blp, leads_blp, ledger_gaps_blp, supervision_blp, absent_blp]
