"""Erasing a customer (PIPL, `make erase-customer`) where the scheduler keeps their words beside the
tables `SERVICE.customer_tables` blanks: the contact corrections (the old and the new phones), the
free-text answers of their callbacks, the reviews' comments and the changes' reasons about their
callbacks, and the ledger files checked but not imported that list them (importing one later would
bring the customer back). Ids, dates, the scale's answers and counts stay: every figure is as
before."""
from __future__ import annotations

from shared.core.errors import HuifangError
from shared.mesh.retention import ERASED, blank_free_answers, blank_personal, erase_mail_files
from shared.mesh.service import UnitOfWork

from ..ledger_file import read_table
from ..models import CallbackChange, CallbackReview, CallbackTask, ContactCorrection, Customer, Delivery, LedgerImport


def erase_customer_texts(*, uow: UnitOfWork, organization: str, customer_id: str) -> dict[str, int]:
    """Gives {table: rows changed} after blanking the customer's words kept by callback or in files."""
    known = _known_texts(organization, customer_id)
    done = {"contact_correction": 0, "callback_answers": 0, "callback_review": 0, "callback_change": 0,
            "ledger_import": 0}
    for row in ContactCorrection.select().where(ContactCorrection.organization == organization,
                                                ContactCorrection.customer_id == customer_id):
        row.before, row.after = blank_personal(row.before or {}), blank_personal(row.after or {})
        row.save()
        done["contact_correction"] += 1
    tasks = CallbackTask.select(CallbackTask.id, CallbackTask.answers).where(
        CallbackTask.organization == organization, CallbackTask.customer_id == customer_id)
    ids = []
    for task_id, answers in tasks.tuples():
        ids.append(task_id)
        if answers and blank_free_answers(answers) != answers:
            CallbackTask.update(answers=blank_free_answers(answers)).where(CallbackTask.id == task_id).execute()
            done["callback_answers"] += 1
    if ids:
        done["callback_review"] = CallbackReview.update(comment=ERASED).where(
            CallbackReview.organization == organization, CallbackReview.callback_id.in_(ids),
            CallbackReview.comment.is_null(False), CallbackReview.comment != "").execute()
        done["callback_change"] = CallbackChange.update(reason=ERASED).where(
            CallbackChange.organization == organization, CallbackChange.callback_id.in_(ids),
            CallbackChange.reason.is_null(False), CallbackChange.reason != "").execute()
    for row in LedgerImport.select().where(LedgerImport.organization == organization,
                                           LedgerImport.content.is_null(False)):
        if _lists(row.filename, bytes(row.content), customer_id):
            LedgerImport.update(content=None).where(LedgerImport.id == row.id).execute()
            done["ledger_import"] += 1
    done["mail_files"] = erase_mail_files(uow.settings, known)
    return done


def _lists(filename: str, content: bytes, customer_id: str) -> bool:
    """Whether a ledger file has a row of the customer (a file it cannot read: whether it holds their id)."""
    try:
        _header, rows = read_table(filename, content)
        return any(str(cell).strip() == customer_id for cells in rows for cell in cells if cell is not None)
    except HuifangError:
        return customer_id.encode() in content


def _known_texts(organization: str, customer_id: str) -> set[str]:
    """Gives the customer's names, phones and projects as the scheduler knows them, the ones corrected
    since too (before they are blanked)."""
    texts = set()
    for row in ContactCorrection.select().where(ContactCorrection.organization == organization,
                                                ContactCorrection.customer_id == customer_id):
        texts |= {value for value in [*(row.before or {}).values(), *(row.after or {}).values()]
                  if isinstance(value, str)}
    for row in Customer.select().where(Customer.organization == organization, Customer.customer_id == customer_id):
        texts |= {row.name, row.phone, row.contact_person, row.site_contact, row.site_phone}
    for row in Delivery.select().where(Delivery.organization == organization, Delivery.customer_id == customer_id):
        texts |= {row.project, row.phone, row.site_contact, row.site_phone, row.contact_person}
    return {t for t in texts if t}
