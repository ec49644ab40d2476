"""Page sessions checked on the server: each sign-in has an id, kept (as its SHA-256) in the service's
`page_session` table, and a sign-out ends it on every service of the installation.

The session cookie (shared/web/session.py) is signed and carries the id and the moment it
started; the service that signs someone in records the session, and every service refuses:
- a session whose id is recorded as ended (signed out on any service: `user.signed_out`, an
  internal event signed like `user.updated`, brings the end to the others);
- a session older than HUIFANG_SESSION_LIFETIME_HOURS, however often it is used;
- (as before) one idle for longer than shared.web.session.IDLE_TIMEOUT, or of a person whose
  role or password changed, who was deactivated, or whose sessions were revoked.

A service that has not heard of a session (it was started on another service) takes the
signed cookie until its end or lifetime says otherwise.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timezone

import peewee

from shared.core.events import OWN_SOURCE_PREFIX
from shared.core.fields import ORG, UTCDateTimeField

log = logging.getLogger(__name__)

#: The event type that ends one page session on every service (internal: signed, never a webhook).
USER_SIGNED_OUT = "user.signed_out"


def page_session_model(database) -> type[peewee.Model]:
    """Gives the table of page sessions (one row per session id) bound to one service's database."""

    class PageSession(peewee.Model):
        #: SHA-256 (hex) of the session id the cookie carries: the table never holds a usable id.
        session_hash = peewee.CharField(max_length=64, unique=True)
        organization = peewee.CharField(**ORG)
        login = peewee.CharField(max_length=64)
        started_at = UTCDateTimeField()
        #: When it was signed out (None: not ended here yet).
        ended_at = UTCDateTimeField(null=True)

        class Meta:
            table_name = "page_session"

    PageSession._meta.set_database(database)
    return PageSession


def new_session_id() -> str:
    """Gives a new, unguessable session id (what the cookie carries)."""
    return secrets.token_urlsafe(32)


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(*, uow, organization: str, login: str, session_id: str, started_at: datetime) -> None:
    """Records a new page session of `login` (the sign-in's unit of work)."""
    PageSession = uow.service.users.PageSession
    PageSession.insert(session_hash=session_hash(session_id), organization=organization, login=login,
                       started_at=started_at).on_conflict_ignore().execute()


def _record_end(PageSession, *, organization: str, login: str, hashed: str, started_at: datetime | None,
                ended_at: datetime) -> None:
    row = PageSession.select().where(PageSession.session_hash == hashed).first()
    if row is None:
        PageSession.insert(session_hash=hashed, organization=organization, login=login,
                           started_at=started_at or ended_at, ended_at=ended_at).on_conflict_ignore().execute()
    elif row.ended_at is None:
        PageSession.update(ended_at=ended_at).where(PageSession.id == row.id).execute()


def end_session(*, uow, organization: str, login: str, session_id: str, started_at: datetime | None) -> None:
    """Ends a page session here and, through `user.signed_out`, on every other service."""
    hashed = session_hash(session_id)
    ended_at = uow.now.astimezone(timezone.utc)
    _record_end(uow.service.users.PageSession, organization=organization, login=login, hashed=hashed,
                started_at=started_at, ended_at=ended_at)
    uow.emit(USER_SIGNED_OUT, {"login": login, "session": hashed, "ended_at": ended_at.isoformat()},
             organization=organization)


def session_ended(directory, session_id: str) -> bool:
    """Gives whether the page session `session_id` was signed out (here or, as heard, elsewhere)."""
    PageSession = directory.PageSession
    row = PageSession.select(PageSession.ended_at).where(PageSession.session_hash == session_hash(session_id)).first()
    return row is not None and row.ended_at is not None


def on_user_signed_out(*, uow, event) -> None:
    """Records the end of a page session signed out on another service (only Huifang's own
    services send it; the event is signed, shared.mesh.service checks it)."""
    if not str(event.source).startswith(OWN_SOURCE_PREFIX):
        log.warning("event %s: %s from %s ignored", event.id, USER_SIGNED_OUT, event.source)
        return
    _record_end(uow.service.users.PageSession, organization=event.organization, login=event.data["login"],
                hashed=event.data["session"], started_at=None, ended_at=event.data["ended_at"])
    log.info("event %s: a page session of %s of %s ended", event.id, event.data["login"], event.organization)


#: Handlers every service has (shared.mesh.service composes them).
SHARED_HANDLERS = {USER_SIGNED_OUT: on_user_signed_out}
