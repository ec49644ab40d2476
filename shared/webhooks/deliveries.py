"""The deliveries' lifecycle: claimed by an endpoint's thread, answered (logged, retried on the
schedule of `HUIFANG_WEBHOOK_RETRY_SCHEDULE` with jitter, or dead), the endpoint disabled after
failing for `HUIFANG_WEBHOOK_DISABLE_AFTER_SECONDS`, pruned after the retention; and what the API
offers on them (the delivery log, sending one again, a test delivery)."""
from __future__ import annotations

import itertools
import logging
import random
import uuid
from datetime import timedelta

import peewee

from shared.core.db import bulk_insert, is_postgres
from shared.core.errors import Conflict, NotFound
from shared.core.events import OWN_SOURCE_PREFIX
from shared.webhooks.endpoints import endpoint_row, update_endpoint
from shared.webhooks.fanout import ENCODER, new_delivery_id
from shared.webhooks.models import ANSWER_KEEP, DEAD, DELIVERED, PENDING

log = logging.getLogger(__name__)

#: The type of the envelope `POST /api/v1/webhooks/<id>/test` sends (not an event of the mesh).
TEST_TYPE = "webhook.test"
#: Deliveries one endpoint's thread claims at once, and how long it holds them (a worker
#: that dies while holding some leaves them to be sent again after this).
BATCH = 200
LEASE = timedelta(minutes=15)
#: Jitter of a retry's delay: +- this share of it.
JITTER = 0.2


def retry_delay(schedule: tuple[float, ...], failed_in_round: int) -> float | None:
    """Gives the seconds until the next try after the `failed_in_round`-th failure, jittered,
    or None when the schedule is used up (the delivery is dead)."""
    if failed_in_round > len(schedule):
        return None
    base = schedule[failed_in_round - 1]
    return max(0.0, base * (1 + random.uniform(-JITTER, JITTER)))


def record_batch(*, uow, endpoint, results: list, retry: bool = True) -> None:
    """Records the answers of one endpoint's deliveries: the log, the deliveries' states, and
    the endpoint's failing streak (disabling it when it lasted too long)."""
    hooks = uow.service.webhooks
    D, A, E = hooks.Delivery, hooks.Attempt, hooks.Endpoint
    settings = uow.settings
    bulk_insert(A, [{"delivery_id": d.delivery_id, "endpoint_id": d.endpoint_id, "organization": d.organization,
                     "event_type": d.event_type, "attempt": d.attempts + 1, "attempted_at": at, "status": a.status,
                     "latency_ms": a.latency_ms, "error": (a.error or None) and a.error[:500],
                     "answer": a.answer[:ANSWER_KEEP]} for d, a, at in results])
    delivered: dict[int, list[int]] = {}
    last_ok = None
    for delivery, answer, at in results:
        if answer.ok:
            delivered.setdefault(answer.status, []).append(delivery.id)
            last_ok = at
            continue
        failed_in_round = delivery.attempts + 1 - delivery.round_start
        delay = retry_delay(settings.webhook_retry_schedule, failed_in_round) if retry else None
        error = answer.error or f"HTTP {answer.status}: {answer.answer[:200]}"
        values = {"attempts": delivery.attempts + 1, "last_status": answer.status, "last_error": error[:500],
                  "claimed_at": None}
        if delay is None:
            values.update(state=DEAD, finished_at=at, next_attempt_at=None)
            log.warning("webhook delivery %s of event %s to %s is dead after %s attempts: %s", delivery.delivery_id,
                        delivery.event_id, delivery.endpoint_id, delivery.attempts + 1, error[:200])
        else:
            values["next_attempt_at"] = at + timedelta(seconds=delay)
        D.update(**values).where(D.id == delivery.id).execute()
    for status, ids in delivered.items():
        D.update(state=DELIVERED, attempts=D.attempts + 1, last_status=status, last_error=None, finished_at=last_ok,
                 next_attempt_at=None, claimed_at=None).where(D.id.in_(ids)).execute()
    if not retry:
        return
    row = E.select().where(E.endpoint_id == endpoint.endpoint_id).first()
    if row is None:
        return
    if last_ok is not None:
        if row.failing_since is not None:
            E.update(failing_since=None).where(E.id == row.id).execute()
        return
    first_failure = results[0][2]
    since = row.failing_since or first_failure
    if row.failing_since is None:
        E.update(failing_since=since).where(E.id == row.id).execute()
    if row.enabled and (uow.now - since).total_seconds() >= settings.webhook_disable_after_seconds:
        reason = (f"every delivery failed since {since.astimezone(settings.tz):%Y-%m-%d %H:%M} "
                  f"({uow.service.name}); last: {results[-1][1].error or results[-1][1].status}")
        update_endpoint(uow=uow, organization=row.organization, endpoint_id=row.endpoint_id, enabled=False,
                        disabled_reason=reason)
        E.update(notice_due=True).where(E.id == row.id).execute()
        log.warning("webhook endpoint %s of %s disabled: %s", row.endpoint_id, row.organization, reason)


