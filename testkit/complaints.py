"""The complaints service in-process on a fresh database (SQLite or PostgreSQL), a frozen clock,
a fake mailer, and the events its integration tests feed it. The fixtures (`settings`, `clock`,
`mailer`, `api`, `people`) are taken in by tests/integration/complaints/conftest.py."""
from __future__ import annotations

import json

import pytest
import yaml

from services.complaints import models
from services.complaints.app import create_app
from services.complaints.service import SERVICE
from shared.core.settings import load_settings
from shared.users.store import save_person
from testkit.complaints_domain import at
from testkit.databases import new_database_url
from testkit.doubles import FakeClock, FakeMailer
from testkit.events import envelope
from testkit.mesh import service_env
from testkit.tokens import API_TOKEN, bearer, user_token

ORG = "acme-electric"
#: The organisation's people of the old users.yaml (the service reads it besides the directory).
USERS = [
    {"login": "wang", "role": "agent", "email": "wang@acme.example"},
    {"login": "li", "role": "advisor", "email": "li@acme.example"},
    {"login": "zhao", "role": "manager", "email": "zhao@acme.example"},
]
#: The people of the user directory of the `people` fixture: (login, role, email).
PEOPLE = [("chen", "agent", "chen@acme.example"), ("li", "advisor", "li@acme.example"),
          ("sun", "supervisor", "sun@acme.example"), ("zhao", "manager", "zhao@acme.example")]
#: The customer of the events `raised` and `verification` give.
CUSTOMER = {"id": "C-1", "name": "华东电力", "segment": "government", "phone": "021-1234"}


class ComplaintsApp:
    """The complaints service's web app on the test's database, with the test's clock."""

    def __init__(self, settings, clock: FakeClock):
        self.settings = settings
        self.clock = clock
        self.app = create_app({"TESTING": True, "HUIFANG_SETTINGS": settings})
        self.client = self.app.test_client()

    def headers(self, role: str, org: str = ORG, login: str | None = None) -> dict:
        return bearer(user_token(role, org=org, login=login or f"{role}-1"))

    def raise_(self, role: str = "integration", org: str = ORG, **fields):
        """Raises complaint K-1 (or `complaint_id`) as the integration token, the one caller that
        names its ids; a person's role (`role="agent"`) gets a server-made id."""
        body = {"complaint_id": "K-1", "customer": {"id": "C-1", "name": "华东电力", "phone": "021-1234"},
                "description": "空调不制冷", "category": "product_quality", "source": "hotline",
                "raised_at": "2026-11-20T17:00:00+08:00", **fields}
        if role == "integration":
            return self.client.post(f"/api/v1/complaints?organization={org}", json=body, headers=bearer(API_TOKEN))
        body.pop("complaint_id")
        return self.client.post("/api/v1/complaints", json=body, headers=self.headers(role, org))

    def post(self, complaint_id: str, step: str, body: dict, role: str, org: str = ORG):
        return self.client.post(f"/api/v1/complaints/{complaint_id}/{step}", json=body,
                                headers=self.headers(role, org))

    def post_as(self, complaint_id: str, step: str, body: dict, role: str, login: str):
        """Posts a step as the person `login` (a role's made-up login otherwise)."""
        return self.client.post(f"/api/v1/complaints/{complaint_id}/{step}", json=body,
                                headers=self.headers(role, login=login))

    def get(self, complaint_id: str, role: str = "agent", org: str = ORG):
        return self.client.get(f"/api/v1/complaints/{complaint_id}", headers=self.headers(role, org))

    def events(self, type_: str | None = None) -> list[dict]:
        with SERVICE.connection():
            rows = [json.loads(r.envelope) for r in SERVICE.Outbox.select().order_by(SERVICE.Outbox.id)]
        return [e for e in rows if type_ is None or e["type"] == type_]

    def history(self, complaint_id: str, action: str | None = None) -> list:
        with SERVICE.connection():
            query = (models.ComplaintHistory.select().join(models.Complaint)
                     .where(models.Complaint.complaint_id == complaint_id).order_by(models.ComplaintHistory.id))
            return [h for h in query if action is None or h.action == action]

    def count(self, model=models.Complaint) -> int:
        with SERVICE.connection():
            return model.select().count()


@pytest.fixture
def settings(tmp_path, redis_server):
    url = new_database_url("complaints", tmp_path)
    env = service_env(broker_url=redis_server.url, db_urls={"complaints": url}, var_dir=tmp_path / "var")
    settings = load_settings(env)
    users = settings.data_dir / ORG / "complaints" / "users.yaml"
    users.parent.mkdir(parents=True, exist_ok=True)
    users.write_text(yaml.safe_dump({"users": USERS}), encoding="utf-8")
    SERVICE.bind(settings, url=url)
    return settings


@pytest.fixture
def clock():
    """The service's clock, standing still at Friday 2026-11-20 17:00 until the test moves it."""
    saved = SERVICE.clock
    clock = FakeClock(at(2026, 11, 20, 17, 0))
    SERVICE.clock = clock
    yield clock
    SERVICE.clock = saved


@pytest.fixture
def mailer(settings):
    """The service's mailer replaced by a FakeMailer for the test (the real one put back after)."""
    saved = SERVICE.mailer
    SERVICE.mailer = FakeMailer()
    yield SERVICE.mailer
    SERVICE.mailer = saved


@pytest.fixture
def api(settings, clock) -> ComplaintsApp:
    return ComplaintsApp(settings, clock)


@pytest.fixture
def people(settings):
    """The people of PEOPLE in the user directory."""
    for login, role, email in PEOPLE:
        SERVICE.run(save_person, organization=ORG, login=login, role=role, email=email)


def raised(complaint_id="K-1", **data):
    """Gives a complaint.raised envelope (a callback's dissatisfied customer), `data` on top."""
    return envelope("complaint.raised", {"complaint_id": complaint_id, "customer": CUSTOMER,
                                         "description": "回访不满意:服务态度差", "source": "callback",
                                         "raised_at": "2026-11-20T17:00:00+08:00", **data})


def verification(complaint_id="K-1", product="satisfied", service="satisfied", **data):
    """Gives the callback.completed envelope of the complaint's verification call."""
    return envelope("callback.completed", {"callback_id": "CB-9", "kind": "verification", "due_on": "2026-11-24",
                                           "customer": CUSTOMER, "reached": True, "complaint_id": complaint_id,
                                           "product_satisfaction": product, "service_satisfaction": service,
                                           **data})


def handle(event):
    """Handles `event` as the worker does; gives "handled" or "duplicate"."""
    with SERVICE.connection():
        return SERVICE.handle(event)


def resolved(api, clock):
    """Raises K-1 (`raised`), escalates it to the advisor, who resolves it."""
    handle(raised())
    clock.set(at(2026, 11, 23, 10, 0))
    assert api.post("K-1", "escalate", {"reason": "需服务顾问处理"}, role="agent").status_code == 200
    response = api.post("K-1", "resolve", {"root_cause": "态度", "corrective_action": "培训"}, role="advisor")
    assert response.status_code == 200, response.get_json()
