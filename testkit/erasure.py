"""The three services in-process on fresh databases (SQLite or PostgreSQL), the events relayed
between them as the outbox relay does, and a search of every table and mail file they keep: what
the erasure tests (PIPL, `make erase-customer`) need. The fixture `installation`."""
from __future__ import annotations

import importlib
import json
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from shared.core.events import validate_envelope
from shared.core.manifest import subscribers
from shared.core.settings import SERVICES, load_settings
from testkit.databases import new_database_url
from testkit.doubles import FakeClock
from testkit.events import envelope
from testkit.mesh import service_env
from testkit.reporting import pdf_text

ORG = "acme-electric"


class Installation:
    """The three services bound to fresh databases, one clock; `post` is an event posted to the
    scheduler (POST /api/v1/events), `spread` hands every service's new outbox rows to the
    subscribers of their type, as the relay does."""

    def __init__(self, settings, clock: FakeClock):
        self.settings, self.clock = settings, clock
        self.services = {name: importlib.import_module(f"services.{name}.service").SERVICE for name in SERVICES}
        self._seen = dict.fromkeys(SERVICES, 0)

    def __getitem__(self, name: str):
        return self.services[name]

    def post(self, type_: str, data: dict, *, to: str = "scheduler") -> None:
        service = self.services[to]
        with service.connection():
            service.accept([validate_envelope(envelope(type_, data, org=ORG))])
        self.spread()

    def spread(self) -> None:
        moved = True
        while moved:
            moved = False
            for name, service in self.services.items():
                with service.connection():
                    rows = list(service.Outbox.select(service.Outbox.id, service.Outbox.envelope).where(
                        service.Outbox.id > self._seen[name]).order_by(service.Outbox.id).tuples())
                for row_id, raw in rows:
                    self._seen[name], moved = row_id, True
                    event = json.loads(raw)
                    for subscriber in subscribers(event["type"]):
                        with self.services[subscriber].connection():
                            self.services[subscriber].handle(event, trusted=True)

    def counts(self) -> dict[tuple[str, str], int]:
        """Gives {(service, table): rows} of every table of every service."""
        found = {}
        for name, service in self.services.items():
            with service.connection() as database:
                for table in database.get_tables():
                    found[(name, table)] = database.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        return found

    def search(self, needles) -> list[tuple]:
        """Gives (service, table, column, needle) of every column of every table of every service, and
        (file, needle) of every mail file of the file outbox, holding one of `needles` (as written, or
        escaped in JSON); a stored PDF or attached one is read as text."""
        forms = {needle: {needle, json.dumps(needle)[1:-1]} for needle in needles}
        found = []
        for name, service in self.services.items():
            with service.connection() as database:
                for table in database.get_tables():
                    cursor = database.execute_sql(f'SELECT * FROM "{table}"')
                    columns = [d[0] for d in cursor.description]
                    for row in cursor.fetchall():
                        for column, value in zip(columns, row):
                            text = _text(value)
                            found += [(name, table, column, n) for n, f in forms.items() if any(x in text for x in f)]
        for path in sorted((Path(self.settings.var_dir) / "outbox").glob("*.eml")):
            text = _mail_text(path.read_bytes())
            found += [(path.name, n) for n, f in forms.items() if any(x in text for x in f)]
        return sorted(set(found))


def _text(value) -> str:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return pdf_text(value) if value.startswith(b"%PDF") else value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _mail_text(raw: bytes) -> str:
    message = message_from_bytes(raw, policy=policy.default)
    parts = [str(value) for value in message.values()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
        elif part.get_content_type() == "application/pdf":
            parts.append(pdf_text(part.get_content()))
    return "\n".join(parts)


@pytest.fixture
def installation(tmp_path):
    urls = {name: new_database_url(name, tmp_path) for name in SERVICES}
    settings = load_settings(service_env(broker_url="stub://", db_urls=urls, var_dir=tmp_path / "var"))
    clock = FakeClock(datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc))  # Monday 10:00 in Shanghai
    state = Installation(settings, clock)
    saved = {name: (service.clock, service.mailer) for name, service in state.services.items()}
    for name, service in state.services.items():
        service.clock, service.mailer = clock, None  # the real mailer: no SMTP, so the file outbox
        service.bind(settings, url=urls[name])
    yield state
    for name, service in state.services.items():
        service.clock, service.mailer = saved[name]
        if not service.database.is_closed():
            service.database.close()