def claim(*, uow, endpoint_id: str, limit: int = BATCH) -> tuple[object, list]:
    """Gives (endpoint, its due deliveries now held by this caller); none for a disabled endpoint."""
    hooks = uow.service.webhooks
    D, E = hooks.Delivery, hooks.Endpoint
    endpoint = E.select().where(E.endpoint_id == endpoint_id).first()
    if endpoint is None or not endpoint.enabled:
        return endpoint, []
    now = uow.now
    free = D.claimed_at.is_null() | (D.claimed_at <= now - LEASE)
    due = D.select(D.id).where(D.endpoint_id == endpoint_id, D.state == PENDING, D.next_attempt_at <= now,
                               free).order_by(D.id).limit(limit)
    token = uuid.uuid4().hex
    if is_postgres(D._meta.database):  # one round trip; rows another worker holds are skipped
        held = D.update(claimed_at=now, claimed_by=token).where(D.id.in_(due.for_update("FOR UPDATE SKIP LOCKED")))
        return endpoint, sorted(held.returning(D).execute(), key=lambda row: row.id)
    ids = [i for (i,) in due.tuples()]
    if not ids:
        return endpoint, []
    D.update(claimed_at=now, claimed_by=token).where(D.id.in_(ids), D.state == PENDING, free).execute()
    return endpoint, list(D.select().where(D.id.in_(ids), D.claimed_by == token).order_by(D.id))


def give_back(*, uow, ids: list[int]) -> None:
    D = uow.service.webhooks.Delivery
    if ids:
        D.update(claimed_at=None).where(D.id.in_(ids), D.state == PENDING).execute()


def due_endpoints(*, uow, limit: int = 1000) -> list[str]:
    """Gives the enabled endpoints with deliveries due now and not held by anyone: the one
    waiting longest first, then in turn across organisations (each organisation's next one
    before another's second), so one organisation's many endpoints never crowd out another's."""
    hooks = uow.service.webhooks
    D, E = hooks.Delivery, hooks.Endpoint
    now = uow.now
    waiting = peewee.fn.MIN(D.next_attempt_at)
    query = (D.select(D.endpoint_id, E.organization).join(E, on=(D.endpoint_id == E.endpoint_id))
             .where(D.state == PENDING, D.next_attempt_at <= now, E.enabled == True,  # noqa: E712
                    D.claimed_at.is_null() | (D.claimed_at <= now - LEASE))
             .group_by(D.endpoint_id, E.organization).order_by(waiting, D.endpoint_id).limit(limit))
    turns: dict[str, list[str]] = {}
    for endpoint_id, organization in query.tuples():
        turns.setdefault(organization, []).append(endpoint_id)
    return [endpoint_id for round_ in itertools.zip_longest(*turns.values()) for endpoint_id in round_
            if endpoint_id is not None]


