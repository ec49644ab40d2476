"""The complaints domain's pieces for its unit tests: the packaged chains and policies, a real
calendar, and `raise_at`. The fixtures are taken in by tests/unit/complaints/conftest.py."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.complaints.domain.data import packaged_chain, packaged_policy
from services.complaints.domain.raising import raise_complaint
from shared.core.calendar import WorkingCalendar

#: Asia/Shanghai has had no DST since 1991: a fixed +08:00 offset is the same wall clock.
CST = timezone(timedelta(hours=8))


def at(*args) -> datetime:
    """An aware datetime in +08:00."""
    return datetime(*args, tzinfo=CST)


@pytest.fixture(scope="session")
def calendar():
    return WorkingCalendar()


@pytest.fixture(scope="session")
def policy():
    return packaged_policy("default")


@pytest.fixture(scope="session")
def chain():
    return packaged_chain("default")


@pytest.fixture(scope="session")
def chain4():
    return packaged_chain("seed004")


@pytest.fixture
def raise_at(policy, chain, calendar):
    """raise_at(when, **kw) -> the new Complaint (default chain and policy)."""

    def make(when, **kw):
        kw.setdefault("complaint_id", "C-1")
        kw.setdefault("customer_id", "cust-1")
        kw.setdefault("policy", policy)
        kw.setdefault("chain", chain)
        kw.setdefault("calendar", calendar)
        return raise_complaint(raised_at=when, **kw).complaint

    return make
