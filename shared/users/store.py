"""The user directory: one list of people per organisation, seen by every service.

A person (login, display name, role, email, phone, business lines, password hash) is entered
once, with `make user` (or converted from the old data files with `make import-users`), into
one service's database; that service emits `user.updated` through its outbox and every
service (all three manifests subscribe) upserts the same row into its own `directory_user`
table. No database is shared: the services may run on different machines. The latest
`updated_at` wins, so a redelivered or late event changes nothing.

Reading, inside a unit of work or on a service's connection:

    uow.users.of_role(organization, "manager")          # [Person, ...] with .email, .phone
    uow.users.agents_for(organization, "vehicle")       # agents covering a business line
    SERVICE.users.get(organization, login)              # one Person or None

Passwords: shared/users/passwords.py; the old data files: shared/users/legacy_files.py.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import peewee

from shared.core.errors import InvalidInput
from shared.core.event_fields import LOGIN_PATTERN, ORG_PATTERN, USER_ROLES
from shared.core.event_types import UserUpdated
from shared.core.events import OWN_SOURCE_PREFIX
from shared.core.fields import ORG, UTCDateTimeField
from shared.users.integration_tokens import integration_token_model
from shared.users.passwords import hash_password
from shared.users.sessions import page_session_model

log = logging.getLogger(__name__)

#: The event type that carries one person of the directory between the services.
USER_UPDATED = "user.updated"


# -- the table -----------------------------------------------------------------------------

def user_model(database) -> type[peewee.Model]:
    """Gives the directory table bound to one service's database."""

    class User(peewee.Model):
        organization = peewee.CharField(**ORG)
        login = peewee.CharField(max_length=64)
        name = peewee.CharField(max_length=200, default="")
        role = peewee.CharField(max_length=32)
        email = peewee.CharField(max_length=254, null=True)
        phone = peewee.CharField(max_length=40, null=True)
        #: Comma-separated business lines (`equipment,vehicle`); empty: every line.
        business_lines = peewee.CharField(max_length=500, default="")
        #: The branch (store, service station, property office, region) the
        #: person works for; None: the whole organisation.
        branch = peewee.CharField(max_length=128, null=True)
        #: The department (受投诉部门, e.g. 质量管理部) the person works in; None: none named.
        department = peewee.CharField(max_length=200, null=True)
        password_hash = peewee.CharField(max_length=255, null=True)
        active = peewee.BooleanField(default=True)
        updated_at = UTCDateTimeField()
        #: Tokens and sessions of this person from before this moment are refused (revoked).
        tokens_not_before = UTCDateTimeField(null=True)

        class Meta:
            table_name = "directory_user"
            indexes = ((("organization", "login"), True), (("login",), False))

    User._meta.set_database(database)
    return User


def sign_in_failure_model(database) -> type[peewee.Model]:
    """Gives the table of failed sign-ins per login and address (shared/users/throttle.py slows them down)."""

    class SignInFailure(peewee.Model):
        login = peewee.CharField(max_length=64)
        address = peewee.CharField(max_length=64)
        failures = peewee.IntegerField(default=0)
        last_failed_at = UTCDateTimeField()
        blocked_until = UTCDateTimeField(null=True)

        class Meta:
            table_name = "sign_in_failure"
            indexes = ((("login", "address"), True),)

    SignInFailure._meta.set_database(database)
    return SignInFailure


@dataclass(frozen=True)
class Person:
    """One person of an organisation, as the services read the directory (no password hash)."""

    organization: str
    login: str
    name: str
    role: str
    email: str | None
    phone: str | None
    business_lines: tuple[str, ...]
    active: bool
    has_password: bool
    updated_at: datetime
    #: The person's branch, or None: the whole organisation.
    branch: str | None = None
    #: The person's department (a complaint assigned to it mails its people), or None.
    department: str | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.login

    def covers(self, business_line: str) -> bool:
        """Gives whether this person works on `business_line` (no lines listed: every line)."""
        return not self.business_lines or business_line in self.business_lines


def _lines(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split(",") if part)


def _person(row) -> Person:
    return Person(organization=row.organization, login=row.login, name=row.name or "", role=row.role,
                  email=row.email, phone=row.phone, business_lines=_lines(row.business_lines),
                  active=row.active, has_password=bool(row.password_hash), updated_at=row.updated_at,
                  branch=row.branch or None, department=row.department or None)


