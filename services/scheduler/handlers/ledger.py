"""RULES 1.1: the ledger import (顾客回访台帐): validated rows stored and planned in bulk."""
from __future__ import annotations

from collections import namedtuple

from shared.db import bulk_insert
from shared.service import UnitOfWork

from ..models import Delivery
from ..rules import rules_for
from .common import CHUNK, chunks, rows_in, upsert_customers
from .deliveries import EQUIPMENT, plan_deliveries, recompute_contract_totals

_DeliveryFacts = namedtuple("_DeliveryFacts", "id delivery_id customer_id business_line contract_amount shipped_on "
                                            "installed_on commissioned_on warranty_end_on cancelled")
#: The ledger columns stored on a delivery, as an import gives them.
_DELIVERY_FIELDS = ("customer_id", "project", "product_model", "quantity", "contract_amount", "shipped_on",
                    "commissioned_on", "contact_person", "phone", "site_contact", "site_phone")


def known_deliveries(*, organization: str, delivery_ids: list[str]) -> set[str]:
    """Gives the ids among `delivery_ids` the organisation's ledger already holds."""
    return {d["delivery_id"] for d in rows_in(Delivery, [Delivery.delivery_id], organization=organization,
                                              key=Delivery.delivery_id, values=delivery_ids)}


def import_ledger(*, uow: UnitOfWork, organization: str, rows: list[dict]) -> dict:
    """Gives counts after storing validated ledger rows and planning their callbacks, in bulk.

    `rows` are dicts of the ledger columns (see ledger_file.LEDGER_COLUMNS), already
    validated. Existing deliveries are updated; contract totals count each delivery once.
    """
    rules = rules_for(uow.settings, organization)
    ids = [r["delivery_id"] for r in rows]
    known = known_deliveries(organization=organization, delivery_ids=ids)
    # A ledger row names a customer's class only when the file has the column: without
    # it, a known customer keeps the segment it has.
    customers: dict[str, dict] = {}
    for r in rows:
        entry = customers.setdefault(r["customer_id"], {"id": r["customer_id"]})
        entry.update({k: v for k, v in (("name", r["customer_name"]), ("segment", r.get("segment")),
                                        ("phone", r.get("phone")), ("contact_person", r.get("contact_person")),
                                        ("site_contact", r.get("site_contact")), ("site_phone", r.get("site_phone")))
                      if v not in (None, "")})
    upsert_customers(organization=organization, customers=[c for c in customers.values() if "segment" in c])
    upsert_customers(organization=organization, customers=[c for c in customers.values() if "segment" not in c],
                     keep_segment=True)
    delivery_rows = [{"organization": organization, "delivery_id": r["delivery_id"], "business_line": EQUIPMENT,
                      "updated_at": uow.now, **{f: r.get(f) for f in _DELIVERY_FIELDS}} for r in rows]
    bulk_insert(Delivery, delivery_rows, conflict_target=("organization", "delivery_id"),
                preserve=(*_DELIVERY_FIELDS, "updated_at"))
    recompute_contract_totals(organization=organization, customer_ids=customers)
    # what planning reads, as namedtuples: no model object per row
    columns = (Delivery.id, Delivery.delivery_id, Delivery.customer_id, Delivery.business_line,
               Delivery.contract_amount, Delivery.shipped_on, Delivery.installed_on, Delivery.commissioned_on,
               Delivery.warranty_end_on, Delivery.cancelled)
    deliveries = [_DeliveryFacts(**d) for d in rows_in(Delivery, columns, organization=organization,
                                                       key=Delivery.delivery_id, values=ids)]
    for chunk in chunks(deliveries, size=CHUNK * 4):
        plan_deliveries(uow=uow, organization=organization, deliveries=chunk, rules=rules)
    return {"rows": len(rows), "created": len(set(ids) - known), "updated": len(known)}
