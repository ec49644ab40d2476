"""Ledger files uploaded on the ledger page (台帐导入): kept with an import row and run by the worker.

The page never waits for an import: `queue_ledger_import` stores the file and queues the
worker's `ledger_import` actor through the outbox (`uow.send`); the worker checks every row
(a dry run stops there, naming what it refuses by row and column) and imports in chunks,
counting its progress in the row the page polls. `run_checked_import` turns a clean dry
run into the real run of the same file.
"""
from __future__ import annotations

import uuid

from shared.core.db import first
from shared.mesh.service import UnitOfWork

from ..errors import ImportNotFound, ImportNotReady, LedgerFileInvalid
from ..models import IMPORT_ACTOR, IMPORT_CHECKED, IMPORT_QUEUE, IMPORT_QUEUED, LedgerImport

#: File names a ledger may have (ledger_file.read_table reads these).
LEDGER_SUFFIXES = (".csv", ".xlsx")


def get_import_or_raise(*, organization: str, import_id: str, lock: bool = False) -> LedgerImport:
    """Gives the organisation's ledger import.

    Raises:
      ImportNotFound: no such import in this organisation.
    """
    row = first(LedgerImport.select().where(LedgerImport.organization == organization, LedgerImport.id == import_id),
                lock=lock)
    if row is None:
        raise ImportNotFound(f"No ledger import {import_id} in organisation {organization}.")
    return row


def queue_ledger_import(*, uow: UnitOfWork, organization: str, login: str, filename: str, content: bytes,
                        dry_run: bool) -> LedgerImport:
    """Gives the new import row after storing the uploaded file and queueing its check (a dry run)
    or its import.

    Raises:
      LedgerFileInvalid: not a .csv or .xlsx file, or an empty one (field `file`).
    """
    if not filename.lower().endswith(LEDGER_SUFFIXES):
        raise LedgerFileInvalid("Upload a .csv or .xlsx file.", field="file")
    if not content:
        raise LedgerFileInvalid("The file is empty.", field="file")
    row = LedgerImport.create(id=str(uuid.uuid4()), organization=organization, login=login, filename=filename[:255],
                              content=content, dry_run=dry_run, state=IMPORT_QUEUED, created_at=uow.now,
                              updated_at=uow.now)
    uow.send(IMPORT_ACTOR, row.id, queue_name=IMPORT_QUEUE)
    return row


def run_checked_import(*, uow: UnitOfWork, organization: str, import_id: str) -> LedgerImport:
    """Gives the import after queueing the real run of a file whose dry run found nothing to refuse.

    Raises:
      ImportNotFound; ImportNotReady: not a finished, clean dry run (or already run).
    """
    row = get_import_or_raise(organization=organization, import_id=import_id, lock=True)
    if not (row.dry_run and row.state == IMPORT_CHECKED and row.content is not None):
        raise ImportNotReady(f"Import {import_id} is {row.state}; only a clean dry run can be imported.")
    row.dry_run, row.state, row.processed, row.updated_at, row.finished_at = False, IMPORT_QUEUED, 0, uow.now, None
    row.save()
    uow.send(IMPORT_ACTOR, row.id, queue_name=IMPORT_QUEUE)
    return row
