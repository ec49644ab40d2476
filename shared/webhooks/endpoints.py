"""An organisation's endpoints: their records, the commands that change them (each emitting the
internal event `webhook.endpoint_updated`, the whole endpoint, secret included), and the handler
that stores such an event in every service's copy, the latest `updated_at` winning."""
from __future__ import annotations

import fnmatch
import json
import logging
import re
import uuid
from datetime import datetime, timedelta, timezone

from shared.core.errors import Conflict, InvalidInput, NotFound
from shared.core.events import INTERNAL_TYPES, OWN_SOURCE_PREFIX
from shared.webhooks.signing import new_secret
from shared.webhooks.urls import check_url, private_networks_of

log = logging.getLogger(__name__)

#: The internal event type that carries one endpoint (secret included) between the services.
ENDPOINT_UPDATED = "webhook.endpoint_updated"
#: Patterns of `types`: dotted lower-case names, `*` as a wildcard (`complaint.*`, `*`).
TYPE_PATTERN = re.compile(r"^[a-z0-9_*]+(\.[a-z0-9_*]+)*$")
ENDPOINT_ID = re.compile(r"^ep_[a-z0-9]{8,40}$")


def matches(patterns, event_type: str) -> bool:
    """Gives whether `event_type` is wanted by one of `patterns` (`complaint.*`, `*`, exact)."""
    return any(fnmatch.fnmatchcase(event_type, p) for p in patterns)


def record_of(row) -> dict:
    """Gives the `webhook.endpoint_updated` data of an endpoint row (JSON-ready, secret included)."""
    return {"endpoint_id": row.endpoint_id, "url": row.url, "types": json.loads(row.types), "secret": row.secret,
            "enabled": bool(row.enabled), "description": row.description or "",
            "disabled_reason": row.disabled_reason,
            "updated_at": row.updated_at.astimezone(timezone.utc).isoformat()}


def public_view(row) -> dict:
    """Gives an endpoint as the API shows it: no secret."""
    return {"id": row.endpoint_id, "organization": row.organization, "url": row.url,
            "types": json.loads(row.types), "enabled": bool(row.enabled), "description": row.description or "",
            "disabled_reason": row.disabled_reason, "updated_at": row.updated_at}


def check_types(types) -> list[str]:
    """Gives the type patterns, checked.

    Raises:
      InvalidInput: naming `types`.
    """
    patterns = [str(t).strip() for t in (types or [])]
    if not patterns:
        raise InvalidInput("Name at least one event type or pattern (`complaint.*`, `*`).", field="types")
    bad = [p for p in patterns if not TYPE_PATTERN.match(p) or len(p) > 100]
    if bad:
        raise InvalidInput(f"Not an event type or pattern: {', '.join(bad)} (like `complaint.*`).", field="types")
    internal = [p for p in patterns if p in INTERNAL_TYPES]
    if internal:
        raise InvalidInput(f"{', '.join(internal)} stays inside Huifang; webhooks never receive it.", field="types")
    return sorted(set(patterns))


def endpoint_row(uow, organization: str, endpoint_id: str):
    E = uow.service.webhooks.Endpoint
    row = E.select().where(E.organization == organization, E.endpoint_id == endpoint_id).first()
    if row is None:
        raise NotFound(f"No webhook endpoint {endpoint_id} in organisation {organization}.")
    return row


def updated_after(uow, row) -> datetime:
    moment = uow.now.astimezone(timezone.utc)
    if row is not None and moment <= row.updated_at:
        moment = row.updated_at + timedelta(microseconds=1)
    return moment


