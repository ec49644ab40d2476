"""Endpoints as data: <HUIFANG_DATA_DIR>/<organization>/webhooks.yaml, one file for the
organisation's three services, brought into this service's copy when it changes."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path

from marshmallow import Schema, ValidationError, validate
from marshmallow import fields as mfields

from shared.core.errors import ConfigurationError, InvalidInput
from shared.core.orgdata import read_data_file
from shared.webhooks.endpoints import check_types, store_record, updated_after
from shared.webhooks.urls import UnsafeDestination, literal_refused, parse_url, private_networks_of

log = logging.getLogger(__name__)

#: The organisation's own file of endpoints, beside its services' folders (one file for all three).
ENDPOINTS_FILE = "webhooks.yaml"


class _FileEndpointSchema(Schema):
    url = mfields.String(required=True, validate=validate.Length(min=1, max=2000))
    types = mfields.List(mfields.String(), required=True)
    secret = mfields.String(required=True, validate=validate.Regexp(
        r"^whsec_[A-Za-z0-9+/=]{16,}$", error="must be whsec_ followed by base64 (at least 16 characters)"))
    enabled = mfields.Boolean(load_default=True)
    description = mfields.String(load_default="", validate=validate.Length(max=200))


class _FileSchema(Schema):
    endpoints = mfields.List(mfields.Nested(_FileEndpointSchema), load_default=list)


def file_endpoint_id(organization: str, url: str) -> str:
    """Gives the id of an endpoint listed in the organisation's file: the same for the same URL."""
    return "ep_file" + hashlib.sha256(f"{organization}\x1f{url}".encode()).hexdigest()[:24]


def load_endpoints_file(raw, *, organization: str, allow_private: bool, private_networks=()) -> list[dict]:
    """Gives the endpoint records of an organisation's webhooks.yaml content, validated.

    Raises:
      ConfigurationError: naming the bad field (`endpoints.0.url`) and what is wrong.
    """
    try:
        loaded = _FileSchema().load(raw or {})
    except ValidationError as exc:
        field, messages = next(iter(_flat(exc.messages).items()))
        raise ConfigurationError(f"{ENDPOINTS_FILE}: {field}", "; ".join(map(str, messages)),
                                 errors=exc.messages) from None
    records = []
    for index, endpoint in enumerate(loaded["endpoints"]):
        try:
            # the address itself is checked when a delivery is sent (it may not resolve here)
            destination = parse_url(endpoint["url"])
            literal = literal_refused(destination.host, private_networks) if not allow_private else None
            if literal:
                raise UnsafeDestination(f"{destination.host} is a {literal} address; list its network for the "
                                        "organisation in HUIFANG_WEBHOOK_PRIVATE_NETWORKS to allow it.", field="url")
            types = check_types(endpoint["types"])
        except InvalidInput as exc:
            raise ConfigurationError(f"{ENDPOINTS_FILE}: endpoints.{index}.{exc.field or 'url'}", exc.message) from None
        records.append({"endpoint_id": file_endpoint_id(organization, endpoint["url"]), "url": endpoint["url"],
                        "types": types, "secret": endpoint["secret"], "enabled": endpoint["enabled"],
                        "description": endpoint["description"] or "from " + ENDPOINTS_FILE,
                        "disabled_reason": None})
    return records


def _flat(messages, prefix: str = "") -> dict:
    flat = {}
    for key, value in (messages.items() if isinstance(messages, dict) else [("_", messages)]):
        name = f"{prefix}.{key}" if prefix else str(key)
        flat.update(_flat(value, name) if isinstance(value, dict) else {name: value})
    return flat


#: (organization) -> the parsed file content this service's copy was last brought in line with.
_synced: dict[tuple, object] = {}
_synced_lock = threading.Lock()


def sync_endpoints_file(uow, organization: str) -> None:
    """Brings this service's copy in line with the organisation's webhooks.yaml, when the file
    changed since the last look: its endpoints are stored (by URL), and endpoints of the file
    that left it are disabled. Runs in the caller's transaction. A bad file is logged with the
    field at fault and left out (the endpoints stay as they were); it never stops the work.
    """
    settings = uow.settings
    if settings is None:
        return
    path = os.path.join(str(settings.data_dir), organization, ENDPOINTS_FILE)
    try:
        raw = read_data_file(Path(path))
    except FileNotFoundError:
        raw = None
    key = (str(settings.data_dir), organization, id(uow.service))
    with _synced_lock:
        if key in _synced and _synced[key] is raw:
            return
    try:
        records = load_endpoints_file(raw, organization=organization,
                                      allow_private=settings.webhook_allow_private,
                                      private_networks=private_networks_of(settings, organization)
                                      ) if raw is not None else []
    except ConfigurationError as exc:
        # A bad file never stops the organisation's work: its endpoints stay as they were.
        log.error("organisation %s: %s is not used until it is fixed: %s", organization, ENDPOINTS_FILE, exc)
        with _synced_lock:
            _synced[key] = raw
        return
    E = uow.service.webhooks.Endpoint
    listed = {r["endpoint_id"] for r in records}
    current = {row.endpoint_id: row for row in E.select().where(E.organization == organization,
                                                               E.endpoint_id.startswith("ep_file"))}
    for record in records:
        row = current.get(record["endpoint_id"])
        same = row is not None and (row.url, json.loads(row.types), row.secret, bool(row.enabled),
                                    row.description) == (record["url"], record["types"], record["secret"],
                                                         record["enabled"], record["description"])
        if not same:
            store_record(uow, organization, {**record, "updated_at": updated_after(uow, row).isoformat()})
    for endpoint_id, row in current.items():
        if endpoint_id not in listed and row.enabled:
            E.update(enabled=False, disabled_reason=f"no longer in {ENDPOINTS_FILE}").where(E.id == row.id).execute()
    with _synced_lock:
        _synced[key] = raw
