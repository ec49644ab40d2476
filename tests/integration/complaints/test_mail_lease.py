"""Complaint mail is leased, not consumed, before sending: a worker dying between the claim
and the send loses no mail (at least once); a mail is marked sent only after it went out."""
from __future__ import annotations

from datetime import timedelta

import pytest

import shared.mail
from services.complaints import handlers, models
from services.complaints.service import SERVICE
from shared.db import SchemaVersion, ensure_schema


class WorkerDied(Exception):
    """Stands for a worker killed mid-send (not a mail error the job catches)."""


def note() -> models.Notification:
    with SERVICE.connection():
        return models.Notification.get()


def outbox(settings) -> list:
    folder = settings.var_dir / "outbox"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def test_a_worker_dying_between_claim_and_send_loses_no_mail(api, clock, settings, monkeypatch):
    # given a complaint raised: one mail to the agents is queued
    api.raise_()
    real_send = shared.mail.send_message

    def die(*args, **kwargs):
        raise WorkerDied()

    # when the worker claims the mail and dies before it went out
    monkeypatch.setattr(shared.mail, "send_message", die)
    with pytest.raises(WorkerDied):
        handlers.send_notifications(service=SERVICE)
    claimed = note()
    assert claimed.sent_at is None and claimed.claimed_at == clock.now and claimed.attempts == 1
    assert outbox(settings) == []
    monkeypatch.setattr(shared.mail, "send_message", real_send)
    # then while its lease runs, nobody else sends it (the claimer may still be sending)
    clock.now += handlers.MAIL_LEASE - timedelta(seconds=1)
    assert handlers.send_notifications(service=SERVICE) == 0
    # and once the lease has expired without the mail marked sent, it is sent, once
    clock.now += timedelta(seconds=1)
    assert handlers.send_notifications(service=SERVICE) == 1
    assert len(outbox(settings)) == 1
    sent = note()
    assert sent.sent_at == clock.now and sent.attempts == 2 and sent.recipients == "wang@acme.example"
    clock.now += handlers.MAIL_LEASE * 2
    assert handlers.send_notifications(service=SERVICE) == 0


def test_a_mail_is_marked_sent_only_after_it_went_out(api, clock, monkeypatch):
    api.raise_()
    real_send = shared.mail.send_message
    seen = []

    def send_and_look(*args, **kwargs):
        seen.append(note().sent_at)  # what another worker would read while the mail goes out
        return real_send(*args, **kwargs)

    monkeypatch.setattr(shared.mail, "send_message", send_and_look)
    assert handlers.send_notifications(service=SERVICE) == 1
    assert seen == [None] and note().sent_at is not None


def test_a_failed_send_gives_the_lease_back_and_is_retried_next_pass(api, clock, settings, monkeypatch):
    api.raise_()
    real_send = shared.mail.send_message

    def smtp_down(*args, **kwargs):
        raise shared.mail.MailError("SMTP server unavailable")

    monkeypatch.setattr(shared.mail, "send_message", smtp_down)
    assert handlers.send_notifications(service=SERVICE) == 0
    failed = note()
    assert (failed.sent_at, failed.claimed_at, failed.attempts) == (None, None, 1)
    assert "unavailable" in failed.last_error
    monkeypatch.setattr(shared.mail, "send_message", real_send)
    assert handlers.send_notifications(service=SERVICE) == 1
    assert note().last_error is None and len(outbox(settings)) == 1


def test_a_mail_failing_max_attempts_times_is_left_for_a_person(api, clock, monkeypatch):
    api.raise_()

    def smtp_down(*args, **kwargs):
        raise shared.mail.MailError("SMTP server unavailable")

    monkeypatch.setattr(shared.mail, "send_message", smtp_down)
    for _ in range(handlers.MAX_MAIL_ATTEMPTS + 2):
        handlers.send_notifications(service=SERVICE)
    assert note().attempts == handlers.MAX_MAIL_ATTEMPTS and note().sent_at is None


def test_migration_3_adds_the_mail_lease_column_to_a_version_2_database(api):
    db = SERVICE.database
    with SERVICE.connection():
        # given a database of version 2.0.0 (no claimed_at, migration 3 not applied)
        db.execute_sql('ALTER TABLE "complaint_notification" DROP COLUMN "claimed_at"')
        with db.bind_ctx([SchemaVersion]):
            SchemaVersion.delete().where(SchemaVersion.version == 3).execute()
        # when the service starts
        assert ensure_schema(db, SERVICE.all_models, migrations=SERVICE.migrations) == max(SERVICE.migrations)
        assert "claimed_at" in {c.name for c in db.get_columns("complaint_notification")}
    # then mail is queued and sent as before
    assert api.raise_().status_code == 201
    assert handlers.send_notifications(service=SERVICE) == 1
