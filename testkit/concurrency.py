"""Work done at the same moment: threads released together, and two overlapping transactions."""
from __future__ import annotations

import threading

from shared.core.events import load_event
from testkit.events import envelope
from testkit.polling import eventually


def run_at_once(count: int, work, *, timeout: float = 120.0, service=None) -> list:
    """Runs `work()` in `count` threads released together; gives their results.

    Re-raises the first error a thread hit. With `service`, each thread gives its database
    connection back when done (thread-local connections would otherwise stay open).
    """
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # shown by the raise below
            errors.append(exc)
        finally:
            if service is not None and not service.database.is_closed():
                service.database.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    return results


def lock_waiters(service) -> int:
    """Gives how many PostgreSQL lock requests wait (a handler blocked by another's transaction)."""
    with service.connection() as db:
        return db.execute_sql("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]


def run_overlapping(service, apply: dict, first: tuple[str, dict], second: tuple[str, dict], *,
                    org: str = "acme-electric") -> None:
    """Handles the event `first` (type, data) with `apply[type]` in a transaction kept open until
    `second`, handled meanwhile in another, has finished or waits for a lock; then both commit
    (PostgreSQL: what two workers handling two events at once do)."""
    first_done, release, second_done = threading.Event(), threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def handle(type_: str, data: dict, done: threading.Event, wait_for: threading.Event | None):
        try:
            with service.connection(), service.unit_of_work() as uow:
                apply[type_](uow=uow, event=load_event(envelope(type_, data, org=org)))
                done.set()
                if wait_for is not None:
                    assert wait_for.wait(30), "never released"
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            done.set()

    a = threading.Thread(target=handle, args=(*first, first_done, release))
    a.start()
    assert first_done.wait(30)
    b = threading.Thread(target=handle, args=(*second, second_done, None))
    b.start()
    eventually(lambda: second_done.is_set() or lock_waiters(service) > 0, timeout=30,
               message="the second handler to finish or to wait for the first's lock")
    release.set()
    a.join(30)
    b.join(30)
    assert not failures, failures
