"""The scheduler in-process: its real database (SQLite or PostgreSQL), real handlers, its web app;
and the events its integration tests feed it. The fixture `scheduler` is taken in by
tests/integration/scheduler/conftest.py."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from services.scheduler.app import create_app
from services.scheduler.service import SERVICE
from shared.core.settings import load_settings
from testkit.databases import new_database_url
from testkit.doubles import FakeClock
from testkit.events import envelope
from testkit.mesh import service_env
from testkit.tokens import API_TOKEN, bearer, user_token

ORG = "acme-electric"

class Scheduler:
    """The scheduler service bound to a fresh database, with a clock the test sets (`scheduler.now = ...`)."""

    def __init__(self, settings, now: datetime):
        self.settings = settings
        self.clock = FakeClock(now)
        self._app = None

    @property
    def now(self) -> datetime:
        return self.clock()

    @now.setter
    def now(self, moment: datetime) -> None:
        self.clock.set(moment)

    def handle(self, type_: str, data: dict, **kwargs) -> dict:
        event = envelope(type_, data, **kwargs)
        with SERVICE.connection():
            SERVICE.handle(event)
        return event

    def handle_envelope(self, event: dict) -> str:
        with SERVICE.connection():
            return SERVICE.handle(event)

    @property
    def client(self):
        if self._app is None:
            self._app = create_app({"TESTING": True, "HUIFANG_SETTINGS": self.settings})
        return self._app.test_client()

    def get(self, path: str, role: str = "agent", login: str = "li", **kwargs):
        return self.client.get(path, headers=bearer(user_token(role, ORG, login)), **kwargs)

    def post(self, path: str, role: str = "agent", login: str = "li", **kwargs):
        return self.client.post(path, headers=bearer(user_token(role, ORG, login)), **kwargs)

    def callbacks(self, **query) -> list[dict]:
        response = self.client.get("/api/v1/callbacks", query_string={**query, "organization": ORG},
                                   headers=bearer(API_TOKEN))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def outbox(self, type_: str) -> list[dict]:
        with SERVICE.connection():
            return [json.loads(row.envelope) for row in
                    SERVICE.Outbox.select().where(SERVICE.Outbox.type == type_).order_by(SERVICE.Outbox.id)]

    def model(self, name: str):
        return next(m for m in SERVICE.models if m.__name__ == name)


@pytest.fixture
def scheduler(redis_server, tmp_path):
    env = service_env(broker_url=redis_server.url, db_urls={"scheduler": new_database_url("scheduler", tmp_path)},
                      var_dir=tmp_path / "var")
    settings = load_settings(env)
    state = Scheduler(settings, datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc))  # Monday 10:00 in Shanghai
    previous_clock = SERVICE.clock
    SERVICE.clock = state.clock
    SERVICE.bind(settings, url=settings.database_url("scheduler"))
    yield state
    SERVICE.clock = previous_clock
    if not SERVICE.database.is_closed():
        SERVICE.database.close()


# ---------------------------------------------------------------- events

#: A delivery of equipment (RULES 1.1), and its callbacks' due dates once commissioned on 2026-03-15.
SHIPPED = {"delivery_id": "D-1", "shipped_on": "2026-01-31", "contract_amount": "120000.00", "project": "华东变电站",
           "product_model": "KYN28-12", "quantity": 4,
           "customer": {"id": "C-1", "name": "华东电力", "segment": "ordinary", "phone": "13812345678",
                        "contact_person": "张工", "site_contact": "李工", "site_phone": "13987654321"}}

WORKED_EXAMPLE = {
    "installation": "2026-02-09", "trial_run": "2026-04-15", "warranty_6m": "2026-09-15",
    "warranty_end": "2027-03-15", "post_warranty_24m": "2028-03-15", "post_warranty_36m": "2029-03-15",
}

#: A VIP customer's maintenance order.
VIP_ORDER = {"order_id": "O-1", "customer": {"id": "C-1", "name": "王先生", "segment": "vip", "phone": "13812345678"},
             "completed_at": "2026-10-30T15:00:00+08:00", "business_line": "vehicle", "kind": "maintenance"}


def order(order_id: str, *, customer: str = "C-1", segment: str = "ordinary", line: str = "vehicle",
          kind: str = "maintenance", completed_at: str = "2026-10-30T15:00:00+08:00") -> dict:
    """Gives the data of a service_order.completed of an ordinary customer unless told otherwise."""
    return {"order_id": order_id, "customer": {"id": customer, "name": f"客户{customer}", "segment": segment},
            "completed_at": completed_at, "business_line": line, "kind": kind}


def post_warranty_callback(scheduler) -> dict:
    """Gives the 24-month post-warranty callback of the equipment of SHIPPED (commissioned 2026-03-15)."""
    scheduler.handle("delivery.shipped", SHIPPED)
    scheduler.handle("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-15"})
    return scheduler.callbacks(delivery_id="D-1", kind="post_warranty_24m")[0]
