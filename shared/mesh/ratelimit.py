"""Per-user rate limits of repeated sends and heavy requests, so one person cannot flood the mail or the worker.

A fixed window per (what, organisation, login): the first `limit` requests of a window pass,
the next ones are `429` problem+json saying when to try again. The count lives in the
service's database (`rate_window`), so every web process of a service shares it; old windows
are pruned with the retention job (shared/mesh/retention.py).
"""
from __future__ import annotations

import math

import peewee

from shared.core.errors import TooManyRequests

#: Windows older than this are deleted by the retention job.
KEEP_SECONDS = 86400


def rate_window_model(database) -> type[peewee.Model]:
    """Gives the table counting each user's requests per window."""

    class RateWindow(peewee.Model):
        key = peewee.CharField(max_length=300)
        window = peewee.BigIntegerField()
        count = peewee.IntegerField(default=0)
        #: When the window ends (seconds since 1970): pruned a day after.
        ends_at = peewee.BigIntegerField()

        class Meta:
            table_name = "rate_window"
            indexes = ((("key", "window"), True),)

    RateWindow._meta.set_database(database)
    return RateWindow


def count_request(*, uow, key: str, per_seconds: int, now: float) -> int:
    """Gives how many requests of `key` the current window holds, this one included (one upsert)."""
    Window = uow.service.RateWindow
    window = int(now // per_seconds)
    Window.insert(key=key, window=window, count=1, ends_at=(window + 1) * per_seconds).on_conflict(
        conflict_target=[Window.key, Window.window], update={Window.count: Window.count + 1}).execute()
    return Window.select(Window.count).where(Window.key == key, Window.window == window).scalar()


def refuse_over_limit(*, uow, what: str, who, organization: str, limit: int, per_seconds: int) -> None:
    """Counts one request of `what` by `who` (a person: `login`) in the caller's unit of work, the
    command's that the API and the pages share, and refuses it past `limit` per window. A refused
    request rolls back with its command: the window stays at its limit and goes on refusing.

    Raises:
      TooManyRequests: 429, saying in how many seconds the window ends.
    """
    now = uow.now.timestamp()
    key = f"{what}:{per_seconds}:{organization}:{who.login}"[:300]
    if count_request(uow=uow, key=key, per_seconds=per_seconds, now=now) > limit:
        wait = max(1, math.ceil(per_seconds - now % per_seconds))
        raise TooManyRequests(f"At most {limit} of these every {per_seconds} seconds; try again in {wait} s.")


def check_rate(service, *, what: str, who, organization: str, limit: int, per_seconds: int) -> None:
    """Counts one request of `what` by `who` (a Principal) and refuses it past `limit` per window.

    Raises:
      TooManyRequests: 429, saying in how many seconds the window ends.
    """
    now = service.clock().timestamp()
    key = f"{what}:{per_seconds}:{organization}:{who.login}"[:300]
    count = service.run(count_request, key=key, per_seconds=per_seconds, now=now)
    if count > limit:
        wait = max(1, math.ceil(per_seconds - now % per_seconds))
        raise TooManyRequests(f"At most {limit} of these every {per_seconds} seconds; try again in {wait} s.")


def prune_windows(*, uow) -> int:
    """Gives how many windows older than KEEP_SECONDS were deleted."""
    Window = uow.service.RateWindow
    return Window.delete().where(Window.ends_at < int(uow.now.timestamp()) - KEEP_SECONDS).execute()
