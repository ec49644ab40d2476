"""The signature of Huifang's internal events (CONTRACT.md "The broker's password").

`user.updated` and `webhook.endpoint_updated` carry password hashes, roles and webhook
secrets between the services; whoever can write to the broker could otherwise make an admin.
The service that emits one signs it (the envelope's extension attribute `huifangsignature`,
an HMAC-SHA256 of the rest of the envelope) with a key derived from HUIFANG_SECRET_KEY, which
every service of one installation shares; the receiving service refuses one without a valid
signature (the worker dead-letters it with the reason). Key rotation: the first key of
HUIFANG_SECRET_KEY signs, every key listed verifies.
"""
from __future__ import annotations

import hashlib
import hmac
import json

#: The envelope's extension attribute holding the signature (CloudEvents: lower-case letters).
SIGNATURE_ATTRIBUTE = "huifangsignature"
#: Derives the events' key from the installation's secret, so it signs nothing else.
_PURPOSE = b"huifang internal events v1"


def _event_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def _canonical(envelope: dict) -> bytes:
    unsigned = {k: v for k, v in envelope.items() if k != SIGNATURE_ATTRIBUTE}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def signature_of(envelope: dict, secret_key: str) -> str:
    """Gives the signature of `envelope` (all but its signature attribute) under `secret_key`."""
    return hmac.new(_event_key(secret_key), _canonical(envelope), hashlib.sha256).hexdigest()


def sign_envelope(envelope: dict, secret_key: str) -> dict:
    """Gives `envelope` with its signature attribute set (the same dict)."""
    envelope[SIGNATURE_ATTRIBUTE] = signature_of(envelope, secret_key)
    return envelope


def signed_by_us(envelope: dict, secret_keys) -> bool:
    """Gives whether `envelope` carries a valid signature under one of `secret_keys`."""
    given = envelope.get(SIGNATURE_ATTRIBUTE) if isinstance(envelope, dict) else None
    if not isinstance(given, str) or not given:
        return False
    keys = [secret_keys] if isinstance(secret_keys, str) else list(secret_keys)
    return any(hmac.compare_digest(given.encode("utf-8"), signature_of(envelope, key).encode("utf-8"))
               for key in keys)
