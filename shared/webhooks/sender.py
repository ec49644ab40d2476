"""The worker's webhook sender (started by shared.mesh.worker): a dispatcher thread, and one thread
per endpoint with due deliveries, at most `HUIFANG_WEBHOOK_SENDER_THREADS` at once, so a slow or
dead endpoint never delays another, nor the service's own work (the Dramatiq threads). An
endpoint's thread sends for one turn (TURN_SECONDS) and gives its place back; the due endpoints
are taken longest-waiting first, in turn across organisations, so one organisation's many or
slow endpoints never hold up another's. Also the test POST of the API, sent at once."""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from shared.webhooks.deliveries import claim, due_endpoints, give_back, prune, queue_test, record_batch
from shared.webhooks.models import ANSWER_KEEP
from shared.webhooks.notices import send_notices
from shared.webhooks.poster import Answer, Poster
from shared.webhooks.urls import private_networks_of
from shared.webhooks.signing import signed_headers

log = logging.getLogger(__name__)

#: An endpoint's thread records what it sent at least this often (s), and at the end of a batch.
FLUSH_EVERY_S = 1.0
#: How often (s) the sender looks for due deliveries when nobody nudged it.
POLL_SECONDS = 0.25
#: How often (s) delivered and dead deliveries past the retention are pruned.
PRUNE_EVERY_S = 600
#: How long (s) an endpoint's thread sends before it gives its place to the next due endpoint.
TURN_SECONDS = 5.0


def poster_for(settings, organization: str) -> Poster:
    """Gives a poster to the endpoints of `organization`: the private networks it may reach."""
    return Poster(allow_private=settings.webhook_allow_private,
                  private_networks=private_networks_of(settings, organization))


def send_test(service, *, organization: str, endpoint_id: str) -> dict:
    """Gives how a test POST to the endpoint went: the entry point's sequence, outside any
    transaction (store the delivery, post, record the attempt)."""
    delivery_id = service.run(queue_test, organization=organization, endpoint_id=endpoint_id)
    with service.connection():
        hooks = service.webhooks
        endpoint = hooks.Endpoint.get(hooks.Endpoint.endpoint_id == endpoint_id)
        delivery = hooks.Delivery.get(hooks.Delivery.delivery_id == delivery_id)
    poster = poster_for(service.settings, organization)
    try:
        answer = post_delivery(poster, endpoint, delivery)
    finally:
        poster.close()
    now = service.clock()
    service.run(record_batch, endpoint=endpoint, results=[(delivery, answer, now)], retry=False)
    return {"delivery_id": delivery_id, "ok": answer.ok, "status": answer.status, "latency_ms": answer.latency_ms,
            "answer": answer.answer[:ANSWER_KEEP], "error": answer.error}


def post_delivery(poster: Poster, endpoint, delivery) -> Answer:
    body = delivery.body.encode("utf-8")
    return poster.post(endpoint.url, body, signed_headers(endpoint.secret, delivery.delivery_id, body))


class Sender:
    """The worker's webhook sender: a dispatcher thread, and one thread per endpoint with due
    deliveries (so a slow endpoint holds only its own thread). `nudge()` wakes it at once."""

    def __init__(self, service, *, poll_seconds: float = POLL_SECONDS):
        self.service = service
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)

    def start(self) -> "Sender":
        self._thread.start()
        return self

    def nudge(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=timeout)
        for thread in list(self._busy.values()):
            thread.join(timeout=timeout)

    def _run(self) -> None:
        next_prune = time.monotonic() + 5
        while not self._stop.is_set():
            try:
                for endpoint_id in self.service.run(due_endpoints):
                    if not self._start_endpoint(endpoint_id):
                        break  # every thread is busy: the rest wait for the next pass, in turn
                send_notices(self.service)
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_S
                    self.service.run(prune)
            except Exception:
                log.exception("webhook sender pass failed; trying again")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _start_endpoint(self, endpoint_id: str) -> bool:
        """Starts the endpoint's thread unless it runs; gives False when every thread is busy."""
        with self._lock:
            running = self._busy.get(endpoint_id)
            if running is not None and running.is_alive():
                return True
            if sum(t.is_alive() for t in self._busy.values()) >= self.service.settings.webhook_sender_threads:
                return False
            thread = threading.Thread(target=self._drain, args=(endpoint_id,), name=f"webhook-{endpoint_id}",
                                      daemon=True)
            self._busy[endpoint_id] = thread
        thread.start()
        return True

    def _drain(self, endpoint_id: str) -> None:
        """Sends the endpoint's due deliveries until none is left (one connection, kept alive).

        A batch's answers are recorded by a second thread while the next batch is posted, so
        the database's round trips overlap the receiver's (at most one record outstanding).
        """
        poster = None
        recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"webhook-log-{endpoint_id}")
        previous = None
        turn_ends = time.monotonic() + TURN_SECONDS
        try:
            while not self._stop.is_set() and time.monotonic() < turn_ends:
                endpoint, batch = self.service.run(claim, endpoint_id=endpoint_id)
                if not batch:
                    return
                poster = poster or poster_for(self.service.settings, endpoint.organization)
                results, left = self._send_batch(poster, endpoint, batch)
                if previous is not None:
                    previous.result()
                previous = recorder.submit(self._record, endpoint, results, left)
        except Exception:
            log.exception("webhook sender of endpoint %s failed; its deliveries are tried again later", endpoint_id)
        finally:
            try:
                if previous is not None:
                    previous.result()
            except Exception:
                log.exception("recording the answers of endpoint %s failed; they are sent again after the lease",
                              endpoint_id)
            recorder.shutdown(wait=True)
            if poster is not None:
                poster.close()
            self.service.release()
            with self._lock:
                if self._busy.get(endpoint_id) is threading.current_thread():
                    del self._busy[endpoint_id]

    def _record(self, endpoint, results: list, left: list[int]) -> None:
        try:
            if results:
                self.service.run(record_batch, endpoint=endpoint, results=results)
            if left:
                self.service.run(give_back, ids=left)
        finally:
            self.service.release()

    def _send_batch(self, poster: Poster, endpoint, batch: list) -> tuple[list, list[int]]:
        """Gives (the answers not yet recorded, the ids left unsent because the sender stops)."""
        results, flushed_at = [], time.monotonic()
        left: list[int] = []
        for position, delivery in enumerate(batch):
            if self._stop.is_set():
                left = [d.id for d in batch[position:]]
                break
            answer = post_delivery(poster, endpoint, delivery)
            results.append((delivery, answer, self.service.clock()))
            if answer.ok:
                log.debug("webhook delivery %s of event %s to %s: %s in %s ms", delivery.delivery_id,
                          delivery.event_id, endpoint.endpoint_id, answer.status, answer.latency_ms)
            else:
                log.info("webhook delivery %s of event %s to %s failed (attempt %s): %s", delivery.delivery_id,
                         delivery.event_id, endpoint.endpoint_id, delivery.attempts + 1,
                         answer.error or f"HTTP {answer.status}")
            if time.monotonic() - flushed_at >= FLUSH_EVERY_S:  # a slow receiver: its log stays current
                self.service.run(record_batch, endpoint=endpoint, results=results)
                results, flushed_at = [], time.monotonic()
        return results, left
