"""Retention: what is kept how long, and erasing one customer (PIPL).

Every service's worker prunes once an hour (`prune`, a periodic job declared by
shared.mesh.worker.setup_worker):
- the inbox (the ids of events handled, for idempotency) after HUIFANG_INBOX_RETENTION_DAYS;
- the periodic jobs' claimed slots after HUIFANG_PERIODIC_RUN_RETENTION_DAYS;
- a service's own raw logs (reporting's `event_log`) are stripped of personal data after
  HUIFANG_EVENT_LOG_RETENTION_DAYS: names, phones, contacts and free texts are blanked, ids,
  dates, answers and amounts stay, so a rebuild gives the same figures.

`erase_customer` blanks one customer's personal data in a service's tables and logs (the
PIPL right to erasure), leaving every figure intact; `python -m ops erase-customer`
runs it in all three services.
"""
from __future__ import annotations

import json
import logging
from datetime import timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

from shared.core.answers import DISSATISFIED_ANSWERS, SATISFIED_ANSWERS
from shared.mesh.ratelimit import prune_windows

log = logging.getLogger(__name__)

#: Keys of an event's data (at any depth) that hold personal data; their values are blanked.
PERSONAL_KEYS = frozenset({"name", "phone", "site_phone", "contact_person", "site_contact", "email",
                           "description", "suggestions", "dissatisfied_reason", "churn_reason", "remark",
                           "special_remark", "answers", "note", "message",
                           # complaint ownership's texts: a promise, a closure's comment, a step's typed reason
                           "what", "to_whom", "closure_comment", "reason",
                           # a delivery's project (often a site address), a review's comment, a lead's outcome
                           "project", "comment", "outcome_note"})
#: What a blanked value becomes.
ERASED = "[已删除]"

#: The features' tables every service has that hold no customer's text, and why; the outbox and the
#: webhook deliveries (with their attempts) are blanked by `erase_customer` itself.
FEATURES_WITHOUT_CUSTOMER_TEXT = {
    "schema_migration": "the migration steps applied",
    "inbox": "the ids of the events handled",
    "outbox_message": "a service's own work for later: actor names and ids",
    "periodic_run": "the periodic jobs' slots",
    "dead_letter_log": "which message was dead-lettered and who replayed it, by id",
    "directory_user": "the organisation's staff, not its customers",
    "sign_in_failure": "staff logins and addresses",
    "page_session": "staff sessions",
    "integration_token": "the ERP's tokens: ids, labels, moments",
    "webhook_endpoint": "the receivers' addresses",
    "audit_log": "who did what to which record, by id",
    "rate_window": "per-person request counts",
}


def blank_personal(data):
    """Gives `data` (an event's data or envelope) with the values of PERSONAL_KEYS blanked."""
    if isinstance(data, dict):
        return {key: (_blank(value) if key in PERSONAL_KEYS else blank_personal(value)) for key, value in data.items()}
    if isinstance(data, list):
        return [blank_personal(value) for value in data]
    return data


def _blank(value):
    if value is None or value == "":
        return value
    if isinstance(value, (dict, list)):
        return None
    return ERASED


