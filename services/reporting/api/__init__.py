"""HTTP routes of the reporting service, one module per resource: the monthly report and the
callback desk's figures.

Views only translate: query or body -> a handler command (in one unit of work, `service().run`)
or a read of the read model's figures -> a schema. Errors are not caught here: the shared web
layer turns every HuifangError into problem+json.
"""
from .desk import desk_blp
from .exports import exports_blp
from .reports import reports_blp
from .summaries import summaries_blp

BLUEPRINTS = [summaries_blp, reports_blp, exports_blp, desk_blp]
