"""An organisation's integration tokens (`make integration-token ORG=...`): revocable, one by one.

Each token an operator issues for an organisation carries an id (its signed claim `i`), kept in
the `integration_token` table of every service: the service the command ran on records it and
emits `integration_token.updated` (an internal event, signed like `user.updated`), and every
service keeps what it hears. On each API request with such a token a service
- refuses it when its id is recorded as revoked (`make revoke-integration-token` on any service:
  the event brings the revocation to the others);
- refuses an organisation's integration token without an id (issued before tokens could be
  revoked: issue a new one);
- records its last use (at most once a minute), which `make integration-tokens` lists.
A service that has not heard of an id yet (the event is on its way) takes the signed token until
its revocation arrives. The installation's own token (HUIFANG_API_TOKEN) is not among them: it is
changed in the environment files.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta, timezone

import peewee

from shared.core.errors import NotFound
from shared.core.events import OWN_SOURCE_PREFIX
from shared.core.fields import ORG, UTCDateTimeField

log = logging.getLogger(__name__)

#: The event type that brings an issued or revoked integration token to every service (internal: signed).
INTEGRATION_TOKEN_UPDATED = "integration_token.updated"
#: A token's last use is written at most this often (one write a minute, not one a request).
LAST_USE_EVERY = timedelta(minutes=1)


def integration_token_model(database) -> type[peewee.Model]:
    """Gives the table of an installation's organisation integration tokens, bound to one service's database."""

    class IntegrationToken(peewee.Model):
        #: The token's claim `i` (`it_` and 16 hex digits): the table never holds the token itself.
        token_id = peewee.CharField(max_length=19, unique=True)
        organization = peewee.CharField(**ORG)
        #: What it is for (the ERP's name), as the operator gave it.
        label = peewee.CharField(max_length=200, default="")
        issued_at = UTCDateTimeField()
        #: When it was revoked (None: in use); a revocation is final.
        revoked_at = UTCDateTimeField(null=True)
        #: When this service last answered a request made with it.
        last_used_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "integration_token"

    IntegrationToken._meta.set_database(database)
    return IntegrationToken


def new_token_id() -> str:
    """Gives a new integration token id (the claim `i`)."""
    return "it_" + secrets.token_hex(8)


def _data(row) -> dict:
    return {"token_id": row.token_id, "label": row.label or "",
            "issued_at": row.issued_at.astimezone(timezone.utc).isoformat(),
            "revoked_at": row.revoked_at.astimezone(timezone.utc).isoformat() if row.revoked_at else None}


def _keep(IntegrationToken, organization: str, data: dict) -> None:
    """Records an issued or revoked token as heard; a revocation is never undone."""
    row = IntegrationToken.select().where(IntegrationToken.token_id == data["token_id"]).first()
    if row is None:
        IntegrationToken.insert(token_id=data["token_id"], organization=organization, label=data.get("label") or "",
                                issued_at=data["issued_at"], revoked_at=data.get("revoked_at")
                                ).on_conflict_ignore().execute()
    elif row.organization == organization and data.get("revoked_at") and row.revoked_at is None:
        IntegrationToken.update(revoked_at=data["revoked_at"]).where(IntegrationToken.id == row.id).execute()


def record_issued(*, uow, organization: str, token_id: str, label: str = "") -> dict:
    """Records a newly issued token of `organization` here and, through `integration_token.updated`,
    on every other service; gives its data."""
    data = {"token_id": token_id, "label": label, "issued_at": uow.now.astimezone(timezone.utc).isoformat(),
            "revoked_at": None}
    _keep(uow.service.users.IntegrationToken, organization, {**data, "issued_at": uow.now})
    uow.emit(INTEGRATION_TOKEN_UPDATED, data, organization=organization)
    return data


def revoke(*, uow, organization: str, token_id: str) -> dict:
    """Revokes a token of `organization` here and, through `integration_token.updated`, everywhere;
    gives its data (the first revocation's moment when it was revoked already).

    Raises:
      NotFound: this service knows no such token of `organization`.
    """
    IntegrationToken = uow.service.users.IntegrationToken
    row = IntegrationToken.select().where(IntegrationToken.token_id == token_id,
                                          IntegrationToken.organization == organization).first()
    if row is None:
        raise NotFound(f"{organization} has no integration token {token_id} (make integration-tokens ORG=... lists them)")
    if row.revoked_at is None:
        row.revoked_at = uow.now.astimezone(timezone.utc)
        IntegrationToken.update(revoked_at=row.revoked_at).where(IntegrationToken.id == row.id).execute()
    data = _data(row)
    uow.emit(INTEGRATION_TOKEN_UPDATED, data, organization=organization)
    return data


def tokens_of(directory, organization: str) -> list:
    """Gives the integration token rows of `organization` this service knows, the newest first."""
    IntegrationToken = directory.IntegrationToken
    return list(IntegrationToken.select().where(IntegrationToken.organization == organization)
                .order_by(IntegrationToken.issued_at.desc()))


def refused(directory, token_id: str, organization: str) -> bool:
    """Gives whether the integration token `token_id` is revoked, or recorded for another organisation."""
    IntegrationToken = directory.IntegrationToken
    row = IntegrationToken.select(IntegrationToken.organization, IntegrationToken.revoked_at).where(
        IntegrationToken.token_id == token_id).first()
    return row is not None and (row.revoked_at is not None or row.organization != organization)


def note_use(directory, token_id: str, now: datetime) -> None:
    """Records that the token was used at `now` (one narrow update, at most once every LAST_USE_EVERY)."""
    IntegrationToken = directory.IntegrationToken
    IntegrationToken.update(last_used_at=now).where(
        IntegrationToken.token_id == token_id,
        (IntegrationToken.last_used_at.is_null()) | (IntegrationToken.last_used_at < now - LAST_USE_EVERY)).execute()


def on_integration_token_updated(*, uow, event) -> None:
    """Keeps a token issued or revoked on another service (only Huifang's own services send it; the
    event is signed, shared.mesh.service checks it)."""
    if not str(event.source).startswith(OWN_SOURCE_PREFIX):
        log.warning("event %s: %s from %s ignored", event.id, INTEGRATION_TOKEN_UPDATED, event.source)
        return
    _keep(uow.service.users.IntegrationToken, event.organization, event.data)
    log.info("event %s: integration token %s of %s %s", event.id, event.data["token_id"], event.organization,
             "revoked" if event.data.get("revoked_at") else "issued")


#: Handlers every service has (shared.mesh.service composes them).
SHARED_HANDLERS = {INTEGRATION_TOKEN_UPDATED: on_integration_token_updated}