def _naive(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def prune(*, uow) -> dict[str, int]:
    """Gives {what: how many rows} pruned or stripped now by the retention settings."""
    service, settings = uow.service, uow.settings
    Inbox, Run = service.Inbox, service.PeriodicRun
    done = {
        "inbox": Inbox.delete().where(
            Inbox.handled_at < _naive(uow.now - timedelta(days=settings.inbox_retention_days))).execute(),
        "periodic_run": Run.delete().where(
            Run.claimed_at < _naive(uow.now - timedelta(days=settings.periodic_run_retention_days))).execute(),
    }
    done["rate_window"] = prune_windows(uow=uow)
    for name, (model, moment_field) in getattr(service, "raw_logs", {}).items():
        # a raw log's moment column is a UTCDateTimeField: it takes the aware moment
        done[name] = strip_older_than(model, moment_field, uow.now - timedelta(days=settings.event_log_retention_days))
    if any(done.values()):
        log.info("retention: %s", done)
    return done


#: A column of raw logs marked as stripped (so a row is stripped once).
_STRIPPED_MARK = "\"_personal_data\": \"erased\""


def strip_older_than(model, moment_field, cutoff) -> int:
    """Gives how many raw envelopes (`model.envelope`) older than `cutoff` (aware) were stripped of personal data."""
    rows = model.select(model.id, model.envelope).where(moment_field < cutoff,
                                                        ~model.envelope.contains(_STRIPPED_MARK))
    count = 0
    for row_id, raw in rows.tuples().iterator():
        model.update(envelope=_stripped(raw)).where(model.id == row_id).execute()
        count += 1
    return count


def _stripped(raw: str) -> str:
    envelope = json.loads(raw)
    envelope["data"] = blank_personal(envelope.get("data") or {})
    envelope["_personal_data"] = "erased"
    return json.dumps(envelope, ensure_ascii=False)


def erase_customer(*, uow, organization: str, customer_id: str) -> dict[str, int]:
    """Gives {table: rows changed} after blanking one customer's personal data in this service:
    what its `customer_erasers` blank (first: they may read the names and phones still there),
    the tables the service names (`service.customer_tables`: model -> (customer id column,
    personal columns)), its raw logs', outbox's and webhook deliveries' envelopes about the
    customer. Ids, dates, answers and amounts stay: every figure is as before."""
    service = uow.service
    done = {}
    for eraser in getattr(service, "customer_erasers", ()):
        done.update(eraser(uow=uow, organization=organization, customer_id=customer_id))
    for model, (id_field, columns) in getattr(service, "customer_tables", {}).items():
        values = {column: (None if model._meta.fields[column].null else ERASED) for column in columns}
        done[model._meta.table_name] = model.update(**values).where(
            model.organization == organization, id_field == customer_id).execute()
    # the outbox keeps sent envelopes a week (shared/mesh/outbox.py KEEP_SENT), webhook deliveries
    # keep the envelope they post: those about the customer too
    logs = {name: (model, model.envelope) for name, (model, _moment) in getattr(service, "raw_logs", {}).items()}
    logs["outbox"] = (service.Outbox, service.Outbox.envelope)
    Delivery = service.webhooks.Delivery
    logs[Delivery._meta.table_name] = (Delivery, Delivery.body)
    for name, (model, column) in logs.items():
        count = 0
        rows = model.select(model.id, column).where(model.organization == organization,
                                                    column.contains(json.dumps(customer_id)))
        stripped = []
        for row_id, raw in rows.tuples().iterator():
            envelope = json.loads(raw)
            if customer_id in _customer_ids(envelope.get("data") or {}):
                model.update({column: _stripped(raw)}).where(model.id == row_id).execute()
                stripped.append(row_id)
        done[name] = len(stripped)
        if model is Delivery:  # what the receivers answered may echo the body
            Attempt = service.webhooks.Attempt
            posted = Delivery.select(Delivery.delivery_id).where(Delivery.id.in_(stripped))
            done[Attempt._meta.table_name] = Attempt.update(answer="", error=None).where(
                Attempt.delivery_id.in_(posted)).execute() if stripped else 0
    log.info("customer %s of %s erased here: %s", customer_id, organization, done)
    return done


#: Answers on the satisfaction scale (codes, kept by erasure); yes/no answers are booleans.
SCALE_ANSWERS = SATISFIED_ANSWERS | DISSATISFIED_ANSWERS | {"neutral"}


def blank_free_answers(answers):
    """Gives a callback's `answers` with the words the customer said (free-text answers) blanked;
    the scale's codes, yes/no and numbers stay, so every figure is as before."""
    if not isinstance(answers, dict):
        return answers
    return {key: (ERASED if isinstance(value, str) and value and value not in SCALE_ANSWERS else value)
            for key, value in answers.items()}


def erase_mail_files(settings, texts, *, attachments=()) -> int:
    """Gives how many mail files of the file outbox (`<var>/outbox/*.eml`, where mail goes when no
    SMTP server is set) naming any of `texts` (a customer's name, phone ...), or carrying an
    attachment named in `attachments` (a report listing the customer), were removed."""
    needles = [t for t in texts if t and t != ERASED]
    folder = Path(settings.var_dir) / "outbox"
    if not (needles or attachments) or not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        words = [str(value) for value in message.values()]
        words += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
        files = {part.get_filename() for part in message.walk()} - {None}
        if any(needle in word for needle in needles for word in words) or files & set(attachments):
            path.unlink()
            removed += 1
    return removed


def _customer_ids(data) -> set:
    found = set()
    if isinstance(data, dict):
        if isinstance(data.get("customer_id"), str):
            found.add(data["customer_id"])
        customer = data.get("customer")
        if isinstance(customer, dict) and isinstance(customer.get("id"), str):
            found.add(customer["id"])
        for value in data.values():
            if isinstance(value, (dict, list)):
                found |= _customer_ids(value)
    elif isinstance(data, list):
        for value in data:
            found |= _customer_ids(value)
    return found
