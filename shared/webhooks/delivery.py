"""Outbound webhooks: tell an organisation's other systems what happened, signed, from the outbox.

An organisation's endpoints (URL, the event types wanted as patterns like `complaint.*`, a
`whsec_` secret, enabled or not) are managed through `/api/v1/webhooks` on any service
(shared/webhooks/api.py). The service that takes the change stores the endpoint and emits the
internal event `webhook.endpoint_updated` (the whole endpoint, secret included); every
service keeps a copy in its `webhook_endpoint` table, the latest `updated_at` winning, the
way `user.updated` carries the user directory (shared/users/store.py). No database is shared.

Deliveries come from the outbox: when a unit of work commits the events its service
produces, `Webhooks.add_deliveries` writes one `webhook_delivery` row per matching enabled
endpoint *in the same transaction* (shared/mesh/service.py). A change that rolls back sends
nothing; a worker that restarts finds its rows. Internal types (`INTERNAL_TYPES`: they carry
password hashes and secrets) and events that came in from outside (`Service.accept`) are
never delivered: each service sends what it produced.

The worker's `Sender` (started by shared.mesh.worker.ServiceWorker) polls for due deliveries and
gives each endpoint a thread of its own, so a slow or dead endpoint never delays another, nor
the service's own work (the Dramatiq threads). A delivery is an HTTP POST of the CloudEvents
envelope, signed per Standard Webhooks (`webhook-id` = the delivery's id, the same on every
retry; `webhook-timestamp`; `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).
Timeouts, connection errors and non-2xx answers are retried on the schedule of
`HUIFANG_WEBHOOK_RETRY_SCHEDULE` (with +-20% jitter; about 28 hours by default), then the
delivery is dead. An endpoint failing without a single success for
`HUIFANG_WEBHOOK_DISABLE_AFTER_SECONDS` is disabled everywhere and the organisation's admins
are mailed (under a lease: at least once). Every attempt is logged (`webhook_attempt`);
delivered and dead deliveries and their attempts are pruned after
`HUIFANG_WEBHOOK_RETENTION_DAYS`.

Safety: http and https only, no credentials in the URL, no redirects followed; the host is
resolved and every address checked (loopback, private, link-local, multicast, reserved
refused unless `HUIFANG_WEBHOOK_ALLOW_PRIVATE=1`) when the endpoint is added and again before
each connection, and the connection goes to the address checked. Short timeouts; answers read
up to ANSWER_LIMIT bytes. Secrets never appear in a log line or an API answer but the one
that created them.
"""
from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import re
import secrets
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import peewee
from marshmallow import Schema, ValidationError, validate
from marshmallow import fields as mfields

from shared.core.db import bulk_insert, is_postgres
from shared.core.errors import Conflict, InvalidInput, NotFound
from shared.core.events import INTERNAL_TYPES, OWN_SOURCE_PREFIX
from shared.core.fields import ORG, UTCDateTimeField
from shared.core.errors import ConfigurationError
from shared.core.orgdata import read_data_file
from shared.core.lease import Lease
from shared.core.mail import MailError, build_message

log = logging.getLogger(__name__)

#: The internal event type that carries one endpoint (secret included) between the services.
ENDPOINT_UPDATED = "webhook.endpoint_updated"
#: The type of the envelope `POST /api/v1/webhooks/<id>/test` sends (not an event of the mesh).
TEST_TYPE = "webhook.test"
#: Secrets: `whsec_` + base64 of this many random bytes (Standard Webhooks: 24 to 64).
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
#: Seconds to connect, and to wait for each read of the answer.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0
#: Bytes of an answer read (and kept in the log); a longer answer closes the connection.
ANSWER_LIMIT = 1024
#: Deliveries one endpoint's thread claims at once, and how long it holds them (a worker
#: that dies while holding some leaves them to be sent again after this).
BATCH = 200
LEASE = timedelta(minutes=15)
#: An endpoint's thread records what it sent at least this often (s), and at the end of a batch.
FLUSH_EVERY_S = 1.0
#: How often (s) the sender looks for due deliveries when nobody nudged it.
POLL_SECONDS = 0.25
#: How often (s) delivered and dead deliveries past the retention are pruned.
PRUNE_EVERY_S = 600
#: How long (s) a resolved host's checked addresses are reused.
RESOLVE_TTL_S = 30.0
#: Jitter of a retry's delay: +- this share of it.
JITTER = 0.2
#: Patterns of `types`: dotted lower-case names, `*` as a wildcard (`complaint.*`, `*`).
TYPE_PATTERN = re.compile(r"^[a-z0-9_*]+(\.[a-z0-9_*]+)*$")
ENDPOINT_ID = re.compile(r"^ep_[a-z0-9]{8,40}$")

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


