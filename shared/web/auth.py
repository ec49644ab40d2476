"""Bearer tokens and roles (CONTRACT.md "Users and roles").

A token is signed with HUIFANG_SECRET_KEY (its first key; every key listed verifies), so every
service of one installation checks it without a shared user database. The installation's
integration token is HUIFANG_API_TOKEN itself (every organisation); an organisation's own
integration token is signed like a user's and carries an id (claim `i`), by which it is listed
and revoked (`make integration-token ORG=...`: shared/users/integration_tokens.py).
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shared.core.errors import HuifangError
from shared.core.event_fields import ORG_PATTERN, USER_ROLES

ROLES = (*USER_ROLES, "integration")
#: A user token is valid this long (seconds); `make token` prints a new one.
TOKEN_MAX_AGE_S = 90 * 86400
_SALT = "huifang-user-token"
#: The integration role sees every organisation.
ALL_ORGANIZATIONS = "*"


class AuthError(HuifangError):
    """A request without valid credentials (401) or with a role that may not act (403)."""

    title = "Unauthorized"

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Principal:
    login: str
    role: str
    organization: str
    #: When a signed token was issued (None: the installation's integration token); a person's
    #: tokens issued before their directory row's `tokens_not_before` are refused (shared.web.app).
    issued_at: datetime | None = field(default=None, compare=False)
    #: An organisation's integration token's id (claim `i`; None: another token, or one issued
    #: before they had ids, which shared.web.api refuses).
    token_id: str | None = field(default=None, compare=False)

    def sees(self, organization: str) -> bool:
        return self.organization in (ALL_ORGANIZATIONS, organization)


def _serializer(secret_keys) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key of a list and accepts every one; ours signs with the first
    keys = [secret_keys] if isinstance(secret_keys, str) else list(secret_keys)
    return URLSafeTimedSerializer(list(reversed(keys)), salt=_SALT)


def issue_token(secret_key, *, login: str, role: str, organization: str, token_id: str | None = None) -> str:
    """Gives a bearer token for a user of one organisation, or (role `integration`) an integration
    token of one organisation (`make integration-token ORG=...`), signed with `secret_key`
    (a key, or the installation's keys: the first signs). An integration token carries `token_id`
    (a new one when none is given: shared/users/integration_tokens.py records the operator's).

    Raises:
      ValueError: an unknown role, an organisation that is no slug (`*` included), no login.
    """
    if role not in ROLES:
        raise ValueError(f"ROLE must be one of {', '.join(ROLES)}, got {role!r}")
    if not ORG_PATTERN.match(organization or ""):
        raise ValueError(f"ORG must be a lower-case slug like acme-electric, got {organization!r}")
    if not login:
        raise ValueError("LOGIN is required")
    claims = {"l": login, "r": role, "o": organization}
    if role == "integration":
        claims["i"] = token_id or "it_" + secrets.token_hex(8)
    return _serializer(secret_key).dumps(claims)


def verify_token(token: str, *, secret_key, api_token: str | None) -> Principal:
    """Gives who holds `token`: the installation's integration token (every organisation), or a
    signed token of one organisation checked with `secret_key` (a key, or the installation's
    keys, HUIFANG_SECRET_KEY: any of them verifies, so a new key can be put first and the old
    one dropped later).

    Raises:
      AuthError: 401 for a missing, bad or expired token, or a signed one claiming an
        organisation that is no slug (`*`: only HUIFANG_API_TOKEN acts for every organisation).
    """
    if not token:
        raise AuthError(401, "Send 'Authorization: Bearer <token>': a user's token from `make token LOGIN=... "
                             "ROLE=... ORG=...`, or the installation's integration token (HUIFANG_API_TOKEN; "
                             "`make token ROLE=integration` prints it).")
    if api_token and hmac.compare_digest(token.encode(), api_token.encode()):
        return Principal(login="integration", role="integration", organization=ALL_ORGANIZATIONS)
    try:
        claims, issued_at = _serializer(secret_key).loads(token, max_age=TOKEN_MAX_AGE_S, return_timestamp=True)
    except SignatureExpired:
        raise AuthError(401, "The token has expired; get a new one with `make token`.") from None
    except BadSignature:
        raise AuthError(401, "The token is not valid for this installation.") from None
    if not isinstance(claims, dict) or claims.get("r") not in ROLES or not isinstance(claims.get("o"), str) \
            or not ORG_PATTERN.match(claims["o"]) or not claims.get("l"):
        # a signed claim of organisation `*` (or of no organisation) is refused: it would see everything
        raise AuthError(401, "The token is not valid for this installation.")
    token_id = claims.get("i") if claims["r"] == "integration" and isinstance(claims.get("i"), str) else None
    return Principal(login=claims["l"], role=claims["r"], organization=claims["o"], issued_at=issued_at,
                     token_id=token_id)
