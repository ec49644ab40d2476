"""Periodic jobs that run once per period however many workers are up.

Each worker process ticks; the first to insert (job, slot) into the service's `periodic_run`
table wins that slot and enqueues the job's actor. The job runs in an ordinary worker thread,
with retries and a database connection like any message.

    @periodic(broker, SERVICE, every_seconds=60)
    def sweep_complaints(): ...
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone

import dramatiq
import peewee
from dramatiq.middleware import Middleware

from shared.core.errors import HuifangError

log = logging.getLogger(__name__)

#: How often (seconds) a worker looks whether a job's next slot has started.
TICK_SECONDS = 1.0


def periodic_run_model(database) -> type[peewee.Model]:
    """Gives the table where workers claim a job's time slot."""

    class PeriodicRun(peewee.Model):
        job = peewee.CharField(max_length=100)
        slot = peewee.BigIntegerField()
        claimed_at = peewee.DateTimeField()

        class Meta:
            table_name = "periodic_run"
            indexes = ((("job", "slot"), True),)

    PeriodicRun._meta.set_database(database)
    return PeriodicRun


def claim_slot(PeriodicRun, job: str, slot: int) -> bool:
    """Gives True to exactly one caller per (job, slot)."""
    query = PeriodicRun.insert(job=job, slot=slot, claimed_at=datetime.now(timezone.utc)).on_conflict_ignore()
    return PeriodicRun._meta.database.execute(query).rowcount == 1


class PeriodicScheduler(Middleware):
    """Starts the ticking thread in each worker process."""

    def __init__(self, service):
        self.service = service
        self.jobs: list[tuple[str, float, dramatiq.Actor]] = []
        self._stop = threading.Event()
        self._thread = None

    def after_worker_boot(self, broker, worker):
        if not self.jobs:
            return
        self._thread = threading.Thread(target=self._run, name="periodic", daemon=True)
        self._thread.start()

    def before_worker_shutdown(self, broker, worker):
        self._stop.set()

    def tick(self, now: float | None = None) -> list[str]:
        """Gives the jobs this process enqueued for the current slot."""
        now = time.time() if now is None else now
        fired = []
        with self.service.connection():
            for name, every, actor in self.jobs:
                slot = int(now // every)
                if claim_slot(self.service.PeriodicRun, name, slot):
                    actor.send()
                    fired.append(name)
        return fired

    def _run(self):
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:
                log.exception("periodic tick failed; trying again next tick")


def periodic(broker, service, *, every_seconds: float, name: str | None = None, **actor_options):
    """Declares `fn` as an actor run once every `every_seconds` across all workers."""

    def decorator(fn):
        job_name = name or fn.__name__
        scheduler = next((m for m in broker.middleware if isinstance(m, PeriodicScheduler)), None)
        if scheduler is None:
            scheduler = PeriodicScheduler(service)
            broker.add_middleware(scheduler)

        def run():
            with service.connection():
                return fn()

        run.__name__ = job_name
        actor = dramatiq.actor(run, actor_name=job_name, queue_name=service.name, broker=broker,
                               max_retries=3, **actor_options)
        scheduler.jobs.append((job_name, every_seconds, actor))
        return actor

    return decorator


def for_each_organization(service, job, organizations, **kwargs) -> dict:
    """Gives {organisation: what `job` gave} after running `service.run(job, organization=org, **kwargs)`
    for each organisation, each in a transaction of its own.

    One organisation's failure (a bad data file, a render that raises) rolls back its own work
    only, is logged with the organisation and the job, and the next organisation goes on
    (one organisation's bad data never stops the others); the failed ones are left out of the result.
    """
    results = {}
    for organization in organizations:
        try:
            results[organization] = service.run(job, organization=organization, **kwargs)
        except Exception as exc:  # noqa: BLE001 - one organisation must not stop the others
            log.error("periodic %s of %s failed, the other organisations go on: %s: %s",
                      getattr(job, "__name__", job), organization, type(exc).__name__, exc,
                      exc_info=not isinstance(exc, HuifangError))
    return results
