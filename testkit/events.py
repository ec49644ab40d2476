"""Event envelopes as a producer sends them (CONTRACT.md)."""
from __future__ import annotations

import uuid

from shared.core.event_signing import sign_envelope


def envelope(type_: str, data: dict, *, id_: str | None = None, org: str = "acme-electric",
             source: str = "erp://acme-electric") -> dict:
    """Gives a CloudEvents envelope of `type_` carrying `data` (a fresh id unless `id_`)."""
    return {"specversion": "1.0", "id": id_ or f"erp-{uuid.uuid4().hex[:12]}", "type": type_,
            "source": source, "time": "2026-01-31T10:00:00+08:00", "organization": org, "data": data}


def signed(envelope_: dict, secret_key: str) -> dict:
    """Gives `envelope_` signed as a service of the installation with `secret_key` signs its internal
    events (shared/core/event_signing.py)."""
    return sign_envelope(dict(envelope_), secret_key)
