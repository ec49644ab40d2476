"""While the database restarts (its connections dropped), `POST /api/v1/events`
answers 503 with Retry-After, not 500: the producer sends the event again (bench/soak.py
--fault postgres-restart proves the whole of it against a restarted PostgreSQL)."""
from __future__ import annotations

import uuid

import peewee
import pytest

from services.scheduler.service import SERVICE
from testkit.apps import assert_problem, client
from testkit.tokens import INTEGRATION, ORG


def _order() -> dict:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "service_order.completed", "source": "erp://acme",
            "organization": ORG, "time": "2026-10-12T10:00:00+08:00",
            "data": {"order_id": "SO-1", "customer": {"id": "C-1", "name": "王先生"},
                     "completed_at": "2026-10-12T15:00:00+08:00", "business_line": "vehicle", "kind": "repair"}}


@pytest.mark.parametrize("error", [peewee.OperationalError, peewee.InterfaceError])
def test_a_dropped_database_connection_is_503_with_retry_after_and_the_resend_is_accepted(apps, monkeypatch, error):
    scheduler = client(apps, "scheduler")
    envelope = _order()
    with monkeypatch.context() as patch:
        def dropped(*args, **kwargs):
            raise error("server closed the connection unexpectedly")

        patch.setattr(SERVICE, "accept", dropped)
        answer = scheduler.post("/api/v1/events", json=envelope, headers=INTEGRATION)
    assert_problem(answer, 503)
    assert answer.headers["Retry-After"] == "1"
    assert "server closed" not in answer.get_data(as_text=True)  # the driver's words stay in the log
    # the producer sends it again once the database is back
    assert scheduler.post("/api/v1/events", json=envelope, headers=INTEGRATION).status_code == 202


def test_other_database_errors_stay_500(apps, monkeypatch):
    def broken(*args, **kwargs):
        raise peewee.IntegrityError("duplicate key")

    monkeypatch.setattr(SERVICE, "accept", broken)
    assert_problem(client(apps, "scheduler").post("/api/v1/events", json=_order(), headers=INTEGRATION), 500)