def add_endpoint(*, uow, organization: str, url: str, types, enabled: bool = True, description: str = "") -> dict:
    """Gives the new endpoint's record, its secret included (the one time it is shown).

    Raises:
      UnsafeDestination: the URL may not receive webhooks.
      InvalidInput: a bad type pattern.
    """
    check_url(url, allow_private=uow.settings.webhook_allow_private,
              private_networks=private_networks_of(uow.settings, organization))
    E = uow.service.webhooks.Endpoint
    if E.select().where(E.organization == organization).count() >= uow.settings.webhook_max_endpoints:
        # one event fans out to every endpoint in the producing transaction: their number is bounded
        raise Conflict(f"Organisation {organization} has {uow.settings.webhook_max_endpoints} webhook endpoints, "
                       "the most it may have (HUIFANG_WEBHOOK_MAX_ENDPOINTS); remove one first.")
    record = {"endpoint_id": "ep_" + uuid.uuid4().hex[:20], "url": url, "types": check_types(types),
              "secret": new_secret(), "enabled": bool(enabled), "description": (description or "")[:200],
              "disabled_reason": None, "updated_at": uow.now.astimezone(timezone.utc).isoformat()}
    store_record(uow, organization, record)
    uow.emit(ENDPOINT_UPDATED, record, organization=organization)
    log.info("webhook endpoint %s of %s added for %s", record["endpoint_id"], organization, record["types"])
    return record


def update_endpoint(*, uow, organization: str, endpoint_id: str, enabled: bool | None = None,
                    url: str | None = None, types=None, description: str | None = None,
                    disabled_reason: str | None = None) -> dict:
    """Gives the endpoint's record after changing what was given (and telling every service)."""
    row = endpoint_row(uow, organization, endpoint_id)
    record = record_of(row)
    if url is not None:
        record["url"] = check_url(url, allow_private=uow.settings.webhook_allow_private,
                                  private_networks=private_networks_of(uow.settings, organization))
    if types is not None:
        record["types"] = check_types(types)
    if description is not None:
        record["description"] = description[:200]
    if enabled is not None:
        record["enabled"] = bool(enabled)
        record["disabled_reason"] = None if enabled else (disabled_reason or "disabled by hand")[:500]
    if record == record_of(row):
        return record
    record["updated_at"] = updated_after(uow, row).isoformat()
    store_record(uow, organization, record)
    uow.emit(ENDPOINT_UPDATED, record, organization=organization)
    return record


def get_endpoint(*, uow, organization: str, endpoint_id: str):
    return endpoint_row(uow, organization, endpoint_id)


def list_endpoints(*, uow, organization: str) -> list:
    E = uow.service.webhooks.Endpoint
    return list(E.select().where(E.organization == organization).order_by(E.id))


def store_record(uow, organization: str, record: dict) -> bool:
    """Upserts an endpoint record; gives True when it changed this service's copy."""
    E = uow.service.webhooks.Endpoint
    updated_at = record["updated_at"]
    if isinstance(updated_at, str):
        updated_at = datetime.fromisoformat(updated_at)
    values = {"organization": organization, "url": record["url"], "types": json.dumps(list(record["types"])),
              "secret": record["secret"], "enabled": bool(record.get("enabled", True)),
              "description": record.get("description") or "", "disabled_reason": record.get("disabled_reason"),
              "updated_at": updated_at}
    row = E.select().where(E.endpoint_id == record["endpoint_id"]).first()
    if row is None:
        E.insert(endpoint_id=record["endpoint_id"], **values).on_conflict_ignore().execute()
        return True
    if row.organization != organization or row.updated_at >= updated_at:
        return False
    if values["enabled"] and not row.enabled:
        values["failing_since"] = None  # enabled again: a fresh start
    E.update(**values).where(E.id == row.id).execute()
    return True


def on_endpoint_updated(*, uow, event) -> None:
    """Stores the endpoint of a `webhook.endpoint_updated` event in this service's copy.

    Only Huifang's own services speak for the endpoints (the HTTP route refuses the type).
    """
    if not str(event.source).startswith(OWN_SOURCE_PREFIX):
        log.warning("event %s: %s from %s ignored", event.id, ENDPOINT_UPDATED, event.source)
        return
    changed = store_record(uow, event.organization, event.raw["data"])
    log.info("event %s: webhook endpoint %s of %s %s", event.id, event.data["endpoint_id"], event.organization,
             "stored" if changed else "already as new; unchanged")


#: Handlers every service has (shared.mesh.service.Service.handle).
SHARED_HANDLERS = {ENDPOINT_UPDATED: on_endpoint_updated}
