"""RULES 1.1: the ledger (顾客回访台帐): deliveries with their callbacks, read page by page and
exported; an import of validated rows stored and planned in bulk.

The reads (`ledger_page`, `ledger_export_rows`) serve GET /api/v1/ledger, its exports and the
ledger page alike; they run in the request's connection, outside a unit of work.
"""
from __future__ import annotations

import calendar as _calendar
from collections import defaultdict, namedtuple
from dataclasses import dataclass
from datetime import date

import peewee

from shared.core.db import bulk_insert
from shared.core.privacy import mask_phone
from shared.mesh.service import UnitOfWork

from ..models import OPEN, WRONG_NUMBER, CallbackTask, Customer, Delivery
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


# --- reading the ledger -------------------------------------------------------------------

@dataclass(frozen=True)
class LedgerFilter:
    """Which deliveries of the ledger to show (every field optional)."""

    customer_id: str | None = None
    delivery_id: str | None = None
    #: Text in the customer's id or name.
    customer: str | None = None
    #: Text in the project's name (工程名称).
    project: str | None = None
    #: "YYYY-MM": shipped in that month.
    month: str | None = None
    shipped_from: date | None = None
    shipped_to: date | None = None
    #: Deliveries with a callback in this state.
    status: str | None = None
    #: Deliveries with an open callback past its last day on time (RULES 1.1: a month after due).
    overdue: bool = False
    include_cancelled: bool = False
    #: Only the deliveries of this branch (a branch manager's: shared/web/branches.py).
    branch: str | None = None


#: How the ledger may be sorted: name -> columns (the delivery id breaks ties).
LEDGER_SORTS = {
    "shipped_on": (Delivery.shipped_on,),
    "commissioned_on": (Delivery.commissioned_on,),
    "customer": (Customer.name,),
    "project": (Delivery.project,),
    "contract_amount": (Delivery.contract_amount,),
    "delivery_id": (),
}


def month_bounds(month: str) -> tuple[date, date]:
    """Gives the first and last day of "YYYY-MM"."""
    year, number = int(month[:4]), int(month[5:7])
    return date(year, number, 1), date(year, number, _calendar.monthrange(year, number)[1])


def _ledger_query(organization: str, filters: LedgerFilter, *, today: date | None, joined: bool):
    """Gives the deliveries the filters keep (with the customer's name and segment when `joined`)."""
    if joined:
        query = (Delivery.select(Delivery, Customer.name.alias("customer_name"), Customer.segment.alias("segment"))
                 .join(Customer, peewee.JOIN.LEFT_OUTER, on=(Customer.organization == Delivery.organization)
                       & (Customer.customer_id == Delivery.customer_id)))
    else:
        query = Delivery.select()
    query = query.where(Delivery.organization == organization, Delivery.shipped_on.is_null(False))
    f = filters
    if not f.include_cancelled:
        query = query.where(Delivery.cancelled == False)  # noqa: E712
    for name in ("customer_id", "delivery_id", "branch"):
        if getattr(f, name):
            query = query.where(getattr(Delivery, name) == getattr(f, name))
    if f.customer:
        query = query.where((Delivery.customer_id == f.customer) | Customer.name.contains(f.customer))
    if f.project:
        query = query.where(Delivery.project.contains(f.project))
    if f.month:
        first_day, last_day = month_bounds(f.month)
        query = query.where(Delivery.shipped_on.between(first_day, last_day))
    if f.shipped_from:
        query = query.where(Delivery.shipped_on >= f.shipped_from)
    if f.shipped_to:
        query = query.where(Delivery.shipped_on <= f.shipped_to)
    if f.status or (f.overdue and today is not None):
        Task = CallbackTask.alias()
        tasks = Task.select(Task.id).where(Task.organization == Delivery.organization,
                                           Task.delivery_id == Delivery.delivery_id)
        if f.status:
            tasks = tasks.where(Task.status == f.status)
        if f.overdue and today is not None:
            # a task waiting for a correct number past its last day is overdue too
            tasks = tasks.where(Task.status.in_((OPEN, WRONG_NUMBER)), Task.overdue_on < today)
        query = query.where(peewee.fn.EXISTS(tasks))
    return query


def ledger_page(*, organization: str, filters: LedgerFilter, show_phones: bool, today: date | None = None,
                sort: str = "shipped_on", descending: bool = False, limit: int = 200,
                offset: int = 0) -> tuple[list[dict], int]:
    """Gives (one page of ledger entries, how many the filters keep), sorted by `sort`."""
    needs_customer = bool(filters.customer)
    total = _ledger_query(organization, filters, today=today, joined=needs_customer).count()
    query = _ledger_query(organization, filters, today=today, joined=True)
    columns = [*LEDGER_SORTS[sort], Delivery.delivery_id]
    order = [c.desc() if descending else c.asc() for c in columns]
    deliveries = list(query.order_by(*order).limit(limit).offset(offset).dicts())
    return ledger_entries(organization, deliveries, show_phones=show_phones), total


def ledger_entries(organization: str, deliveries: list[dict], *, show_phones: bool) -> list[dict]:
    """Gives ledger entries (the deliveries, as dicts, with their callbacks), one query per 500
    deliveries, not per row."""
    by_delivery = defaultdict(list)
    for chunk in chunks(d["delivery_id"] for d in deliveries):
        for t in (CallbackTask.select(CallbackTask.id, CallbackTask.delivery_id, CallbackTask.kind,
                                      CallbackTask.due_on, CallbackTask.nominal_on, CallbackTask.overdue_on,
                                      CallbackTask.status, CallbackTask.channel, CallbackTask.record_no)
                  .where(CallbackTask.organization == organization, CallbackTask.delivery_id.in_(chunk))
                  .order_by(CallbackTask.nominal_on).dicts()):
            by_delivery[t["delivery_id"]].append(t)
    entries = []
    for d in deliveries:
        callbacks = by_delivery.get(d["delivery_id"], [])
        entry = {**d, "callbacks": callbacks, "record_nos": [c["record_no"] for c in callbacks if c["record_no"]]}
        entry.setdefault("customer_name", None)
        entry.setdefault("segment", None)
        if not show_phones:
            entry["phone"], entry["site_phone"] = mask_phone(d["phone"]), mask_phone(d["site_phone"])
        entries.append(entry)
    return entries


#: Deliveries read per query of an export.
EXPORT_PAGE = 2000


def export_ledger(*, uow: UnitOfWork, who, organization: str, filters: LedgerFilter, show_phones: bool,
                  subject: str, detail: dict | None = None, today: date | None = None):
    """Gives the rows of a ledger export (`ledger_export_rows`, read as they are written out), and
    records one with full phone numbers in the audit log (`phones.exported`, RULES 1.4) in this
    unit of work: the command of the API's export and of the ledger page's alike."""
    if show_phones:
        uow.audit(who, organization=organization, action="phones.exported", subject=subject, detail=detail)
    return ledger_export_rows(organization=organization, filters=filters, show_phones=show_phones, today=today)


def ledger_export_rows(*, organization: str, filters: LedgerFilter, show_phones: bool, today: date | None = None):
    """Gives each entry of the ledger the filters keep, by ship date, read EXPORT_PAGE at a time."""
    query = (_ledger_query(organization, filters, today=today, joined=True)
             .order_by(Delivery.shipped_on, Delivery.delivery_id))
    offset = 0
    while True:
        deliveries = list(query.limit(EXPORT_PAGE).offset(offset).dicts())
        if not deliveries:
            return
        yield from ledger_entries(organization, deliveries, show_phones=show_phones)
        offset += EXPORT_PAGE
