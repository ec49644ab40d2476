"""Periodic and background work of the scheduler (called by actors.py): closing due monthly batches,
periodic callbacks, ledger files imported from the ledger page.

Handlers of the same form as the others: `job(*, uow)`, run by the entry point with
`SERVICE.run(job)`.
"""
from __future__ import annotations

import functools
import logging
import operator
from dataclasses import dataclass
from datetime import date, timedelta

import peewee

from shared.core.calendar import official_year_published
from shared.core.db import first
from shared.mesh.service import UnitOfWork

from .domain.equipment import CHANNEL_PHONE
from .domain.service import ExistingCustomer, batch_cutoff_on, is_key_customer, plan_periodic_callbacks
from .errors import LedgerFileInvalid
from .handlers.common import as_date, customers_by_id, today
from .handlers.ledger import import_ledger, known_deliveries
from .handlers.service_orders import top_up_batch
from .handlers.replan import replan_tasks
from .handlers.tasks import Moved, Wanted, sync_tasks
from .ledger_file import limits_of, load_ledger_rows, read_table
from .models import (
    CANCELLED, IMPORT_CHECKED, IMPORT_CHECKING, IMPORT_DONE, IMPORT_FAILED, IMPORT_FINISHED, IMPORT_IMPORTING,
    IMPORT_QUEUED, IMPORT_REFUSED, OPEN, Batch, CallbackTask, LedgerImport, SamplingDecision, ServiceOrder,
)
from .rules import rules_for

log = logging.getLogger(__name__)


def organizations(*, uow: UnitOfWork) -> list[str]:
    """Gives the organisations the periodic jobs look at: those with service orders, sampling
    decisions or callbacks (each job runs once per organisation, `shared.mesh.periodic.for_each_organization`)."""
    found = set()
    for model in (ServiceOrder, SamplingDecision, CallbackTask):
        found.update(org for (org,) in model.select(model.organization).distinct().tuples())
    return sorted(found)


def close_due_batches(*, uow: UnitOfWork, organization: str | None = None) -> list[tuple[str, str, str]]:
    """Gives the (organization, pool, period) batches closed now: their cut-off day has come
    (of one organisation, or of all).

    Each is topped up to its volume tier (RULES 1.3); orders arriving later top it up again.
    """
    closed = Batch.select(Batch.id).where(Batch.organization == SamplingDecision.organization,
                                          Batch.policy_key == SamplingDecision.policy_key,
                                          Batch.pool == SamplingDecision.pool, Batch.period == SamplingDecision.period)
    open_batches = (SamplingDecision.select(SamplingDecision.organization, SamplingDecision.policy_key,
                                            SamplingDecision.pool, SamplingDecision.period)
                    .where(SamplingDecision.pool.endswith(":batch"), ~peewee.fn.EXISTS(closed),
                           *([SamplingDecision.organization == organization] if organization else []))
                    .distinct().tuples())
    done = []
    for organization, policy_key, pool, period in list(open_batches):
        rules = rules_for(uow.settings, organization)
        if rules.policy.sampling_key != policy_key:
            continue  # decided under an earlier policy version; left as it was
        cutoff = batch_cutoff_on(period, rules.policy)
        if today(uow) < cutoff:
            continue
        top_up_batch(uow=uow, organization=organization, pool=pool, period=period, rules=rules)
        Batch.insert(organization=organization, policy_key=policy_key, pool=pool, period=period,
                     due_on=rules.calendar.roll_forward(cutoff), closed_at=uow.now).on_conflict_ignore().execute()
        done.append((organization, pool, period))
    return done


