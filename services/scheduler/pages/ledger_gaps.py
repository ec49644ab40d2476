"""Missing ledger data (`/ledger/gaps`): the deliveries waiting for an installation
or commissioning date past the usual time; the same list the ledger keepers get by mail every week."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from .. import handlers
from ..rules import ledger_watch
from .common import IMPORT_LEDGER, blp, me, now, service, settings


@blp.get("/ledger/gaps")
@IMPORT_LEDGER
def ledger_gaps():
    """The deliveries missing a date, by ship date, with the day each usually comes by."""
    who = me()
    with service().connection():
        rows = handlers.ledger_gaps(settings=settings(), organization=who.organization, on=now().date())
    return render_template("scheduler/ledger_gaps.html", rows=rows, watch=ledger_watch(settings(), who.organization),
                           page_title=_("Missing ledger data"))
