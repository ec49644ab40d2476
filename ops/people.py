"""People, organisations and tokens: what `make token`, `make user`, `make revoke-tokens`,
`make import-users`, `make erase-customer`, `make org` and `make demo` do.

    python -m ops token --login li --role advisor --org acme-electric
    python -m ops user --login li --role agent --org acme-electric [--name ... --email ...]
    python -m ops import-users
    python -m ops org --org acme-electric --name "Acme Electric"
    python -m ops demo
"""
from __future__ import annotations

import getpass
import importlib
import os
import secrets
import sys
from datetime import datetime, timezone
from pathlib import Path

from ops.console import ask, say, shown
from ops.onboarding import (DEMO_NAME, DEMO_ORG, DEMO_PEOPLE, check_organization, create_organization, new_password,
                            next_steps, sample_events)
from shared.core.errors import HuifangError
from shared.core.events import validate_envelope
from shared.core.manifest import subscribers
from shared.core.settings import SERVICES, load_settings
from shared.mesh.broker import make_broker
from shared.mesh.outbox import pending_count
from shared.mesh.relay import relay_once
from shared.mesh.retention import erase_customer
from shared.users.legacy_files import LEGACY_FILES, import_people, people_from_data_files
from shared.users.store import check_person, save_person
from shared.web.auth import Principal, issue_token

def dev_api_token(var_dir: Path) -> str:
    path = var_dir / "api_token"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    token = "hf_" + secrets.token_urlsafe(32)
    path.write_text(token)
    path.chmod(0o600)
    return token


def cmd_token(args) -> int:
    settings = load_settings()
    if args.role == "integration" and not args.org:
        # Not a signed token: the installation's own (HUIFANG_API_TOKEN, else the one `make run`
        # keeps in var/api_token), which reads every organisation.
        print(settings.api_token or dev_api_token(settings.var_dir))
        return 0
    login = args.login or ("integration" if args.role == "integration" else "")
    try:
        # ROLE=integration ORG=...: an integration token of that organisation only
        print(issue_token(settings.secret_key, login=login, role=args.role, organization=args.org))
    except ValueError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    return 0


def bind_service(name: str):
    service = importlib.import_module(f"services.{name}.service").SERVICE
    return service.bind(load_settings())


def relay_now(service, what: str = "user.updated") -> None:
    """Hands the service's outbox to the broker now; when it is down, the service's worker
    sends the rows once it runs (they are committed either way)."""
    try:
        broker = make_broker(service.settings)
        with service.connection():
            relay_once(service.Outbox, broker, limit=1000, subscribers=subscribers)
            left = pending_count(service.Outbox)
    except Exception as exc:  # the broker is down or unreachable
        say(f"broker unavailable ({type(exc).__name__}): the other services get the change when "
            f"{service.name}'s worker runs")
        return
    if left:
        say(f"{left} event(s) wait in {service.name}'s outbox until the broker answers and its worker runs")
    else:
        say(f"sent to the other services ({what})")


def _ask_password(login: str, known: bool) -> str | None:
    """Gives the password typed twice at the terminal; None to keep the current one (or none)."""
    if not sys.stdin.isatty():
        return None
    keep = "keep the current one" if known else f"none: {login} cannot sign in yet"
    while True:
        first = getpass.getpass(f"Password for {login} (empty: {keep}): ")
        if not first:
            return None
        if getpass.getpass("Again: ") == first:
            return first
        say("the two passwords differ; try again")


def cmd_user(args) -> int:
    lines = None if args.lines is None else [part for part in args.lines.split(",") if part.strip()]
    service, changed = enter_person(args.service, organization=args.org, login=args.login, role=args.role,
                                    name=args.name, email=args.email, phone=args.phone, lines=lines,
                                    password=os.environ.get("PASSWORD") or None, branch=args.branch,
                                    department=args.department)
    if changed:
        relay_now(service)
    return 0


def operator(organization: str) -> Principal:
    """Gives who an operator's command acts as in the audit log: the account at the terminal."""
    return Principal(login=f"ops:{getpass.getuser()}", role="operator", organization=organization)


def cmd_erase_customer(args) -> int:
    """Blanks one customer's personal data in every service (PIPL)."""
    erase_everywhere([bind_service(name) for name in SERVICES], organization=args.org, customer_id=args.customer)
    return 0


