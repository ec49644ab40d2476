"""Test doubles in one place: a stub broker, a fake clock and a fake mailer.

Each has the interface of the real piece it stands for, so a test hands it to the service
(`Service.clock`, `Service.mailer`, `HUIFANG_BROKER_URL=stub://`) instead of patching the
project's own functions. Integration tests keep the real Redis, databases, workers and SMTP.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

from shared.core.errors import HuifangError
from shared.core.mail import MailError
from shared.core.settings import load_settings
from shared.mesh.broker import make_broker

#: The broker URL that gives Dramatiq's StubBroker with Huifang's middleware (shared/mesh/broker.py).
STUB_BROKER_URL = "stub://"


def stub_broker(settings=None):
    """Gives a StubBroker with the project's middleware (for one actor's unit test)."""
    settings = settings or load_settings({})
    return make_broker(replace(settings, broker_url=STUB_BROKER_URL))


def recording_broker(*, down: bool = False):
    """Gives a StubBroker that also keeps (actor, args, delay in ms) of every message enqueued,
    in `.sent`; with `down=True` every enqueue fails as a broker outage does."""
    from dramatiq.brokers.stub import StubBroker

    class RecordingBroker(StubBroker):
        def __init__(self):
            super().__init__(middleware=[])
            self.sent: list[tuple[str, list, int | None]] = []
            self.down = down

        def enqueue(self, message, *, delay=None):
            if self.down:
                raise ConnectionError("broker down")
            if message.queue_name not in self.queues:
                self.declare_queue(message.queue_name)
            self.sent.append((message.actor_name, list(message.args), delay))
            return super().enqueue(message, delay=delay)

    return RecordingBroker()


class FakeClock:
    """A clock that stands still until moved: `service.clock = FakeClock(start)`."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta) -> datetime:
        """Moves the clock forward by `timedelta(**delta)`; gives the new moment."""
        with self._lock:
            self.now = self.now + timedelta(**delta)
            return self.now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self.now = moment


class FakeMailer:
    """A mailer that keeps what it is given (`sent`), or fails on demand.

    `fail_with`: an exception (or a MailError message) raised by the next sends; `before_send`:
    a function called with the message first (to look at the database mid-send, or to die).
    """

    def __init__(self):
        self.sent: list[EmailMessage] = []
        self.fail_with: Exception | str | None = None
        self.before_send = None
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> str:
        if self.before_send is not None:
            self.before_send(message)
        if self.fail_with is not None:
            error = self.fail_with
            raise error if isinstance(error, BaseException) else MailError(str(error))
        with self._lock:
            self.sent.append(message)
        return message.get("Message-ID", "<fake>")

    def to(self) -> list[list[str]]:
        """Gives the recipients of each sent message, in order."""
        return [[a.strip() for a in m["To"].split(",")] for m in self.sent]


class WorkerDied(HuifangError):
    """Raised by a FakeMailer's `before_send` to play a worker that dies mid-send."""