def plan_existing_customer_callbacks(*, uow: UnitOfWork, organization: str | None = None) -> dict[str, int]:
    """Gives, per organisation (one, or all), how many periodic callbacks were planned now (RULES 1.4).

    For every business line whose policy has `existing_customers` (retail: once a quarter,
    key customers monthly): a customer whose last callback of the line (or last order, if
    never called) is a period old gets a `periodic` callback due today. Planned once a day at
    most: the new task is their last callback from then on.
    """
    planned: dict[str, int] = {}
    wanted = [organization] if organization else [
        org for (org,) in ServiceOrder.select(ServiceOrder.organization).distinct().tuples()]
    for organization in wanted:
        rules = rules_for(uow.settings, organization)
        on = today(uow)
        for line, line_policy in rules.policy.business_lines.items():
            rule = line_policy.existing_customers
            if rule is None:
                continue
            last: dict[str, date] = dict(
                ServiceOrder.select(ServiceOrder.customer_id, peewee.fn.MAX(ServiceOrder.completed_on))
                .where(ServiceOrder.organization == organization, ServiceOrder.business_line == line)
                .group_by(ServiceOrder.customer_id).tuples())
            called = (CallbackTask.select(CallbackTask.customer_id, peewee.fn.MAX(CallbackTask.due_on))
                      .where(CallbackTask.organization == organization, CallbackTask.business_line == line,
                             CallbackTask.status != CANCELLED)
                      .group_by(CallbackTask.customer_id).tuples())
            for customer_id, due_on in called:
                if customer_id in last:
                    last[customer_id] = max(last[customer_id], as_date(due_on))
            customers = customers_by_id(organization, last)
            candidates = [ExistingCustomer(customer_id=cid, last_contact_on=as_date(last_on), key=bool(
                cid in customers and is_key_customer(customers[cid].segment, None, customers[cid].flagged_key,
                                                     rules.policy)))
                          for cid, last_on in last.items()]
            key_of = {c.customer_id: c.key for c in candidates}
            due = plan_periodic_callbacks(candidates, today=on, rule=rule, calendar=rules.calendar)
            sync_tasks(uow=uow, organization=organization, rules=rules, wanted=[
                Wanted(plan_key=f"customer:{cid}:{line}:{p.kind}:{p.due_on.isoformat()}", planned=p, customer_id=cid,
                       business_line=line, channel=CHANNEL_PHONE, key_customer=key_of[cid]) for cid, p in due])
            if due:
                planned[organization] = planned.get(organization, 0) + len(due)
                log.info("%d periodic %s callbacks planned for %s", len(due), line, organization)
    return planned


# --- provisional dates checked again once their year is published (RULES 1.6) --------------

def replan_provisional_callbacks(*, uow: UnitOfWork, every_year: bool = False,
                                 organization: str | None = None) -> list[tuple[str, Moved]]:
    """Gives (organization, moved task) of each open callback re-planned now because a year it was
    planned on provisionally (computed holidays or the fallback) is published by the official
    calendar; its `provisional` flag and calendar source are brought up to date, whether it moved
    or not. `every_year`: every open provisional task, whatever its year (after an organisation
    changed its calendar, or the holidays library was upgraded).

    Deliveries and orders are planned again from their own dates; other callbacks (verification,
    periodic) from their nominal day. Each move is announced (`callback.scheduled`) and logged.
    """
    moved: list[tuple[str, Moved]] = []
    spans = (CallbackTask.select(CallbackTask.organization, peewee.fn.MIN(CallbackTask.nominal_on),
                                 peewee.fn.MAX(CallbackTask.due_on))
             .where(CallbackTask.status == OPEN, CallbackTask.provisional == True,  # noqa: E712
                    *([CallbackTask.organization == organization] if organization else []))
             .group_by(CallbackTask.organization).tuples())
    for organization, first_on, last_on in list(spans):
        years = [y for y in range(as_date(first_on).year, as_date(last_on).year + 1)
                 if every_year or official_year_published(y)]
        if not years:
            continue
        in_years = functools.reduce(operator.or_, [
            CallbackTask.due_on.between(date(y, 1, 1), date(y, 12, 31))
            | CallbackTask.nominal_on.between(date(y, 1, 1), date(y, 12, 31)) for y in years])
        tasks = list(CallbackTask.select().where(CallbackTask.organization == organization,
                                                 CallbackTask.status == OPEN,
                                                 CallbackTask.provisional == True, in_years))  # noqa: E712
        for task in replan_tasks(uow=uow, organization=organization, tasks=tasks,
                                 rules=rules_for(uow.settings, organization)):
            log.info("callback %s (%s) of %s moved from %s to %s: re-planned on the published calendar",
                     task.callback_id, task.kind, organization, task.was_due_on, task.due_on)
            moved.append((organization, task))
    return moved


# --- ledger imports in the background (handlers/imports.py queues them) ---------------------

#: Rows imported per transaction: the page sees the progress after each chunk.
IMPORT_CHUNK = 2000
#: An import still checking or importing after this long without progress was left by a
#: worker that died: the redelivered message takes it over (the import is idempotent).
IMPORT_STALE = timedelta(minutes=10)


@dataclass(frozen=True)
class _Claimed:
    organization: str
    filename: str
    content: bytes
    dry_run: bool