def erase_everywhere(services, *, organization: str, customer_id: str) -> dict[str, dict]:
    """Gives {service: {table: rows changed}} after blanking one customer's personal data in each of
    `services` (bound): names, phones, contacts, projects and free texts in every table, the raw
    event logs, the outbox and webhook deliveries, the stored reports and the mail files; ids,
    dates, answers and amounts stay, so every figure and report is as before."""
    done = {}
    for service in services:
        with service.command() as uow:  # the erasure and its audit entry commit together
            done[service.name] = erase_customer(uow=uow, organization=organization, customer_id=customer_id)
            uow.audit(operator(organization), organization=organization, action="customer.erased",
                      subject=customer_id, detail=done[service.name])
        say(f"{service.name}: customer {customer_id} of {organization} erased "
            f"({', '.join(f'{k} {v}' for k, v in done[service.name].items())})")
    return done


def cmd_revoke_tokens(args) -> int:
    """Refuses every token issued and page session started until now of one person, on every
    service; `make token` gives them a new one."""
    service = bind_service(args.service)
    with service.connection():
        known = service.users.get(args.org, args.login)
    if known is None:
        raise SystemExit(f"huifang: no {args.login} in {args.org}'s directory (make user LOGIN=... first)")
    try:
        with service.command() as uow:  # the change and its audit entry commit together
            record = save_person(uow=uow, organization=args.org, login=args.login, revoke_tokens=True)
            uow.audit(operator(args.org), organization=args.org, action="user.changed", subject=args.login,
                      detail={"tokens_revoked": True})
    except HuifangError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    relay_now(service)
    say(f"{args.login} of {args.org}: tokens and sessions from before {record['tokens_not_before']} are refused")
    return 0


def enter_person(service_name: str, *, organization: str, login: str, role: str, name: str = "", email: str = "",
                 phone: str = "", lines: list[str] | None = None, password: str | None = None, ask: bool = True,
                 branch: str | None = None, department: str | None = None):
    """Gives (service, changed) after creating or updating one person of the user directory in
    `service_name`'s database (what `make user` does); asks for the password at a terminal
    when none is given and `ask`. The caller relays the `user.updated` event."""
    try:
        check_person(login=login, role=role, organization=organization)
    except HuifangError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    service = bind_service(service_name)
    with service.connection():
        known = service.users.get(organization, login)
    if password is None and ask:
        password = _ask_password(login, known is not None and known.has_password)
    try:
        with service.command() as uow:  # the change and its audit entry commit together
            record = save_person(uow=uow, organization=organization, login=login, role=role,
                                 name=name or None, email=email or None, phone=phone or None,
                                 business_lines=lines, password=password, branch=branch, department=department)
            uow.audit(operator(organization), organization=organization, action="user.changed", subject=login,
                      detail={"role": record["role"], "branch": record.get("branch"),
                              "password_changed": password is not None})
    except HuifangError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    unchanged = known is not None and record["updated_at"] == known.updated_at.astimezone(timezone.utc).isoformat()
    state = "created" if known is None else ("unchanged" if unchanged else "updated")
    say(f"{login} of {organization} {state} in {service_name}'s directory: role {record['role']}, "
        f"{'can sign in' if record['password_hash'] else 'no password yet (cannot sign in)'}")
    return service, not unchanged


def cmd_import_users(args) -> int:
    service = bind_service(args.service)
    people, notes = people_from_data_files(service.settings)
    for note in notes:
        say(note)
    if not people:
        say(f"no one listed in {', '.join(f'{s}/{f}' for s, f in LEGACY_FILES.items())}; nothing to import")
        return 0
    for organization, found in people.items():
        changed = service.run(import_people, organization=organization, people=found)
        say(f"{organization}: {len(found)} listed, {len(changed)} created or completed"
            + (f" ({', '.join(changed)})" if changed else ""))
    say("imported people have no password: set one with make user LOGIN=... ROLE=... ORG=...")
    relay_now(service)
    return 0


