"""Bearer tokens and roles (CONTRACT.md "Users and roles").

A token is signed with HUIFANG_SECRET_KEY, so every service of one installation checks it
without a shared user database. The integration token is HUIFANG_API_TOKEN itself.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import HuifangError
from .events import ORG_PATTERN, USER_ROLES

ROLES = (*USER_ROLES, "integration")
#: Chinese labels from the seeds.
ROLE_LABELS = {"agent": "回访员", "advisor": "服务顾问", "supervisor": "接待主管", "manager": "服务经理",
               "admin": "管理员", "integration": "系统集成"}
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

    def sees(self, organization: str) -> bool:
        return self.organization in (ALL_ORGANIZATIONS, organization)


def issue_token(secret_key: str, *, login: str, role: str, organization: str) -> str:
    """Gives a bearer token for a user of one organisation."""
    if role not in ROLES or role == "integration":
        raise ValueError(f"ROLE must be one of {', '.join(r for r in ROLES if r != 'integration')}, got {role!r}")
    if not ORG_PATTERN.match(organization or ""):
        raise ValueError(f"ORG must be a lower-case slug like acme-electric, got {organization!r}")
    if not login:
        raise ValueError("LOGIN is required")
    return URLSafeTimedSerializer(secret_key, salt=_SALT).dumps({"l": login, "r": role, "o": organization})


def verify_token(token: str, *, secret_key: str, api_token: str | None) -> Principal:
    """Gives who holds `token`.

    Raises:
      AuthError: 401 for a missing, bad or expired token.
    """
    if not token:
        raise AuthError(401, "Send 'Authorization: Bearer <token>': a user's token from `make token LOGIN=... "
                             "ROLE=... ORG=...`, or the installation's integration token (HUIFANG_API_TOKEN; "
                             "`make token ROLE=integration` prints it).")
    if api_token and hmac.compare_digest(token.encode(), api_token.encode()):
        return Principal(login="integration", role="integration", organization=ALL_ORGANIZATIONS)
    try:
        claims = URLSafeTimedSerializer(secret_key, salt=_SALT).loads(token, max_age=TOKEN_MAX_AGE_S)
    except SignatureExpired:
        raise AuthError(401, "The token has expired; get a new one with `make token`.") from None
    except BadSignature:
        raise AuthError(401, "The token is not valid for this installation.") from None
    return Principal(login=claims["l"], role=claims["r"], organization=claims["o"])