def claim_ledger_import(*, uow: UnitOfWork, import_id: str) -> _Claimed | None:
    """Gives the file of a queued import after marking it `checking`; None when there is
    nothing to do (finished already, or being run by a live worker)."""
    row = first(LedgerImport.select().where(LedgerImport.id == import_id), lock=True)
    # a failed import keeps its file: the actor's retry takes it up again
    if row is None or row.content is None or (row.state in IMPORT_FINISHED and row.state != IMPORT_FAILED):
        return None
    if row.state != IMPORT_QUEUED and uow.now - row.updated_at < IMPORT_STALE:
        return None
    row.state, row.processed, row.updated_at = IMPORT_CHECKING, 0, uow.now
    row.save()
    return _Claimed(organization=row.organization, filename=row.filename, content=bytes(row.content),
                    dry_run=row.dry_run)


def record_import_check(*, uow: UnitOfWork, import_id: str, rows: int, errors: dict, created: int,
                        updated: int, dry_run: bool) -> str:
    """Gives the import's state after its check: `refused` (errors by row and column; nothing
    is stored), `checked` (a clean dry run) or `importing`."""
    state = IMPORT_REFUSED if errors else (IMPORT_CHECKED if dry_run else IMPORT_IMPORTING)
    finished = state in IMPORT_FINISHED
    LedgerImport.update(state=state, rows=rows, errors=errors or None, created=created, updated=updated,
                        updated_at=uow.now, finished_at=uow.now if finished else None,
                        content=None if state == IMPORT_REFUSED else LedgerImport.content).where(
        LedgerImport.id == import_id).execute()
    return state


def import_ledger_chunk(*, uow: UnitOfWork, import_id: str, organization: str, rows: list[dict],
                        processed: int) -> None:
    """Imports one chunk of checked rows (handlers.import_ledger) and counts it in the import's progress."""
    import_ledger(uow=uow, organization=organization, rows=rows)
    LedgerImport.update(processed=processed, updated_at=uow.now).where(LedgerImport.id == import_id).execute()


def finish_ledger_import(*, uow: UnitOfWork, import_id: str, error: str | None = None) -> None:
    """Marks the import done (its file dropped), or failed with `error` (its file kept for a retry)."""
    LedgerImport.update(state=IMPORT_FAILED if error else IMPORT_DONE,
                        content=LedgerImport.content if error else None, updated_at=uow.now,
                        finished_at=uow.now, errors={"file": [error]} if error else LedgerImport.errors).where(
        LedgerImport.id == import_id).execute()


def run_ledger_import(service, import_id: str) -> str | None:
    """Gives the final state after checking, and unless it is a dry run importing, one uploaded
    ledger file; None when there was nothing to do.

    Every row is checked before anything is stored; then the rows go in chunks of IMPORT_CHUNK,
    each committed with the progress. Importing the same rows again changes nothing, so a
    worker that dies halfway leaves an import the redelivered message completes.
    """
    claimed = service.run(claim_ledger_import, import_id=import_id)
    if claimed is None:
        return None
    try:
        limits = limits_of(service.settings)
        header, table = read_table(claimed.filename, claimed.content, limits=limits)
        rows, errors = load_ledger_rows(header, table, limits=limits)
    except LedgerFileInvalid as exc:
        rows, errors = [], exc.problem_errors() or {"file": [exc.message]}
    with service.connection():
        known = known_deliveries(organization=claimed.organization, delivery_ids=[r["delivery_id"] for r in rows])
    state = service.run(record_import_check, import_id=import_id, rows=len(rows), errors=errors,
                        created=len(rows) - len(known), updated=len(known), dry_run=claimed.dry_run)
    if state != IMPORT_IMPORTING:
        return state
    try:
        for start in range(0, len(rows), IMPORT_CHUNK):
            chunk = rows[start:start + IMPORT_CHUNK]
            service.run(import_ledger_chunk, import_id=import_id, organization=claimed.organization, rows=chunk,
                        processed=start + len(chunk))
    except Exception as exc:
        log.exception("ledger import %s failed", import_id)
        service.run(finish_ledger_import, import_id=import_id, error=f"{type(exc).__name__}: {exc}")
        raise
    service.run(finish_ledger_import, import_id=import_id)
    log.info("ledger import %s of %s: %d rows imported", import_id, claimed.organization, len(rows))
    return IMPORT_DONE
