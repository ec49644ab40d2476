"""The reporting service in-process on a real SQLite or PostgreSQL database: events go in
through `SERVICE.handle`, the same path a worker takes. The fixture `reporting` is taken in by
tests/integration/reporting/conftest.py; worked_examples feeds it whole months."""
from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.reporting import jobs
from services.reporting.service import SERVICE
from shared.core.settings import load_settings
from testkit.databases import new_database_url
from testkit.doubles import FakeClock, FakeMailer
from testkit.events import envelope
from testkit.mesh import service_env

SHANGHAI = ZoneInfo("Asia/Shanghai")
ORG = "acme-electric"


class Reporting:
    """Feeds events to the reporting service and reads its figures back."""

    def __init__(self, service, settings):
        self.service = service
        self.settings = settings

    def at(self, *args) -> "Reporting":
        """Sets the service clock (a FakeClock) to a local (Asia/Shanghai) time."""
        if not isinstance(self.service.clock, FakeClock):
            self.service.clock = FakeClock()
        self.service.clock.set(datetime(*args, tzinfo=SHANGHAI))
        return self

    @property
    def mailer(self) -> FakeMailer:
        return self.service.mailer

    def feed(self, type_: str, data: dict, *, org: str = ORG, id_: str | None = None) -> str:
        with self.service.connection():
            return self.service.handle(envelope(type_, data, org=org, id_=id_ or f"t-{uuid.uuid4().hex}"))

    def report(self, month: str, *, org: str = ORG, language: str = "zh-CN"):
        return jobs.compute_report(self.service, org, month, language)

    def figures(self, month: str, *, org: str = ORG) -> dict:
        """Gives {name: (numerator, denominator)} of the month's figures."""
        return {name: (f.numerator, f.denominator) for name, f in self.report(month, org=org).figures.items()}


def reporting_settings(tmp_path, *, broker_url: str = "redis://127.0.0.1:1/0", extra: dict | None = None):
    """Gives the settings of a reporting service under `tmp_path` (its broker unreachable unless given)."""
    return load_settings(service_env(broker_url=broker_url, db_urls={}, var_dir=tmp_path / "var", extra=extra))


@pytest.fixture
def reporting(tmp_path):
    """The reporting service on a fresh database, its clock at 2026-11-03 08:00 and a fake mailer."""
    settings = reporting_settings(tmp_path)
    clock, mailer = SERVICE.clock, SERVICE.mailer
    SERVICE.clock, SERVICE.mailer = FakeClock(), FakeMailer()
    SERVICE.bind(settings, url=new_database_url("reporting", tmp_path))
    yield Reporting(SERVICE, settings).at(2026, 11, 3, 8, 0)
    SERVICE.clock, SERVICE.mailer = clock, mailer
    if not SERVICE.database.is_closed():
        SERVICE.database.close()


# ---------------------------------------------------------------- event builders


def customer(id_: str, segment: str = "ordinary", name: str | None = None, phone: str | None = None) -> dict:
    return {"id": id_, "name": name or f"客户{id_}", "segment": segment, "phone": phone or "13812345678"}


def order_completed(order_id: str, cust: dict, completed_at: str, kind: str = "maintenance") -> dict:
    return {"order_id": order_id, "customer": cust, "completed_at": completed_at, "business_line": "vehicle",
            "kind": kind}


def scheduled(callback_id: str, customer_id: str, due_on: str, kind: str = "first", **extra) -> dict:
    return {"callback_id": callback_id, "kind": kind, "due_on": due_on, "customer_id": customer_id, **extra}


def completed(callback_id: str, cust: dict, due_on: str, *, reached: bool = True, product=None, service=None,
              kind: str = "first", key_customer: bool = False, **extra) -> dict:
    return {"callback_id": callback_id, "kind": kind, "due_on": due_on, "customer": cust,
            "key_customer": key_customer, "reached": reached, "product_satisfaction": product,
            "service_satisfaction": service, "complaint_id": None, "suggestions": extra.pop("suggestions", None),
            "dissatisfied_reason": extra.pop("dissatisfied_reason", None), "duration_s": 120, **extra}


def pdf_text(pdf: bytes) -> str:
    """Gives the text of a PDF as pdftotext (poppler-utils) reads it, laid out."""
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) reads the PDF back"
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