def record_of(row) -> dict:
    """Gives the `user.updated` data of a directory row (JSON-ready)."""
    return {"login": row.login, "role": row.role, "name": row.name or "", "email": row.email, "phone": row.phone,
            "business_lines": list(_lines(row.business_lines)), "branch": row.branch or None,
            "department": row.department or None, "password_hash": row.password_hash,
            "active": bool(row.active), "updated_at": row.updated_at.astimezone(timezone.utc).isoformat(),
            "tokens_not_before": row.tokens_not_before.astimezone(timezone.utc).isoformat()
            if row.tokens_not_before else None}


_RECORD = UserUpdated()


class Directory:
    """The directory of one service's database: reads for every service, and the one upsert."""

    def __init__(self, database):
        self.User = user_model(database)
        self.SignInFailure = sign_in_failure_model(database)
        #: Page sessions, ended by a sign-out on any service (shared/users/sessions.py).
        self.PageSession = page_session_model(database)
        #: Organisations' integration tokens, revocable one by one (shared/users/integration_tokens.py).
        self.IntegrationToken = integration_token_model(database)

    @property
    def models(self) -> list:
        return [self.User, self.SignInFailure, self.PageSession, self.IntegrationToken]

    # reading
    def get(self, organization: str, login: str) -> Person | None:
        """Gives the person `login` of `organization` (active or not), or None."""
        row = self.row(organization, login)
        return _person(row) if row is not None else None

    def row(self, organization: str, login: str):
        User = self.User
        return User.select().where(User.organization == organization, User.login == login).first()

    def token_gate(self, organization: str, login: str) -> tuple[bool, datetime | None] | None:
        """Gives (active, tokens_not_before) of the person for checking their bearer token, or None
        when the directory does not know them (one narrow query per API request)."""
        User = self.User
        row = User.select(User.active, User.tokens_not_before).where(User.organization == organization,
                                                                     User.login == login).first()
        return None if row is None else (bool(row.active), row.tokens_not_before)

    def tokens_not_before(self, organization: str, login: str) -> datetime | None:
        """Gives the moment before which the person's tokens and sessions are refused, or None."""
        User = self.User
        row = User.select(User.tokens_not_before).where(User.organization == organization,
                                                        User.login == login).first()
        return row.tokens_not_before if row is not None else None

    def rows_of_login(self, login: str) -> list:
        """Gives the active rows of `login` in every organisation (sign-in: a login may exist in several)."""
        User = self.User
        return list(User.select().where(User.login == login, User.active == True)  # noqa: E712
                    .order_by(User.organization))

    def of_role(self, organization: str, *roles: str) -> list[Person]:
        """Gives the active people of `organization` holding one of `roles`, by login."""
        User = self.User
        query = User.select().where(User.organization == organization, User.active == True)  # noqa: E712
        if roles:
            query = query.where(User.role.in_(roles))
        return [_person(row) for row in query.order_by(User.login)]

    def of_department(self, organization: str, department: str) -> list[Person]:
        """Gives the active people of `organization` working in `department`, by login."""
        User = self.User
        return [_person(row) for row in User.select().where(
            User.organization == organization, User.active == True,  # noqa: E712
            User.department == department).order_by(User.login)]

    def emails_of_role(self, organization: str, *roles: str) -> list[str]:
        """Gives the e-mail addresses of the active people of `organization` holding one of `roles`."""
        return [p.email for p in self.of_role(organization, *roles) if p.email]

    def agents_for(self, organization: str, business_line: str, branch: str | None = None) -> list[Person]:
        """Gives the active agents (回访员) of `organization` covering `business_line`, by login; with a
        `branch`, those of that branch, or when none works for it, every agent of the line."""
        agents = [p for p in self.of_role(organization, "agent") if p.covers(business_line)]
        if branch:
            own = [p for p in agents if p.branch == branch]
            return own or agents
        return agents

    def branch_of(self, organization: str, login: str | None) -> str | None:
        """Gives the branch of an active person (a branch manager sees only it), or None."""
        person = self.get(organization, login) if login else None
        return person.branch if person is not None and person.active else None

    # writing (inside the caller's unit of work)
    def upsert(self, organization: str, record: dict) -> bool:
        """Gives True when `record` (user.updated data, loaded) changed the directory.

        A record older than (or as old as) the row's `updated_at` changes nothing: the latest
        change wins whatever order the events arrive in.
        """
        User = self.User
        values = {"name": record.get("name") or "", "role": record["role"], "email": record.get("email"),
                  "phone": record.get("phone"), "business_lines": ",".join(record.get("business_lines") or ()),
                  "branch": record.get("branch") or None, "department": record.get("department") or None,
                  "password_hash": record.get("password_hash"), "active": record.get("active", True),
                  "updated_at": record["updated_at"], "tokens_not_before": record.get("tokens_not_before")}
        row = self.row(organization, record["login"])
        if row is None:
            User.insert(organization=organization, login=record["login"], **values).on_conflict_ignore().execute()
            return True
        if row.updated_at >= record["updated_at"]:
            return False
        User.update(**values).where(User.id == row.id).execute()
        return True


