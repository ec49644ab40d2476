"""Complaint mail is leased, not consumed, before sending: a worker dying between the claim
and the send loses no mail (at least once); a mail is marked sent only after it went out."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.complaints import models, notify
from services.complaints.service import SERVICE
from shared.core.db import ensure_schema
from testkit.doubles import WorkerDied
from testkit.migrations import forget_step


def note() -> models.Notification:
    with SERVICE.connection():
        return models.Notification.get()


def send() -> int:
    return notify.send_notifications(SERVICE)


def test_a_worker_dying_between_claim_and_send_loses_no_mail(api, clock, mailer):
    # given a complaint raised: one mail to the agents is queued
    api.raise_()

    def die(message):
        raise WorkerDied()

    # when the worker claims the mail and dies before it went out
    mailer.before_send = die
    with pytest.raises(WorkerDied):
        send()
    claimed = note()
    assert claimed.sent_at is None and claimed.claimed_at == clock() and claimed.attempts == 1
    assert mailer.sent == []
    mailer.before_send = None
    # then while its lease runs, nobody else sends it (the claimer may still be sending)
    clock.set(clock() + notify.MAIL_LEASE - timedelta(seconds=1))
    assert send() == 0
    # and once the lease has expired without the mail marked sent, it is sent, once
    clock.advance(seconds=1)
    assert send() == 1
    assert mailer.to() == [["wang@acme.example"]]
    sent = note()
    assert sent.sent_at == clock() and sent.attempts == 2 and sent.recipients == "wang@acme.example"
    clock.set(clock() + notify.MAIL_LEASE * 2)
    assert send() == 0


def test_a_mail_is_marked_sent_only_after_it_went_out(api, clock, mailer):
    api.raise_()
    seen = []
    # what another worker would read while the mail goes out
    mailer.before_send = lambda message: seen.append(note().sent_at)
    assert send() == 1
    assert seen == [None] and note().sent_at is not None


def test_a_failed_send_gives_the_lease_back_and_is_retried_next_pass(api, clock, mailer):
    api.raise_()
    mailer.fail_with = "SMTP server unavailable"
    assert send() == 0
    failed = note()
    assert (failed.sent_at, failed.claimed_at, failed.attempts) == (None, None, 1)
    assert "unavailable" in failed.last_error
    mailer.fail_with = None
    assert send() == 1
    assert note().last_error is None and len(mailer.sent) == 1


def test_a_mail_failing_max_attempts_times_is_left_for_a_person(api, clock, mailer):
    api.raise_()
    mailer.fail_with = "SMTP server unavailable"
    for _ in range(notify.MAX_MAIL_ATTEMPTS + 2):
        send()
    assert note().attempts == notify.MAX_MAIL_ATTEMPTS and note().sent_at is None


def test_migration_3_adds_the_mail_lease_column_to_a_version_2_database(api, mailer):
    db = SERVICE.database
    with SERVICE.connection():
        # given a database of version 2.0.0 (no claimed_at, migration 3 not applied)
        db.execute_sql('ALTER TABLE "complaint_notification" DROP COLUMN "claimed_at"')
        forget_step(db, "complaints", "2.1.0")
        # when the service starts
        assert ensure_schema(db, SERVICE.all_models,
                             migrations=SERVICE.all_migrations)["complaints"] == SERVICE.migrations.latest
        assert "claimed_at" in {c.name for c in db.get_columns("complaint_notification")}
    # then mail is queued and sent as before
    assert api.raise_().status_code == 201
    assert send() == 1
