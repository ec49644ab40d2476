"""What the scheduler's handlers share: dates in the installation's zone, chunked lookups, customers."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from shared.core.db import bulk_insert
from shared.core.privacy import phone_for
from shared.mesh.service import UnitOfWork

from ..models import Customer

#: Rows per bulk statement (SQLite allows 32,766 variables; a task row has about 25).
CHUNK = 500
#: Keys per lookup statement (SQLite allows 32,766 variables).
LOOKUP_CHUNK = 5000


def local_date(moment: datetime, settings) -> date:
    """Gives the calendar date of `moment` in the installation's time zone."""
    return moment.astimezone(settings.tz).date()


def today(uow: UnitOfWork) -> date:
    """Gives the date of the unit of work's moment in the installation's time zone."""
    return local_date(uow.now, uow.settings)


def as_date(value) -> date:
    """Gives a date column's value as a date (SQLite gives MAX() of one back as text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def parse_datetime(value) -> datetime | None:
    """Gives an aware datetime from an event's optional field, None if it is missing, naive or unreadable."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def iso(value) -> str | None:
    """Gives a date as ISO text for an event, None as None."""
    return value.isoformat() if value is not None else None


def chunks(items, size: int = CHUNK):
    """Gives `items` in lists of at most `size`."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def rows_in(model, fields_, *, organization: str, key, values):
    """Gives, as dicts of `fields_`, the organisation's rows whose `key` is one of `values`.

    The SQL is written here: peewee builds a node per value of an IN list, which costs more
    than the lookup itself at ledger sizes.
    """
    database, param = model._meta.database, model._meta.database.param
    columns = ", ".join(f'"{f.column_name}"' for f in fields_)
    names = [f.name for f in fields_]
    converters = [f.python_value for f in fields_]
    head = (f'SELECT {columns} FROM "{model._meta.table_name}" WHERE "organization" = {param} '
            f'AND "{key.column_name}" IN (')
    for chunk in chunks(values, LOOKUP_CHUNK):
        cursor = database.execute_sql(head + ", ".join([param] * len(chunk)) + ")", [organization, *chunk])
        for row in cursor.fetchall():
            yield {n: c(v) for n, c, v in zip(names, converters, row)}


# --- customers ------------------------------------------------------------------------------

_CUSTOMER_FIELDS = ("name", "segment", "phone", "contact_person", "site_contact", "site_phone")


def upsert_customers(*, organization: str, customers: Iterable[dict], keep_segment: bool = False) -> None:
    """Stores customers as their latest event describes them (one bulk upsert per chunk).

    `keep_segment`: a known customer keeps its segment (the source does not say one).
    """
    latest = {c["id"]: c for c in customers}
    rows = [{"organization": organization, "customer_id": cid, "name": c.get("name") or cid,
             "segment": c.get("segment") or "ordinary",
             **{f: c.get(f) for f in _CUSTOMER_FIELDS[2:]}}
            for cid, c in latest.items()]
    bulk_insert(Customer, rows, conflict_target=("organization", "customer_id"),
                preserve=tuple(f for f in _CUSTOMER_FIELDS if not (keep_segment and f == "segment")))


def customers_by_id(organization: str, ids: Iterable[str]) -> dict[str, Customer]:
    """Gives the organisation's stored customers among `ids`, by id."""
    found = {}
    for chunk in chunks(sorted(set(ids))):
        for row in Customer.select().where(Customer.organization == organization, Customer.customer_id.in_(chunk)):
            found[row.customer_id] = row
    return found


def customer_facts(organization: str, ids: Iterable[str]) -> dict:
    """Gives (customer_id, segment, flagged_key, total_contract_amount) namedtuples by id: what planning reads."""
    found = {}
    for chunk in chunks(sorted(set(ids))):
        for row in (Customer.select(Customer.customer_id, Customer.segment, Customer.flagged_key,
                                    Customer.total_contract_amount)
                    .where(Customer.organization == organization, Customer.customer_id.in_(chunk)).namedtuples()):
            found[row.customer_id] = row
    return found


def customer_payload(customer: Customer | None, customer_id: str) -> dict:
    """Gives the `customer` object of CONTRACT.md for an event."""
    if customer is None:
        return {"id": customer_id, "name": customer_id, "segment": "ordinary"}
    return {"id": customer.customer_id, "name": customer.name or customer.customer_id, "segment": customer.segment,
            "phone": customer.phone, "contact_person": customer.contact_person,
            "site_contact": customer.site_contact, "site_phone": customer.site_phone}


def contacts_of(organization: str, customer_ids: Iterable[str], *, role: str | None) -> dict[str, dict]:
    """Gives the customers' contact details by id, phones as `role` may see them (RULES 1.4);
    `role` None: masked for anyone (a page shows them in full only on purpose, recorded)."""
    found = {}
    for chunk in chunks(sorted({c for c in customer_ids if c})):
        for c in (Customer.select(Customer.customer_id, Customer.name, Customer.segment, Customer.flagged_key,
                                  Customer.phone, Customer.contact_person, Customer.site_contact,
                                  Customer.site_phone)
                  .where(Customer.organization == organization, Customer.customer_id.in_(chunk)).dicts()):
            c["phone"], c["site_phone"] = phone_for(role, c["phone"]), phone_for(role, c["site_phone"])
            found[c.pop("customer_id")] = c
    return found
