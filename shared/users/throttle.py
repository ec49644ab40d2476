"""Failed sign-ins per login and address (the directory's `sign_in_failure` table): the first few
cost nothing, then each blocks the next attempt for a while, doubling (the pages' sign-in)."""
from __future__ import annotations

from datetime import datetime, timedelta

from shared.users.store import Directory

#: Failed sign-ins per login and address that cost nothing; after that each one blocks the
#: next attempt for FIRST_BLOCK_S, doubling up to MAX_BLOCK_S.
FREE_FAILURES = 3
FIRST_BLOCK_S = 5
MAX_BLOCK_S = 15 * 60
#: A failure older than this is forgotten.
FORGET_FAILURES_AFTER = timedelta(hours=24)


def block_seconds(failures: int) -> int:
    """Gives how long (s) the next sign-in of a login and address waits after `failures` failures."""
    if failures < FREE_FAILURES:
        return 0
    return min(FIRST_BLOCK_S * 2 ** (failures - FREE_FAILURES), MAX_BLOCK_S)


def throttle_key(login: str, address: str | None) -> tuple[str, str]:
    return (login or "").strip().lower()[:64], (address or "-")[:64]


def seconds_blocked(directory: Directory, login: str, address: str | None, now: datetime) -> int:
    """Gives how many seconds a sign-in of `login` from `address` must still wait (0: none)."""
    key_login, key_address = throttle_key(login, address)
    Failure = directory.SignInFailure
    row = Failure.select().where(Failure.login == key_login, Failure.address == key_address).first()
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return 0
    return max(1, int((row.blocked_until - now).total_seconds() + 0.999))


def record_failure(directory: Directory, login: str, address: str | None, now: datetime) -> int:
    """Counts one failed sign-in; gives the seconds the next attempt must wait."""
    key_login, key_address = throttle_key(login, address)
    Failure = directory.SignInFailure
    row = Failure.select().where(Failure.login == key_login, Failure.address == key_address).first()
    failures = 1 if row is None or now - row.last_failed_at > FORGET_FAILURES_AFTER else row.failures + 1
    wait = block_seconds(failures)
    blocked_until = now + timedelta(seconds=wait) if wait else None
    if row is None:
        Failure.insert(login=key_login, address=key_address, failures=failures, last_failed_at=now,
                       blocked_until=blocked_until).on_conflict(
            conflict_target=[Failure.login, Failure.address],
            update={Failure.failures: Failure.failures + 1, Failure.last_failed_at: now,
                    Failure.blocked_until: blocked_until}).execute()
    else:
        Failure.update(failures=failures, last_failed_at=now, blocked_until=blocked_until).where(
            Failure.id == row.id).execute()
    return wait


def clear_failures(directory: Directory, login: str, address: str | None) -> None:
    key_login, key_address = throttle_key(login, address)
    Failure = directory.SignInFailure
    Failure.delete().where(Failure.login == key_login, Failure.address == key_address).execute()