def prune(*, uow) -> int:
    """Gives how many finished deliveries and attempts past the retention were deleted."""
    hooks = uow.service.webhooks
    cutoff = uow.now - timedelta(days=uow.settings.webhook_retention_days)
    D, A = hooks.Delivery, hooks.Attempt
    return (D.delete().where(D.state != PENDING, D.finished_at < cutoff).execute()
            + A.delete().where(A.attempted_at < cutoff).execute())


def delivery_log(*, uow, organization: str, endpoint_id: str, limit: int = 100) -> list[dict]:
    """Gives the endpoint's latest deliveries, newest first, each with its attempts."""
    endpoint_row(uow, organization, endpoint_id)
    hooks = uow.service.webhooks
    D, A = hooks.Delivery, hooks.Attempt
    deliveries = list(D.select().where(D.endpoint_id == endpoint_id, D.organization == organization)
                      .order_by(D.id.desc()).limit(limit))
    attempts: dict[str, list] = {}
    if deliveries:
        for row in A.select().where(A.delivery_id.in_([d.delivery_id for d in deliveries])).order_by(A.id):
            attempts.setdefault(row.delivery_id, []).append(
                {"attempt": row.attempt, "at": row.attempted_at, "status": row.status, "latency_ms": row.latency_ms,
                 "error": row.error, "answer": row.answer})
    return [{"id": d.delivery_id, "event_id": d.event_id, "event_type": d.event_type, "state": d.state,
             "attempts": d.attempts, "created_at": d.created_at, "next_attempt_at":
             d.next_attempt_at if d.state == PENDING else None, "finished_at": d.finished_at,
             "last_status": d.last_status, "last_error": d.last_error, "log": attempts.get(d.delivery_id, [])}
            for d in deliveries]


def resend(*, uow, organization: str, endpoint_id: str, delivery_id: str) -> dict:
    """Gives the delivery queued again at once, with the same `webhook-id` and a new round of retries.

    Raises:
      NotFound: no such delivery of the endpoint.
      Conflict: it is being sent right now.
    """
    endpoint_row(uow, organization, endpoint_id)
    D = uow.service.webhooks.Delivery
    row = D.select().where(D.delivery_id == delivery_id, D.endpoint_id == endpoint_id).first()
    if row is None:
        raise NotFound(f"No delivery {delivery_id} of webhook endpoint {endpoint_id}.")
    if row.state == PENDING and row.claimed_at is not None and row.claimed_at > uow.now - LEASE:
        raise Conflict("This delivery is being sent right now; look at its log in a moment.")
    D.update(state=PENDING, next_attempt_at=uow.now, round_start=row.attempts, finished_at=None,
             claimed_at=None).where(D.id == row.id).execute()
    log.info("webhook delivery %s (event %s) to %s queued again by hand", delivery_id, row.event_id, endpoint_id)
    return {"id": delivery_id, "state": PENDING}


def queue_test(*, uow, organization: str, endpoint_id: str) -> str:
    """Gives the id of a new test delivery (type `webhook.test`) to the endpoint, sent at once."""
    row = endpoint_row(uow, organization, endpoint_id)
    envelope = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": TEST_TYPE,
                "source": f"{OWN_SOURCE_PREFIX}{uow.service.name}", "time": uow.now.isoformat(),
                "organization": organization,
                "data": {"endpoint_id": row.endpoint_id, "message": "A test from Huifang: your endpoint is reached."}}
    delivery_id = new_delivery_id()
    uow.service.webhooks.Delivery.insert(
        delivery_id=delivery_id, endpoint_id=row.endpoint_id, organization=organization, event_id=envelope["id"],
        event_type=TEST_TYPE, body=ENCODER.encode(envelope), state=PENDING, attempts=0, round_start=0,
        next_attempt_at=None, created_at=uow.now).execute()  # next_attempt_at None: the route sends it, once
    return delivery_id
