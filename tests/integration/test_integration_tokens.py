"""An organisation's integration token can be revoked: each one issued has an id, kept by every
service; revoked on one service, it is refused by all three once `integration_token.updated` (an
internal event, signed) reaches them; each service records its last use; one without an id
(issued before they had one) is refused."""
from __future__ import annotations

from itsdangerous import URLSafeTimedSerializer

from ops import integration_tokens as tokens
from shared.core.settings import SERVICES
from testkit.polling import eventually
from testkit.tokens import SECRET, bearer

ORG = "acme-electric"
#: A reading route of each service an organisation's integration token may call.
READS = {"scheduler": "/api/v1/callbacks", "complaints": "/api/v1/complaints", "reporting": "/api/v1/reports/2026-10"}


def _known(service, token_id: str):
    with service.connection():
        return service.users.IntegrationToken.get_or_none(service.users.IntegrationToken.token_id == token_id)


def _status(mesh, name: str, token: str) -> int:
    return mesh.client(name).get(READS[name], headers=bearer(token)).status_code


def test_an_organisations_integration_token_revoked_on_one_service_is_refused_by_all_three(mesh):
    scheduler = mesh.services["scheduler"]
    # given an integration token of the organisation, issued on the scheduler (make integration-token)
    token, data = tokens.issue(scheduler, organization=ORG, label="ERP")
    token_id = data["token_id"]
    for name in SERVICES:
        eventually(lambda: _known(mesh.services[name], token_id), message=f"the token heard of on {name}")
    # when it reads from every service, each takes it and records its use
    for name in SERVICES:
        assert _status(mesh, name, token) != 401
    (listed,) = tokens.listing(mesh.services.values(), ORG)
    assert (listed["token_id"], listed["label"], listed["revoked_at"]) == (token_id, "ERP", None)
    assert listed["last_used_at"] is not None and sorted(listed["used_on"]) == sorted(SERVICES)
    # when it is revoked on the scheduler (make revoke-integration-token)
    tokens.withdraw(scheduler, organization=ORG, token_id=token_id)
    # then the scheduler refuses it at once, and the other two once the event reaches them
    assert _status(mesh, "scheduler", token) == 401
    for name in ("complaints", "reporting"):
        eventually(lambda: _status(mesh, name, token) == 401, message=f"the token refused on {name}")
    (listed,) = tokens.listing(mesh.services.values(), ORG)
    assert listed["revoked_at"] is not None
    # while a token issued since works everywhere
    fresh, _ = tokens.issue(scheduler, organization=ORG, label="ERP 2")
    assert all(_status(mesh, name, fresh) != 401 for name in SERVICES)


def test_an_organisations_integration_token_without_an_id_is_refused_as_not_revocable(mesh):
    # given an organisation's integration token signed before tokens carried an id
    old = URLSafeTimedSerializer([SECRET], salt="huifang-user-token").dumps(
        {"l": "integration", "r": "integration", "o": ORG})
    # then every service refuses it, saying how to get a revocable one
    for name in SERVICES:
        answer = mesh.client(name).get(READS[name], headers=bearer(old))
        assert answer.status_code == 401 and "make integration-token" in answer.get_json()["detail"]
