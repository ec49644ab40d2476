"""An organisation's integration tokens (an ERP's access to one organisation): issued, listed and
revoked one by one, on every service (shared/users/integration_tokens.py).

    python -m ops integration-token --org acme-electric [--label ERP]     (make integration-token)
    python -m ops integration-tokens --org acme-electric                  (make integration-tokens)
    python -m ops revoke-integration-token --org acme-electric --id it_…  (make revoke-integration-token)

The token is printed once and never stored: the services keep its id. Issuing and revoking are
recorded in one service's database (SERVICE=, default scheduler) with an entry of its audit log,
and reach the others through `integration_token.updated`; the list reads every service, for the
last use each has seen.
"""
from __future__ import annotations

from datetime import timezone

from ops import people
from ops.console import say
from ops.people import bind_service, operator, relay_now
from shared.core.errors import HuifangError
from shared.core.event_fields import ORG_PATTERN
from shared.core.settings import SERVICES
from shared.users.integration_tokens import new_token_id, record_issued, revoke, tokens_of
from shared.web.auth import issue_token

#: What an integration token's holder is called in the audit log and its claims.
LOGIN = "integration"


def issue(service, *, organization: str, label: str = "") -> tuple[str, dict]:
    """Gives (the token, its data) after recording a new integration token of `organization` on
    `service` (bound) and queueing `integration_token.updated` for the others."""
    if not ORG_PATTERN.match(organization or ""):
        raise SystemExit(f"huifang: ORG must be a lower-case slug like acme-electric, got {organization!r}")
    token_id = new_token_id()
    with service.command() as uow:  # the record, its event and its audit entry commit together
        data = record_issued(uow=uow, organization=organization, token_id=token_id, label=label)
        uow.audit(operator(organization), organization=organization, action="user.changed",
                  subject=f"{LOGIN}:{token_id}", detail={"integration_token": "issued", "label": label})
    token = issue_token(service.settings.secret_key, login=LOGIN, role="integration", organization=organization,
                        token_id=token_id)
    return token, data


def withdraw(service, *, organization: str, token_id: str) -> dict:
    """Gives the data of the token after revoking it on `service` (bound) and queueing its revocation
    for the others.

    Raises:
      NotFound: `service` knows no such token of `organization`.
    """
    with service.command() as uow:
        data = revoke(uow=uow, organization=organization, token_id=token_id)
        uow.audit(operator(organization), organization=organization, action="user.changed",
                  subject=f"{LOGIN}:{token_id}", detail={"integration_token": "revoked"})
    return data


def listing(services, organization: str) -> list[dict]:
    """Gives the integration tokens of `organization` as the bound `services` know them: each with its
    state and its last use on any of them, the newest first."""
    found: dict[str, dict] = {}
    for service in services:
        with service.connection():
            for row in tokens_of(service.users, organization):
                entry = found.setdefault(row.token_id, {"token_id": row.token_id, "label": row.label,
                                                        "issued_at": row.issued_at, "revoked_at": None,
                                                        "last_used_at": None, "used_on": []})
                entry["revoked_at"] = entry["revoked_at"] or row.revoked_at
                if row.last_used_at is not None:
                    entry["used_on"].append(service.name)
                    if entry["last_used_at"] is None or row.last_used_at > entry["last_used_at"]:
                        entry["last_used_at"] = row.last_used_at
    return sorted(found.values(), key=lambda e: e["issued_at"], reverse=True)


def _when(moment) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def cmd_token(args) -> int:
    """`make token`: a person's token (ops/people.py), the installation's integration token, or with
    ROLE=integration ORG=... an organisation's, issued like `make integration-token` (revocable)."""
    if args.role == "integration" and args.org:
        return cmd_issue(args)
    return people.cmd_token(args)


def cmd_issue(args) -> int:
    service = bind_service(getattr(args, "service", "scheduler"))
    token, data = issue(service, organization=args.org, label=getattr(args, "label", ""))
    relay_now(service, "integration_token.updated")
    print(token)
    from_line = f" ({data['label']})" if data["label"] else ""
    say(f"integration token {data['token_id']}{from_line} of {args.org}: shown once, keep it safe; "
        f"make revoke-integration-token ORG={args.org} ID={data['token_id']} refuses it")
    return 0


def cmd_list(args) -> int:
    entries = listing([bind_service(name) for name in SERVICES], args.org)
    if not entries:
        print(f"huifang: {args.org} has no integration tokens (make integration-token ORG={args.org})")
        return 0
    print(f"{'id':<20} {'state':<8} {'issued':<21} {'last used':<21} label")
    for e in entries:
        state = "revoked" if e["revoked_at"] else "active"
        print(f"{e['token_id']:<20} {state:<8} {_when(e['issued_at']):<21} {_when(e['last_used_at']):<21} {e['label']}")
    return 0


def cmd_revoke(args) -> int:
    service = bind_service(args.service)
    try:
        data = withdraw(service, organization=args.org, token_id=args.id)
    except HuifangError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    relay_now(service, "integration_token.updated")
    say(f"integration token {args.id} of {args.org} revoked at {data['revoked_at']}: every service refuses it "
        "once the event reaches it")
    return 0


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `command` and the function that runs it."""
    if command == "token":
        people.configure(command, parser)
        parser.set_defaults(func=cmd_token)
        return
    parser.add_argument("--org", required=True)
    if command == "integration-tokens":
        parser.set_defaults(func=cmd_list)
        return
    parser.add_argument("--service", default="scheduler", choices=list(SERVICES),
                        help="the service whose database takes the change and relays it (default scheduler)")
    if command == "integration-token":
        parser.add_argument("--label", default="", help="what it is for (the ERP's name)")
        parser.set_defaults(func=cmd_issue)
    else:
        parser.add_argument("--id", required=True, help="the token's id (make integration-tokens lists them)")
        parser.set_defaults(func=cmd_revoke)