def cmd_org(args) -> int:
    """Creates an organisation's data folder from the defaults and its first admin; says what is next."""
    try:
        check_organization(args.org)
    except ValueError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    settings = load_settings()
    files = create_organization(settings, args.org, args.name or args.org)
    say(f"{args.org}: rule files in {shown(Path(settings.data_dir) / args.org)} "
        "(Huifang reads these instead of the defaults):")
    for f in files:
        state = "written" if f.created else "kept (already there)"
        say(f"  {f.service + '/' + f.relative:<34} {state}: {f.summary}")
    interactive = sys.stdin.isatty()
    login = args.admin or (ask("Login of the first admin", "admin") if interactive else "admin")
    email = args.email or (ask(f"E-mail of {login} (optional)", "") if interactive else "")
    service, changed = enter_person("scheduler", organization=args.org, login=login, role="admin",
                                    name=args.admin_name, email=email, password=os.environ.get("PASSWORD") or None,
                                    ask=interactive)
    if changed:
        relay_now(service)
    print(f"\nNext, for {args.org}:", flush=True)
    for line in next_steps(settings, args.org, admin=login):
        print("  " + line)
    return 0


def create_demo(settings, *, relay: bool) -> None:
    """Makes the demo organisation: its rule files, one person of each role with a new password
    (printed), and its sample events posted through the scheduler's outbox."""
    files = create_organization(settings, DEMO_ORG, DEMO_NAME)
    say(f"{DEMO_ORG}: {sum(f.created for f in files)} rule files written in "
        f"{shown(Path(settings.data_dir) / DEMO_ORG)}")
    passwords = {}
    service = None
    for login, (role, name, email) in DEMO_PEOPLE.items():
        passwords[login] = new_password()
        service, _ = enter_person("scheduler", organization=DEMO_ORG, login=login, role=role, name=name,
                                  email=email, password=passwords[login], ask=False)
    envelopes = [validate_envelope(e) for e in sample_events(DEMO_ORG, now=datetime.now(settings.tz))]
    with service.connection():
        service.accept(envelopes)
    say(f"{DEMO_ORG}: {len(envelopes)} sample events posted (deliveries, service orders, complaints)")
    if relay:
        relay_now(service, "the people and the sample events")
    else:
        say("they reach every service when the workers start")
    login_url = settings.public_url("scheduler") + "/login"
    print(f"\nThe demo organisation: sign in at {login_url} (organisation {DEMO_ORG}) as", flush=True)
    for login, (role, name, _) in DEMO_PEOPLE.items():
        print(f"  {login:<7} {role:<11} password {passwords[login]}   ({name})")
    print("New passwords each time `make demo` runs; the sample data is posted once.\n", flush=True)


def cmd_demo(args) -> int:
    create_demo(load_settings(), relay=True)
    return 0


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `command` and the function that runs it."""
    if command == "token":
        parser.add_argument("--login", default="")
        parser.add_argument("--role", required=True)
        parser.add_argument("--org", default="")
        parser.set_defaults(func=cmd_token)
    elif command == "org":
        parser.add_argument("--org", required=True)
        parser.add_argument("--name", default="", help="the organisation's name, as people read it")
        parser.add_argument("--admin", default="", help="login of the first admin (asked at a terminal; default admin)")
        parser.add_argument("--admin-name", default="", help="display name of the first admin")
        parser.add_argument("--email", default="", help="e-mail of the first admin")
        parser.set_defaults(func=cmd_org)
    elif command == "demo":
        parser.set_defaults(func=cmd_demo)
    elif command == "user":
        parser.add_argument("--login", required=True)
        parser.add_argument("--role", required=True)
        parser.add_argument("--org", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--lines", default=None, help="business lines, comma-separated (empty: every line)")
        parser.add_argument("--branch", default=None, help="the person's branch; empty: the whole organisation")
        parser.add_argument("--department", default=None,
                            help="the person's department (complaints assigned to it mail them); empty: none")
        parser.add_argument("--service", default="scheduler", choices=list(SERVICES),
                            help="the service whose database takes the change and relays it (default scheduler)")
        parser.set_defaults(func=cmd_user)
    elif command == "erase-customer":
        parser.add_argument("--org", required=True)
        parser.add_argument("--customer", required=True, help="the customer's id")
        parser.set_defaults(func=cmd_erase_customer)
    elif command == "revoke-tokens":
        parser.add_argument("--login", required=True)
        parser.add_argument("--org", required=True)
        parser.add_argument("--service", default="scheduler", choices=list(SERVICES))
        parser.set_defaults(func=cmd_revoke_tokens)
    elif command == "import-users":
        parser.add_argument("--service", default="scheduler", choices=list(SERVICES))
        parser.set_defaults(func=cmd_import_users)