# -- commands (make user, make import-users) -------------------------------------------------

def check_person(*, login: str, role: str, organization: str) -> None:
    """Raises InvalidInput naming the field when a login, role or organisation is malformed."""
    if not LOGIN_PATTERN.match(login or ""):
        raise InvalidInput(f"LOGIN must be letters, digits, '.', '_', '-' or '@' (at most 64), got {login!r}",
                           field="login")
    if role not in USER_ROLES:
        raise InvalidInput(f"ROLE must be one of {', '.join(USER_ROLES)}, got {role!r}", field="role")
    if not ORG_PATTERN.match(organization or ""):
        raise InvalidInput(f"ORG must be a lower-case slug like acme-electric, got {organization!r}",
                           field="organization")


def save_person(*, uow, organization: str, login: str, role: str | None = None, name: str | None = None,
                email: str | None = None, phone: str | None = None, business_lines=None,
                password: str | None = None, active: bool | None = None, revoke_tokens: bool = False,
                branch: str | None = None, department: str | None = None) -> dict:
    """Gives the person's record after creating or updating them and emitting `user.updated`.

    A field given as None keeps its current value (a new person: empty); `branch=""` clears
    the branch, `department=""` the department. `password` is hashed here; None keeps the current one. `revoke_tokens`: every
    token issued and page session started until now is refused from now on, on every service
    (so a revoked token is refused); a change of role does the same (a token carries its role).

    Raises:
      InvalidInput: a malformed login, role, organisation or an empty password.
    """
    directory: Directory = uow.service.users
    row = directory.row(organization, login)
    current = record_of(row) if row is not None else {
        "login": login, "role": role, "name": "", "email": None, "phone": None, "business_lines": [],
        "branch": None, "department": None, "password_hash": None, "active": True}
    record = dict(current)
    for key, value in (("role", role), ("name", name), ("email", email), ("phone", phone), ("active", active)):
        if value is not None:
            record[key] = value
    if branch is not None:
        record["branch"] = branch.strip() or None
    if department is not None:
        record["department"] = department.strip() or None
    if business_lines is not None:
        record["business_lines"] = sorted({line.strip() for line in business_lines if line.strip()})
    if password is not None:
        record["password_hash"] = hash_password(password)
    check_person(login=login, role=record["role"], organization=organization)
    if row is not None and not revoke_tokens and all(record[k] == current[k] for k in record if k != "updated_at"):
        return current  # nothing changed: no event
    # Strictly later than the row, even within one clock tick, so the change wins everywhere.
    moment = uow.now.astimezone(timezone.utc)
    if row is not None and moment <= row.updated_at:
        moment = row.updated_at + _TICK
    record["updated_at"] = moment.isoformat()
    # A token carries the role it was issued with: a person given another role gets new tokens
    # (and signs in again), so what they were allowed before does not outlive the change.
    # Deactivating ends the person's tokens and sessions for good: reactivating them later does
    # not revive what was issued before (they sign in again, get new tokens).
    deactivated = row is not None and current["active"] and not record["active"]
    if revoke_tokens or deactivated or (row is not None and record["role"] != current["role"]):
        record["tokens_not_before"] = moment.isoformat()
    loaded = _RECORD.load(record)
    directory.upsert(organization, loaded)
    uow.emit(USER_UPDATED, record, organization=organization)
    return record


_TICK = timedelta(microseconds=1)


def on_user_updated(*, uow, event) -> None:
    """Upserts the person of a `user.updated` event into this service's directory.

    Only Huifang's own services speak for the directory: an event from elsewhere is ignored
    (the HTTP route already refuses it; this covers a hand-made queue message).
    """
    if not str(event.source).startswith(OWN_SOURCE_PREFIX):
        log.warning("event %s: user.updated from %s ignored (only Huifang's services may send it)",
                    event.id, event.source)
        return
    changed = uow.service.users.upsert(event.organization, event.data)
    log.info("event %s: user %s of %s %s", event.id, event.data["login"], event.organization,
             "stored" if changed else "already as new; unchanged")


#: Handlers every service has, whatever its own handlers are (shared.mesh.service.Service.handle).
SHARED_HANDLERS = {USER_UPDATED: on_user_updated}
