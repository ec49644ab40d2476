"""Missing ledger data (RULES 1.1: later callbacks need these dates): the deliveries whose installation or commissioning date has
not come past the usual time (data/ledger_watch.yaml), listed on a page and by the API, and mailed to
the ledger keepers once a week (notify.py)."""
from __future__ import annotations

from datetime import date, timedelta

from ..domain.ledger_gaps import missing_dates
from ..models import Delivery
from ..rules import ledger_watch


def ledger_gaps(*, settings, organization: str, on: date) -> list[dict]:
    """Gives the deliveries missing a date on day `on`, by ship date: each with `missing` (the field)
    and `expected_by` (the day it usually comes by), one row per missing date."""
    watch = ledger_watch(settings, organization)
    earliest = on - timedelta(days=min(watch.installation_within_days, watch.commissioning_within_days))
    rows = []
    for delivery in (Delivery.select().where(
            Delivery.organization == organization, Delivery.cancelled == False,  # noqa: E712 (SQL)
            Delivery.shipped_on.is_null(False), Delivery.shipped_on < earliest,
            Delivery.commissioned_on.is_null(True)).order_by(Delivery.shipped_on, Delivery.delivery_id).dicts()):
        for field, expected in missing_dates(shipped_on=delivery["shipped_on"], installed_on=delivery["installed_on"],
                                             commissioned_on=delivery["commissioned_on"], today=on, watch=watch):
            rows.append({"delivery_id": delivery["delivery_id"], "customer_id": delivery["customer_id"],
                         "project": delivery["project"], "product_model": delivery["product_model"],
                         "shipped_on": delivery["shipped_on"], "missing": field, "expected_by": expected})
    return rows
