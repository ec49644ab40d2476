"""The shared mechanisms of the one shape: errors, rule loading, leases, trusted forwarding, relay."""
import json
from datetime import datetime, timedelta, timezone

import peewee
import pytest

from shared.core import errors
from shared.core.events import Event, load_event
from shared.core.lease import Lease
from shared.core.orgdata import load_org_rules
from shared.mesh.outbox import outbox_model
from shared.mesh.relay import relay_once
from shared.core.settings import load_settings
from testkit.doubles import FakeClock, FakeMailer, stub_broker

SECRET = "s" * 32


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_exception_the_project_defines_descends_from_huifang_error():
    import importlib
    import pkgutil

    import services
    import shared

    for package in (shared, services):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if module.name.endswith(("actors", "__manifest__")):
                continue  # actors declare a broker at import; their errors live elsewhere
            importlib.import_module(module.name)
    strays = []
    for cls in _all_subclasses(Exception):
        if issubclass(cls, peewee.DoesNotExist):
            continue  # peewee's own, made per table
        if cls.__module__.startswith(("shared.", "services.")) and not issubclass(cls, errors.HuifangError):
            strays.append(f"{cls.__module__}.{cls.__qualname__}")
    assert strays == []


def test_an_error_names_its_field_for_problem_json():
    error = errors.InvalidInput("must be a date", field="shipped_on")
    assert error.status == 422
    assert error.problem_errors() == {"shipped_on": ["must be a date"]}
    assert errors.NotFound("no such callback").problem_errors() is None


def test_one_mapping_turns_any_huifang_error_into_problem_json():
    from flask import Flask

    from shared.web.problems import problem  # noqa: F401 (the mapping lives in create_service_app)
    from services.scheduler.app import create_app

    settings = load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_SCHEDULER_DATABASE_URL": "sqlite:///:memory:"})
    app = create_app({"HUIFANG_SETTINGS": settings})
    assert isinstance(app, Flask)

    @app.get("/api/v1/boom/<kind>")
    def boom(kind):
        raise {"conflict": errors.Conflict("already closed"),
               "field": errors.InvalidInput("too long", field="reason"),
               "ours": errors.HuifangError("a bug")}[kind]

    from shared.web.auth import issue_token

    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + issue_token(SECRET, login="li", role="manager",
                                                                        organization="acme")
    answer = client.get("/api/v1/boom/conflict")
    assert answer.status_code == 409 and answer.mimetype == "application/problem+json"
    assert answer.get_json()["detail"] == "already closed"
    answer = client.get("/api/v1/boom/field")
    assert answer.status_code == 422 and answer.get_json()["errors"] == {"reason": ["too long"]}
    answer = client.get("/api/v1/boom/ours")
    assert answer.status_code == 500 and "a bug" not in answer.get_data(as_text=True)


def test_rules_are_parsed_once_per_version_of_the_file(tmp_path):
    settings = load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_DATA_DIR": str(tmp_path)})
    own = tmp_path / "acme" / "scheduler" / "calendar.yaml"
    own.parent.mkdir(parents=True)
    own.write_text("holidays: []\n")
    calls = []

    def parse(raw):
        calls.append(raw)
        return {"parsed": raw}

    first = load_org_rules(settings, service="scheduler", relative="calendar.yaml", organization="acme", parse=parse)
    again = load_org_rules(settings, service="scheduler", relative="calendar.yaml", organization="acme", parse=parse)
    assert first is again and len(calls) == 1
    import os

    own.write_text("holidays: ['2026-10-01']\n")
    os.utime(own, (own.stat().st_atime, own.stat().st_mtime + 5))
    changed = load_org_rules(settings, service="scheduler", relative="calendar.yaml", organization="acme",
                             parse=parse)
    assert changed["parsed"] == {"holidays": ["2026-10-01"]} and len(calls) == 2


def _lease_table():
    db = peewee.SqliteDatabase(":memory:")

    class Job(peewee.Model):
        claimed_at = peewee.DateTimeField(null=True)
        done = peewee.BooleanField(default=False)

        class Meta:
            database = db

    db.create_tables([Job])
    return Job


def test_a_lease_is_held_by_one_claimant_until_it_expires():
    Job = _lease_table()
    job = Job.create()
    lease = Lease(Job.claimed_at, timedelta(minutes=5))
    now = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
    assert lease.claim(Job.id == job.id, now=now)
    assert not lease.claim(Job.id == job.id, now=now + timedelta(minutes=1))
    # a worker that died leaves a lease that runs out: the work is done again
    assert lease.claim(Job.id == job.id, now=now + timedelta(minutes=6))
    assert lease.give_back(Job.id == job.id) == 1
    assert lease.claim(Job.id == job.id, now=now + timedelta(minutes=7))


def _envelope(**data):
    return {"specversion": "1.0", "id": "e-1", "type": "equipment.commissioned", "source": "erp://x",
            "organization": "acme", "time": "2026-03-15T10:00:00+08:00",
            "data": {"delivery_id": "D1", "commissioned_on": "2026-03-15", **data}}


def test_a_forwarded_envelope_is_not_validated_again_but_typed_the_same():
    full = load_event(_envelope())
    forwarded = Event.from_envelope(json.loads(json.dumps(full.raw)))
    assert forwarded.data == full.data and forwarded.time == full.time


def test_a_hand_made_bad_copy_on_a_service_queue_is_still_refused():
    from shared.mesh.service import _trusted_event

    with pytest.raises(errors.InvalidEvent):
        _trusted_event({**_envelope(), "data": {"delivery_id": "D1", "commissioned_on": "not a date"}})


def test_the_relay_sends_each_event_straight_to_its_subscribers_queues():
    db = peewee.SqliteDatabase(":memory:")
    Outbox = outbox_model(db)
    db.create_tables([Outbox])
    from shared.mesh.outbox import add

    with db.atomic():
        add(Outbox, [_envelope()])
    broker = stub_broker(load_settings({"HUIFANG_SECRET_KEY": SECRET}))
    for queue in ("scheduler", "reporting"):
        broker.declare_queue(queue)
    assert relay_once(Outbox, broker, subscribers=lambda type_: ["scheduler", "reporting"]) == 1
    assert broker.queues["scheduler"].qsize() == 1 and broker.queues["reporting"].qsize() == 1
    assert Outbox.select().where(Outbox.sent_at.is_null()).count() == 0


def test_fake_clock_and_mailer_have_the_real_interfaces():
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert clock.advance(hours=2) == datetime(2026, 1, 1, 2, tzinfo=timezone.utc) == clock()
    from shared.core.mail import MailError, build_message

    mailer = FakeMailer()
    mailer.send(build_message(sender="a@x.example", to=["b@x.example"], subject="s", body_text="b"))
    assert mailer.to() == [["b@x.example"]]
    mailer.fail_with = "smtp down"
    with pytest.raises(MailError):
        mailer.send(build_message(sender="a@x.example", to=["b@x.example"], subject="s", body_text="b"))
