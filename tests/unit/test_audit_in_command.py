"""The audit log (审计日志) records a person's command in the command's own transaction: a command
that rolls back leaves no entry, a committed one always has its entry."""
from __future__ import annotations

import peewee
import pytest

from shared.core.events import make_envelope
from shared.core.settings import load_settings
from shared.mesh.service import Service
from shared.web.auth import Principal

ORG = "acme-electric"
WHO = Principal(login="wang", role="agent", organization=ORG)


@pytest.fixture
def service(tmp_path):
    service = Service(name="audited", database=peewee.DatabaseProxy(), models=[], handlers={})
    return service.bind(load_settings({"HUIFANG_VAR_DIR": str(tmp_path / "var")}),
                        url=f"sqlite:///{tmp_path / 'audited.db'}")


def entries(service) -> list[tuple]:
    with service.connection():
        return list(service.audit.select(service.audit.action, service.audit.subject, service.audit.login).tuples())


class CommandFailed(Exception):
    pass


def test_a_command_that_fails_after_auditing_leaves_no_audit_entry(service):
    # given a command that records its audit entry, then fails
    with pytest.raises(CommandFailed):
        with service.command() as uow:
            uow.audit(WHO, organization=ORG, action="callback.outcome_recorded", subject="cb-1")
            raise CommandFailed("the outcome could not be stored")
    # then nothing of it is kept: no audit entry either
    assert entries(service) == []


def test_a_committed_command_has_its_audit_entry(service):
    # when a command records its audit entry and commits
    with service.command() as uow:
        uow.audit(WHO, organization=ORG, action="ledger.imported", subject="ledger.xlsx", detail={"created": 3})
    # then the entry is there, once
    assert entries(service) == [("ledger.imported", "ledger.xlsx", "wang")]


def test_an_unknown_action_fails_the_command_it_would_record(service):
    with pytest.raises(ValueError):
        with service.command() as uow:
            uow.emit("customer.updated", {"customer_id": "c-1"}, organization=ORG)
            uow.audit(WHO, organization=ORG, action="coffee.made", subject="-")
    with service.connection():
        assert service.Outbox.select().count() == 0


def test_an_event_a_person_posts_is_stored_with_its_audit_entry(service):
    envelope = make_envelope(type="customer.updated", data={"customer_id": "c-1"}, organization=ORG,
                             source="erp://acme")
    # when a person posts it, and when the integration token posts another
    service.accept([envelope], posted_by=WHO)
    service.accept([make_envelope(type="customer.updated", data={"customer_id": "c-2"}, organization=ORG,
                                  source="erp://acme")])
    # then both wait in the outbox, and only the person's is audited
    with service.connection():
        assert service.Outbox.select().count() == 2
    assert entries(service) == [("event.posted", envelope["id"], "wang")]
