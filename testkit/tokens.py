"""The test installation's secret key, integration token and organisation, and bearer headers."""
from __future__ import annotations

from shared.web.auth import issue_token

#: The secret key of every test installation (tokens and page sessions are signed with it).
SECRET = "test-secret-" + "x" * 20
#: The integration token (the ERP's) of every test installation.
API_TOKEN = "hf_test_integration_token"
#: The organisation the tests work in.
ORG = "acme-electric"


def bearer(token: str) -> dict:
    """Gives the Authorization header carrying `token`."""
    return {"Authorization": f"Bearer {token}"}


def user_token(role: str, org: str = ORG, login: str = "li") -> str:
    """Gives a person's bearer token, signed with SECRET."""
    return issue_token(SECRET, login=login, role=role, organization=org)


def user(role: str, login: str = "li", org: str = ORG) -> dict:
    """Gives the Authorization header of a person with `role`."""
    return bearer(user_token(role, org=org, login=login))


#: The Authorization header of the integration token.
INTEGRATION = bearer(API_TOKEN)
