"""Erasing a customer (PIPL, `make erase-customer`) from the reports stored and mailed: a month's
report lists customers by name and phone (their suggestions, churn reasons, overdue and unreachable
callbacks) in its figures and in the PDF rendered from them. The customer's entries are blanked,
the PDF rendered again from what is left, and the report mails of the file outbox that carried them
removed; every count and rate stays as it was. The figures made for readers are dropped
(`forget_made_figures`: the next reader's request makes them again)."""
from __future__ import annotations

import json

from shared.mesh.retention import ERASED, blank_personal, erase_mail_files
from shared.mesh.service import UnitOfWork

from ..domain.policy import report_filename
from ..domain.report import ReportData
from ..models import Customer, EventLog, Report
from ..render import render_report_pdf
from ..rules import report_policy
from .reports import forget_made_figures


def erase_customer_from_reports(*, uow: UnitOfWork, organization: str, customer_id: str) -> dict[str, int]:
    """Gives {table: rows changed} after blanking the customer in the stored reports and their mail."""
    names, phones = {customer_id}, set()
    for name, phone in Customer.select(Customer.name, Customer.phone).where(
            Customer.organization == organization, Customer.customer_id == customer_id).tuples():
        names.add(name)
        phones.add(phone)
    for raw, in EventLog.select(EventLog.envelope).where(EventLog.organization == organization,
                                                         EventLog.envelope.contains(json.dumps(customer_id))).tuples():
        _told(json.loads(raw).get("data"), customer_id, names, phones)  # the names and phones of before too
    names.discard(None)
    phones.discard(None)
    done, mailed = {"report": 0}, set()
    for row in Report.select().where(Report.organization == organization):
        figures, changed = _without(row.figures or {}, names - {ERASED}, phones - {ERASED})
        if not changed:
            continue
        pdf = render_report_pdf(ReportData.from_dict(figures), row.language,
                                listing_limit=report_policy(uow.settings, organization).pdf_listing_limit)
        Report.update(figures=figures, pdf=pdf).where(Report.id == row.id).execute()
        mailed.add(report_filename(row.month, row.language))
        done["report"] += 1
    done["mail_files"] = erase_mail_files(uow.settings, (names | phones) - {customer_id}, attachments=mailed)
    done.update(forget_made_figures(uow=uow, organization=organization, customer_id=customer_id))
    return done


def _without(figures, names: set, phones: set) -> tuple[dict, bool]:
    """Gives (the report's figures with the customer's entries blanked, whether any was): an entry of
    any list naming them (`customer_name`, `phone`) loses its name, phone and texts (reason, remark ...)."""
    if isinstance(figures, list):
        walked = [_without(value, names, phones) for value in figures]
        return [value for value, _ in walked], any(changed for _, changed in walked)
    if not isinstance(figures, dict):
        return figures, False
    if figures.get("customer_name") in names or figures.get("phone") in phones:
        blanked = blank_personal(figures)
        return {**blanked, **{key: ERASED for key in ("customer_name", "text") if blanked.get(key)}}, True
    walked = {key: _without(value, names, phones) for key, value in figures.items()}
    return {key: value for key, (value, _) in walked.items()}, any(changed for _, changed in walked.values())


def _told(data, customer_id: str, names: set, phones: set) -> None:
    """Adds to `names` and `phones` those an event's data gives the customer (at any depth)."""
    if isinstance(data, list):
        for value in data:
            _told(value, customer_id, names, phones)
    elif isinstance(data, dict):
        if customer_id in (data.get("id"), data.get("customer_id")):
            names.update(data.get(key) for key in ("name", "contact_person", "site_contact") if data.get(key))
            phones.update(data.get(key) for key in ("phone", "site_phone") if data.get(key))
        for value in data.values():
            _told(value, customer_id, names, phones)