class UnsafeDestination(InvalidInput):
    """A webhook URL is not http(s), or leads to an address that is refused (HTTP 422)."""


# -- signing (Standard Webhooks) -----------------------------------------------------------

def new_secret() -> str:
    """Gives a new endpoint secret: `whsec_` + base64 of SECRET_BYTES random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Gives the `webhook-signature` value: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`."""
    key = base64.b64decode(secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret)
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode("ascii") + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def signed_headers(secret: str, message_id: str, body: bytes, *, timestamp: int | None = None) -> dict:
    """Gives the headers of one signed POST (a new timestamp for each attempt)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {"Content-Type": "application/json", "User-Agent": "Huifang-Webhooks/1",
            "webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message_id, timestamp, body)}


def matches(patterns, event_type: str) -> bool:
    """Gives whether `event_type` is wanted by one of `patterns` (`complaint.*`, `*`, exact)."""
    return any(fnmatch.fnmatchcase(event_type, p) for p in patterns)


# -- where a delivery may go ---------------------------------------------------------------

@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str) -> Destination:
    """Gives the parts of a webhook URL.

    Raises:
      UnsafeDestination: not http(s), no host, credentials in it, or a bad port.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(f"The URL is malformed: {exc}.", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination("Only http:// and https:// URLs may receive webhooks.", field="url")
    if not parts.hostname:
        raise UnsafeDestination("The URL needs a host.", field="url")
    if parts.username or parts.password:
        raise UnsafeDestination("Put no credentials in the URL; the signature authenticates Huifang.", field="url")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def refused_address(address: str) -> str | None:
    """Gives why an IP address may not receive webhooks (loopback, private ...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for label, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                        ("private", ip.is_private), ("multicast", ip.is_multicast),
                        ("reserved", ip.is_reserved), ("unspecified", ip.is_unspecified)):
        if flag:
            return label
    if not ip.is_global:
        return "not global"
    return None


def resolve(destination: Destination, *, allow_private: bool) -> list[str]:
    """Gives the addresses of the destination's host, every one of them checked.

    Raises:
      UnsafeDestination: the host does not resolve, or one of its addresses is refused.
    """
    try:
        infos = socket.getaddrinfo(destination.host, destination.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeDestination(f"The host {destination.host} does not resolve ({exc}).", field="url") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        for address in addresses:
            why = refused_address(address)
            if why:
                raise UnsafeDestination(
                    f"{destination.host} resolves to {address}, a {why} address; such addresses receive "
                    "webhooks only when HUIFANG_WEBHOOK_ALLOW_PRIVATE=1.", field="url")
    return addresses


def check_url(url: str, *, allow_private: bool) -> str:
    """Gives the URL when it may receive webhooks (resolved and every address checked now).

    Raises:
      UnsafeDestination: naming the field `url` and why.
    """
    if len(url) > 2000:
        raise UnsafeDestination("The URL is longer than 2000 characters.", field="url")
    resolve(parse_url(url), allow_private=allow_private)
    return url


# -- posting -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """How one POST went: `ok` for a 2xx status."""

    status: int | None
    latency_ms: int
    answer: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to the address that was checked, not to whatever the host resolves
    to by the time it connects (no DNS rebinding); Host header and TLS name stay the host's."""

    def __init__(self, destination: Destination, address: str, context: ssl.SSLContext | None):
        super().__init__(destination.host, destination.port, timeout=READ_TIMEOUT_S)
        self._address = address
        self._context = context

    def connect(self):
        sock = socket.create_connection((self._address, self.port), timeout=CONNECT_TIMEOUT_S)
        sock.settimeout(READ_TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._context is not None:
            sock = self._context.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


class Poster:
    """Posts signed bodies to webhook URLs, keeping one connection alive (one per thread)."""

    def __init__(self, *, allow_private: bool):
        self.allow_private = allow_private
        self._connection: _PinnedConnection | None = None
        self._key = None
        self._resolved: dict[tuple, tuple[float, list[str]]] = {}
        self._tls: ssl.SSLContext | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection, self._key = None, None

    def _addresses(self, destination: Destination) -> list[str]:
        key = (destination.host, destination.port)
        cached = self._resolved.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        addresses = resolve(destination, allow_private=self.allow_private)
        self._resolved[key] = (time.monotonic() + RESOLVE_TTL_S, addresses)
        return addresses

    def post(self, url: str, body: bytes, headers: dict) -> Answer:
        """Gives how the POST of `body` to `url` went; never raises for the receiver's faults."""
        started = time.perf_counter()
        try:
            destination = parse_url(url)
            addresses = self._addresses(destination)
        except UnsafeDestination as exc:
            self.close()
            return Answer(None, 0, error=f"refused: {exc.message}")
        key = (destination.scheme, destination.host, destination.port, addresses[0])
        for reuse in (True, False):
            fresh = self._connection is None or self._key != key or not reuse
            if fresh:
                self.close()
                if destination.scheme == "https" and self._tls is None:
                    self._tls = ssl.create_default_context()
                self._connection = _PinnedConnection(destination, addresses[0],
                                                     self._tls if destination.scheme == "https" else None)
                self._key = key
            try:
                self._connection.request("POST", destination.path, body=body, headers=headers)
                response = self._connection.getresponse()
                text = response.read(ANSWER_LIMIT)
                if not response.isclosed() or response.will_close:
                    self.close()  # an answer longer than we read, or the server closes: do not reuse
                return Answer(response.status, _ms(started), text.decode("utf-8", "replace"))
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if not fresh:
                    continue  # the kept-alive connection was closed by the server: once more, anew
                return Answer(None, _ms(started), error=f"{type(exc).__name__}: {exc}")
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                kind = "timeout" if isinstance(exc, (socket.timeout, TimeoutError)) else type(exc).__name__
                return Answer(None, _ms(started), error=f"{kind}: {exc}"[:500])
        return Answer(None, _ms(started), error="connection closed")  # not reached


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


# -- tables --------------------------------------------------------------------------------

def endpoint_model(database) -> type[peewee.Model]:
    """Gives the table of an organisation's endpoints (a copy in every service)."""

    class WebhookEndpoint(peewee.Model):
        endpoint_id = peewee.CharField(max_length=64, unique=True)
        organization = peewee.CharField(**ORG)
        url = peewee.CharField(max_length=2000)
        #: JSON list of type patterns.
        types = peewee.TextField()
        secret = peewee.CharField(max_length=200)
        enabled = peewee.BooleanField(default=True)
        description = peewee.CharField(max_length=200, default="")
        disabled_reason = peewee.CharField(max_length=500, null=True)
        updated_at = UTCDateTimeField()
        # This service's own state, not carried by the event:
        #: Since when every attempt failed (None: the last one succeeded).
        failing_since = UTCDateTimeField(null=True)
        #: The admins are to be told that this service disabled the endpoint.
        notice_due = peewee.BooleanField(default=False)
        notice_claimed_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "webhook_endpoint"
            indexes = ((("organization", "enabled"), False),)

    WebhookEndpoint._meta.set_database(database)
    return WebhookEndpoint


def delivery_model(database) -> type[peewee.Model]:
    """Gives the table of deliveries: one event to one endpoint, until delivered or dead."""

    class WebhookDelivery(peewee.Model):
        #: The `webhook-id`: the same on every attempt.
        delivery_id = peewee.CharField(max_length=40, unique=True)
        endpoint_id = peewee.CharField(max_length=64)
        organization = peewee.CharField(**ORG)
        event_id = peewee.CharField(max_length=200)
        event_type = peewee.CharField(max_length=100)
        #: The exact bytes signed and posted (the envelope as JSON).
        body = peewee.TextField()
        state = peewee.CharField(max_length=16, default=PENDING)
        attempts = peewee.IntegerField(default=0)
        #: The attempt count when this round of retries began (a re-send by hand starts a new one).
        round_start = peewee.IntegerField(default=0)
        next_attempt_at = UTCDateTimeField(null=True)
        claimed_at = UTCDateTimeField(null=True)
        claimed_by = peewee.CharField(max_length=32, null=True)
        last_status = peewee.IntegerField(null=True)
        last_error = peewee.CharField(max_length=500, null=True)
        created_at = UTCDateTimeField()
        finished_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "webhook_delivery"
            indexes = ((("state", "next_attempt_at"), False), (("endpoint_id", "id"), False),
                       (("finished_at",), False))

    WebhookDelivery._meta.set_database(database)
    return WebhookDelivery


def attempt_model(database) -> type[peewee.Model]:
    """Gives the delivery log: one row per attempt."""

    class WebhookAttempt(peewee.Model):
        delivery_id = peewee.CharField(max_length=40, index=True)
        endpoint_id = peewee.CharField(max_length=64)
        organization = peewee.CharField(**ORG)
        event_type = peewee.CharField(max_length=100)
        attempt = peewee.IntegerField()
        attempted_at = UTCDateTimeField()
        status = peewee.IntegerField(null=True)
        latency_ms = peewee.IntegerField()
        error = peewee.CharField(max_length=500, null=True)
        #: The start of the answer (ANSWER_KEEP characters).
        answer = peewee.TextField(default="")

        class Meta:
            table_name = "webhook_attempt"
            indexes = ((("endpoint_id", "id"), False), (("attempted_at",), False))

    WebhookAttempt._meta.set_database(database)
    return WebhookAttempt


#: Characters of an answer kept in the log.
ANSWER_KEEP = 500
#: json.dumps(envelope, ensure_ascii=False, default=str), built once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"))


class Webhooks:
    """The webhook tables of one service's database, and the one write the outbox path makes."""

    def __init__(self, database):
        self.Endpoint = endpoint_model(database)
        self.Delivery = delivery_model(database)
        self.Attempt = attempt_model(database)

    @property
    def models(self) -> list:
        return [self.Endpoint, self.Delivery, self.Attempt]

    def add_deliveries(self, envelopes: list[dict], *, now: datetime, uow=None) -> int:
        """Gives how many deliveries were stored for the produced events among `envelopes`.

        Runs in the caller's transaction (Service.unit_of_work), so the deliveries commit or
        roll back with the change and its outbox rows.
        """
        produced = [e for e in envelopes if e["type"] not in INTERNAL_TYPES
                    and str(e.get("source", "")).startswith(OWN_SOURCE_PREFIX)]
        if not produced:
            return 0
        E = self.Endpoint
        organizations = {e.get("organization", "default") for e in produced}
        if uow is not None:
            for organization in sorted(organizations):
                sync_endpoints_file(uow, organization)
        endpoints = list(E.select(E.endpoint_id, E.organization, E.types)
                         .where(E.organization.in_(organizations), E.enabled == True).tuples())  # noqa: E712
        if not endpoints:
            return 0
        wanted = [(endpoint_id, organization, json.loads(types)) for endpoint_id, organization, types in endpoints]
        rows = []
        for envelope in produced:
            body = None
            for endpoint_id, organization, patterns in wanted:
                if organization == envelope.get("organization", "default") and matches(patterns, envelope["type"]):
                    body = body or _ENCODER.encode(envelope)
                    rows.append({"delivery_id": new_delivery_id(), "endpoint_id": endpoint_id,
                                 "organization": organization, "event_id": envelope["id"],
                                 "event_type": envelope["type"], "body": body, "state": PENDING,
                                 "next_attempt_at": now, "created_at": now})
        bulk_insert(self.Delivery, rows)
        return len(rows)


# -- endpoints as data: <HUIFANG_DATA_DIR>/<organization>/webhooks.yaml -------------------------

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


def load_endpoints_file(raw, *, organization: str, allow_private: bool) -> list[dict]:
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
            literal = _literal_refused(destination.host) if not allow_private else None
            if literal:
                raise UnsafeDestination(f"{destination.host} is a {literal} address; set "
                                        "HUIFANG_WEBHOOK_ALLOW_PRIVATE=1 to allow it.", field="url")
            types = check_types(endpoint["types"])
        except InvalidInput as exc:
            raise ConfigurationError(f"{ENDPOINTS_FILE}: endpoints.{index}.{exc.field or 'url'}", exc.message) from None
        records.append({"endpoint_id": file_endpoint_id(organization, endpoint["url"]), "url": endpoint["url"],
                        "types": types, "secret": endpoint["secret"], "enabled": endpoint["enabled"],
                        "description": endpoint["description"] or "from " + ENDPOINTS_FILE,
                        "disabled_reason": None})
    return records


def _literal_refused(host: str) -> str | None:
    """Gives why a host written as an IP address may not receive webhooks, or None."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return refused_address(host)


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
    import os


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
                                      allow_private=settings.webhook_allow_private) if raw is not None else []
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
            _store(uow, organization, {**record, "updated_at": _later(uow, row).isoformat()})
    for endpoint_id, row in current.items():
        if endpoint_id not in listed and row.enabled:
            E.update(enabled=False, disabled_reason=f"no longer in {ENDPOINTS_FILE}").where(E.id == row.id).execute()
    with _synced_lock:
        _synced[key] = raw


def new_delivery_id() -> str:
    return "msg_" + uuid.uuid4().hex


# -- endpoints: records, commands ------------------------------------------------------------

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


def _endpoint_row(uow, organization: str, endpoint_id: str):
    E = uow.service.webhooks.Endpoint
    row = E.select().where(E.organization == organization, E.endpoint_id == endpoint_id).first()
    if row is None:
        raise NotFound(f"No webhook endpoint {endpoint_id} in organisation {organization}.")
    return row


def _later(uow, row) -> datetime:
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
    check_url(url, allow_private=uow.settings.webhook_allow_private)
    record = {"endpoint_id": "ep_" + uuid.uuid4().hex[:20], "url": url, "types": check_types(types),
              "secret": new_secret(), "enabled": bool(enabled), "description": (description or "")[:200],
              "disabled_reason": None, "updated_at": uow.now.astimezone(timezone.utc).isoformat()}
    _store(uow, organization, record)
    uow.emit(ENDPOINT_UPDATED, record, organization=organization)
    log.info("webhook endpoint %s of %s added for %s", record["endpoint_id"], organization, record["types"])
    return record


def update_endpoint(*, uow, organization: str, endpoint_id: str, enabled: bool | None = None,
                    url: str | None = None, types=None, description: str | None = None,
                    disabled_reason: str | None = None) -> dict:
    """Gives the endpoint's record after changing what was given (and telling every service)."""
    row = _endpoint_row(uow, organization, endpoint_id)
    record = record_of(row)
    if url is not None:
        record["url"] = check_url(url, allow_private=uow.settings.webhook_allow_private)
    if types is not None:
        record["types"] = check_types(types)
    if description is not None:
        record["description"] = description[:200]
    if enabled is not None:
        record["enabled"] = bool(enabled)
        record["disabled_reason"] = None if enabled else (disabled_reason or "disabled by hand")[:500]
    if record == record_of(row):
        return record
    record["updated_at"] = _later(uow, row).isoformat()
    _store(uow, organization, record)
    uow.emit(ENDPOINT_UPDATED, record, organization=organization)
    return record


def get_endpoint(*, uow, organization: str, endpoint_id: str):
    return _endpoint_row(uow, organization, endpoint_id)


def list_endpoints(*, uow, organization: str) -> list:
    E = uow.service.webhooks.Endpoint
    return list(E.select().where(E.organization == organization).order_by(E.id))


def _store(uow, organization: str, record: dict) -> bool:
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
    changed = _store(uow, event.organization, event.raw["data"])
    log.info("event %s: webhook endpoint %s of %s %s", event.id, event.data["endpoint_id"], event.organization,
             "stored" if changed else "already as new; unchanged")


#: Handlers every service has (shared.mesh.service.Service.handle).
SHARED_HANDLERS = {ENDPOINT_UPDATED: on_endpoint_updated}


# -- the delivery log, re-sending, testing ----------------------------------------------------

def delivery_log(*, uow, organization: str, endpoint_id: str, limit: int = 100) -> list[dict]:
    """Gives the endpoint's latest deliveries, newest first, each with its attempts."""
    _endpoint_row(uow, organization, endpoint_id)
    hooks = uow.service.webhooks
    D, A = hooks.Delivery, hooks.Attempt
    deliveries = list(D.select().where(D.endpoint_id == endpoint_id, D.organization == organization)
                      .order_by(D.id.desc()).limit(limit))
    attempts: dict[str, list] = {}
    if deliveries:
        for row in A.select().where(A.delivery_id.in_([d.delivery_id for d in deliveries])).order_by(A.id):
            attempts.setdefault(row.delivery_id, []).append(
                {"attempt": row.attempt, "at": row.attempted_at, "status": row.status, "latency_ms": row.latency_ms,
                 "error": row.error, "answer": row.answer})
    return [{"id": d.delivery_id, "event_id": d.event_id, "event_type": d.event_type, "state": d.state,
             "attempts": d.attempts, "created_at": d.created_at, "next_attempt_at":
             d.next_attempt_at if d.state == PENDING else None, "finished_at": d.finished_at,
             "last_status": d.last_status, "last_error": d.last_error, "log": attempts.get(d.delivery_id, [])}
            for d in deliveries]


def resend(*, uow, organization: str, endpoint_id: str, delivery_id: str) -> dict:
    """Gives the delivery queued again at once, with the same `webhook-id` and a new round of retries.

    Raises:
      NotFound: no such delivery of the endpoint.
      Conflict: it is being sent right now.
    """
    _endpoint_row(uow, organization, endpoint_id)
    D = uow.service.webhooks.Delivery
    row = D.select().where(D.delivery_id == delivery_id, D.endpoint_id == endpoint_id).first()
    if row is None:
        raise NotFound(f"No delivery {delivery_id} of webhook endpoint {endpoint_id}.")
    if row.state == PENDING and row.claimed_at is not None and row.claimed_at > uow.now - LEASE:
        raise Conflict("This delivery is being sent right now; look at its log in a moment.")
    D.update(state=PENDING, next_attempt_at=uow.now, round_start=row.attempts, finished_at=None,
             claimed_at=None).where(D.id == row.id).execute()
    log.info("webhook delivery %s (event %s) to %s queued again by hand", delivery_id, row.event_id, endpoint_id)
    return {"id": delivery_id, "state": PENDING}


def queue_test(*, uow, organization: str, endpoint_id: str) -> str:
    """Gives the id of a new test delivery (type `webhook.test`) to the endpoint, sent at once."""
    row = _endpoint_row(uow, organization, endpoint_id)
    envelope = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": TEST_TYPE,
                "source": f"{OWN_SOURCE_PREFIX}{uow.service.name}", "time": uow.now.isoformat(),
                "organization": organization,
                "data": {"endpoint_id": row.endpoint_id, "message": "A test from Huifang: your endpoint is reached."}}
    delivery_id = new_delivery_id()
    uow.service.webhooks.Delivery.insert(
        delivery_id=delivery_id, endpoint_id=row.endpoint_id, organization=organization, event_id=envelope["id"],
        event_type=TEST_TYPE, body=_ENCODER.encode(envelope), state=PENDING, attempts=0, round_start=0,
        next_attempt_at=None, created_at=uow.now).execute()  # next_attempt_at None: the route sends it, once
    return delivery_id


def send_test(service, *, organization: str, endpoint_id: str) -> dict:
    """Gives how a test POST to the endpoint went: the entry point's sequence, outside any
    transaction (store the delivery, post, record the attempt)."""
    delivery_id = service.run(queue_test, organization=organization, endpoint_id=endpoint_id)
    with service.connection():
        hooks = service.webhooks
        endpoint = hooks.Endpoint.get(hooks.Endpoint.endpoint_id == endpoint_id)
        delivery = hooks.Delivery.get(hooks.Delivery.delivery_id == delivery_id)
    poster = Poster(allow_private=service.settings.webhook_allow_private)
    try:
        answer = _post(poster, endpoint, delivery)
    finally:
        poster.close()
    now = service.clock()
    service.run(_record_batch, endpoint=endpoint, results=[(delivery, answer, now)], retry=False)
    return {"delivery_id": delivery_id, "ok": answer.ok, "status": answer.status, "latency_ms": answer.latency_ms,
            "answer": answer.answer[:ANSWER_KEEP], "error": answer.error}


def _post(poster: Poster, endpoint, delivery) -> Answer:
    body = delivery.body.encode("utf-8")
    return poster.post(endpoint.url, body, signed_headers(endpoint.secret, delivery.delivery_id, body))


# -- the sender ------------------------------------------------------------------------------

def retry_delay(schedule: tuple[float, ...], failed_in_round: int) -> float | None:
    """Gives the seconds until the next try after the `failed_in_round`-th failure, jittered,
    or None when the schedule is used up (the delivery is dead)."""
    if failed_in_round > len(schedule):
        return None
    base = schedule[failed_in_round - 1]
    return max(0.0, base * (1 + random.uniform(-JITTER, JITTER)))


def _record_batch(*, uow, endpoint, results: list, retry: bool = True) -> None:
    """Records the answers of one endpoint's deliveries: the log, the deliveries' states, and
    the endpoint's failing streak (disabling it when it lasted too long)."""
    hooks = uow.service.webhooks
    D, A, E = hooks.Delivery, hooks.Attempt, hooks.Endpoint
    settings = uow.settings
    bulk_insert(A, [{"delivery_id": d.delivery_id, "endpoint_id": d.endpoint_id, "organization": d.organization,
                     "event_type": d.event_type, "attempt": d.attempts + 1, "attempted_at": at, "status": a.status,
                     "latency_ms": a.latency_ms, "error": (a.error or None) and a.error[:500],
                     "answer": a.answer[:ANSWER_KEEP]} for d, a, at in results])
    delivered: dict[int, list[int]] = {}
    last_ok = None
    for delivery, answer, at in results:
        if answer.ok:
            delivered.setdefault(answer.status, []).append(delivery.id)
            last_ok = at
            continue
        failed_in_round = delivery.attempts + 1 - delivery.round_start
        delay = retry_delay(settings.webhook_retry_schedule, failed_in_round) if retry else None
        error = answer.error or f"HTTP {answer.status}: {answer.answer[:200]}"
        values = {"attempts": delivery.attempts + 1, "last_status": answer.status, "last_error": error[:500],
                  "claimed_at": None}
        if delay is None:
            values.update(state=DEAD, finished_at=at, next_attempt_at=None)
            log.warning("webhook delivery %s of event %s to %s is dead after %s attempts: %s", delivery.delivery_id,
                        delivery.event_id, delivery.endpoint_id, delivery.attempts + 1, error[:200])
        else:
            values["next_attempt_at"] = at + timedelta(seconds=delay)
        D.update(**values).where(D.id == delivery.id).execute()
    for status, ids in delivered.items():
        D.update(state=DELIVERED, attempts=D.attempts + 1, last_status=status, last_error=None, finished_at=last_ok,
                 next_attempt_at=None, claimed_at=None).where(D.id.in_(ids)).execute()
    if not retry:
        return
    row = E.select().where(E.endpoint_id == endpoint.endpoint_id).first()
    if row is None:
        return
    if last_ok is not None:
        if row.failing_since is not None:
            E.update(failing_since=None).where(E.id == row.id).execute()
        return
    first_failure = results[0][2]
    since = row.failing_since or first_failure
    if row.failing_since is None:
        E.update(failing_since=since).where(E.id == row.id).execute()
    if row.enabled and (uow.now - since).total_seconds() >= settings.webhook_disable_after_seconds:
        reason = (f"every delivery failed since {since.astimezone(settings.tz):%Y-%m-%d %H:%M} "
                  f"({uow.service.name}); last: {results[-1][1].error or results[-1][1].status}")
        update_endpoint(uow=uow, organization=row.organization, endpoint_id=row.endpoint_id, enabled=False,
                        disabled_reason=reason)
        E.update(notice_due=True).where(E.id == row.id).execute()
        log.warning("webhook endpoint %s of %s disabled: %s", row.endpoint_id, row.organization, reason)


def _claim(*, uow, endpoint_id: str, limit: int = BATCH) -> tuple[object, list]:
    """Gives (endpoint, its due deliveries now held by this caller); none for a disabled endpoint."""
    hooks = uow.service.webhooks
    D, E = hooks.Delivery, hooks.Endpoint
    endpoint = E.select().where(E.endpoint_id == endpoint_id).first()
    if endpoint is None or not endpoint.enabled:
        return endpoint, []
    now = uow.now
    free = D.claimed_at.is_null() | (D.claimed_at <= now - LEASE)
    due = D.select(D.id).where(D.endpoint_id == endpoint_id, D.state == PENDING, D.next_attempt_at <= now,
                               free).order_by(D.id).limit(limit)
    token = uuid.uuid4().hex
    if is_postgres(D._meta.database):  # one round trip; rows another worker holds are skipped
        held = D.update(claimed_at=now, claimed_by=token).where(D.id.in_(due.for_update("FOR UPDATE SKIP LOCKED")))
        return endpoint, sorted(held.returning(D).execute(), key=lambda row: row.id)
    ids = [i for (i,) in due.tuples()]
    if not ids:
        return endpoint, []
    D.update(claimed_at=now, claimed_by=token).where(D.id.in_(ids), D.state == PENDING, free).execute()
    return endpoint, list(D.select().where(D.id.in_(ids), D.claimed_by == token).order_by(D.id))


def _give_back(*, uow, ids: list[int]) -> None:
    D = uow.service.webhooks.Delivery
    if ids:
        D.update(claimed_at=None).where(D.id.in_(ids), D.state == PENDING).execute()


def due_endpoints(*, uow, limit: int = 200) -> list[str]:
    """Gives the enabled endpoints with deliveries due now and not held by anyone."""
    hooks = uow.service.webhooks
    D, E = hooks.Delivery, hooks.Endpoint
    now = uow.now
    query = (D.select(D.endpoint_id).join(E, on=(D.endpoint_id == E.endpoint_id))
             .where(D.state == PENDING, D.next_attempt_at <= now, E.enabled == True,  # noqa: E712
                    D.claimed_at.is_null() | (D.claimed_at <= now - LEASE))
             .distinct().limit(limit))
    return [endpoint_id for (endpoint_id,) in query.tuples()]


def prune(*, uow) -> int:
    """Gives how many finished deliveries and attempts past the retention were deleted."""
    hooks = uow.service.webhooks
    cutoff = uow.now - timedelta(days=uow.settings.webhook_retention_days)
    D, A = hooks.Delivery, hooks.Attempt
    return (D.delete().where(D.state != PENDING, D.finished_at < cutoff).execute()
            + A.delete().where(A.attempted_at < cutoff).execute())


#: How long a worker holds the notice mail of a disabled endpoint while sending it.
NOTICE_LEASE = timedelta(minutes=5)


def send_notices(service) -> int:
    """Gives how many "your endpoint was disabled" mails went out to the organisations' admins."""
    E = service.webhooks.Endpoint
    lease = Lease(E.notice_claimed_at, NOTICE_LEASE)
    sent = 0
    with service.connection():
        due = [row.id for row in E.select(E.id).where(E.notice_due == True)]  # noqa: E712
    for row_id in due:
        now = service.clock()
        with service.connection(), service.database.atomic():
            if not lease.claim((E.id == row_id) & (E.notice_due == True), now=now):  # noqa: E712
                continue
            row = E.get_by_id(row_id)
            recipients = service.users.emails_of_role(row.organization, "admin")
        if not recipients:
            log.warning("webhook endpoint %s of %s disabled; no admin with an e-mail address to tell",
                        row.endpoint_id, row.organization)
            with service.connection():
                E.update(notice_due=False, notice_claimed_at=None).where(E.id == row_id).execute()
            continue
        message = build_message(
            sender=service.settings.mail_from, to=recipients,
            subject=f"Huifang: webhook endpoint {row.url} was disabled",
            body_text=(f"The webhook endpoint {row.endpoint_id} of {row.organization} ({row.url}) kept failing and "
                       f"was disabled.\n\nWhy: {row.disabled_reason}\n\nIts deliveries wait; after fixing the "
                       f"receiver, enable it again (PATCH /api/v1/webhooks/{row.endpoint_id} with "
                       f'{{"enabled": true}}) and send the dead ones again from its delivery log '
                       f"(GET /api/v1/webhooks/{row.endpoint_id}/deliveries).\n"))
        try:
            service.mailer.send(message)
        except (MailError, OSError) as exc:
            log.warning("mail about disabled webhook endpoint %s failed (%s); tried again later", row.endpoint_id,
                        type(exc).__name__)
            with service.connection():
                lease.give_back(E.id == row_id)
            continue
        with service.connection():
            E.update(notice_due=False).where(lease.held(E.id == row_id, since=now)).execute()
        sent += 1
    return sent


class Sender:
    """The worker's webhook sender: a dispatcher thread, and one thread per endpoint with due
    deliveries (so a slow endpoint holds only its own thread). `nudge()` wakes it at once."""

    def __init__(self, service, *, poll_seconds: float = POLL_SECONDS):
        self.service = service
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)

    def start(self) -> "Sender":
        self._thread.start()
        return self

    def nudge(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=timeout)
        for thread in list(self._busy.values()):
            thread.join(timeout=timeout)

    def _run(self) -> None:
        next_prune = time.monotonic() + 5
        while not self._stop.is_set():
            try:
                for endpoint_id in self.service.run(due_endpoints):
                    self._start_endpoint(endpoint_id)
                send_notices(self.service)
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_S
                    self.service.run(prune)
            except Exception:
                log.exception("webhook sender pass failed; trying again")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _start_endpoint(self, endpoint_id: str) -> None:
        with self._lock:
            running = self._busy.get(endpoint_id)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=self._drain, args=(endpoint_id,), name=f"webhook-{endpoint_id}",
                                      daemon=True)
            self._busy[endpoint_id] = thread
        thread.start()

    def _drain(self, endpoint_id: str) -> None:
        """Sends the endpoint's due deliveries until none is left (one connection, kept alive).

        A batch's answers are recorded by a second thread while the next batch is posted, so
        the database's round trips overlap the receiver's (at most one record outstanding).
        """
        from concurrent.futures import ThreadPoolExecutor

        poster = Poster(allow_private=self.service.settings.webhook_allow_private)
        recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"webhook-log-{endpoint_id}")
        previous = None
        try:
            while not self._stop.is_set():
                endpoint, batch = self.service.run(_claim, endpoint_id=endpoint_id)
                if not batch:
                    return
                results, left = self._send_batch(poster, endpoint, batch)
                if previous is not None:
                    previous.result()
                previous = recorder.submit(self._record, endpoint, results, left)
        except Exception:
            log.exception("webhook sender of endpoint %s failed; its deliveries are tried again later", endpoint_id)
        finally:
            try:
                if previous is not None:
                    previous.result()
            except Exception:
                log.exception("recording the answers of endpoint %s failed; they are sent again after the lease",
                              endpoint_id)
            recorder.shutdown(wait=True)
            poster.close()
            self.service.release()
            with self._lock:
                if self._busy.get(endpoint_id) is threading.current_thread():
                    del self._busy[endpoint_id]

    def _record(self, endpoint, results: list, left: list[int]) -> None:
        try:
            if results:
                self.service.run(_record_batch, endpoint=endpoint, results=results)
            if left:
                self.service.run(_give_back, ids=left)
        finally:
            self.service.release()

    def _send_batch(self, poster: Poster, endpoint, batch: list) -> tuple[list, list[int]]:
        """Gives (the answers not yet recorded, the ids left unsent because the sender stops)."""
        results, flushed_at = [], time.monotonic()
        left: list[int] = []
        for position, delivery in enumerate(batch):
            if self._stop.is_set():
                left = [d.id for d in batch[position:]]
                break
            answer = _post(poster, endpoint, delivery)
            results.append((delivery, answer, self.service.clock()))
            if answer.ok:
                log.debug("webhook delivery %s of event %s to %s: %s in %s ms", delivery.delivery_id,
                          delivery.event_id, endpoint.endpoint_id, answer.status, answer.latency_ms)
            else:
                log.info("webhook delivery %s of event %s to %s failed (attempt %s): %s", delivery.delivery_id,
                         delivery.event_id, endpoint.endpoint_id, delivery.attempts + 1,
                         answer.error or f"HTTP {answer.status}")
            if time.monotonic() - flushed_at >= FLUSH_EVERY_S:  # a slow receiver: its log stays current
                self.service.run(_record_batch, endpoint=endpoint, results=results)
                results, flushed_at = [], time.monotonic()
        return results, left
