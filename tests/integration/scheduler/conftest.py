"""The scheduler in-process: its real database (SQLite or PostgreSQL), real handlers, its web app."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.scheduler.service import SERVICE
from shared.core.settings import load_settings
from tests.conftest import API_TOKEN, bearer, envelope, new_database_url, service_env, user_token
from tests.doubles import FakeClock

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
            from services.scheduler.app import create_app

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
        import json

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
