"""Failed sign-ins per login and per address: the first few cost nothing, then each blocks the next
attempt for a while, doubling (the pages' sign-in).

An attempt is counted as a failure *before* its password is checked (`reserve`), in one atomic
step for its login and its address; a sign-in that succeeds gives its count back (`succeeded`).
So parallel guesses cannot all be checked: past the free ones, the next waits whatever its
answer would be. The counts live in the installation's Redis when the broker is one (every
service of the installation shares them: failing on one service blocks the others too), else
in the service's own `sign_in_failure` table. A process checks at most
MAX_CONCURRENT_CHECKS passwords at once (each costs 32 MiB and ~0.1 s); a sign-in past that is
told to try again at once.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime, timedelta

from shared.users.store import Directory

#: Failed sign-ins of one login (from any address) that cost nothing; after that each one blocks
#: the next attempt for FIRST_BLOCK_S, doubling up to MAX_BLOCK_S.
FREE_FAILURES = 3
#: Failed sign-ins from one address (whatever the logins) that cost nothing.
FREE_ADDRESS_FAILURES = 10
FIRST_BLOCK_S = 5
MAX_BLOCK_S = 15 * 60
#: A failure older than this is forgotten.
FORGET_FAILURES_AFTER = timedelta(hours=24)
#: Password checks one process runs at once; a sign-in past them is refused (try again).
MAX_CONCURRENT_CHECKS = 2
#: The keys' prefix in Redis.
REDIS_PREFIX = "huifang:sign-in"

log = logging.getLogger(__name__)

_CHECKS = threading.BoundedSemaphore(MAX_CONCURRENT_CHECKS)


def block_seconds(failures: int, free: int = FREE_FAILURES) -> int:
    """Gives how long (s) the next sign-in waits after `failures` failures (`free` of them free)."""
    if failures < free:
        return 0
    return min(FIRST_BLOCK_S * 2 ** (failures - free), MAX_BLOCK_S)


def throttle_key(login: str, address: str | None) -> tuple[str, str]:
    return (login or "").strip().lower()[:64], (address or "-")[:64]


def login_digest(login: str) -> str:
    """Gives a short digest of a typed login, for logs: people type their password there by mistake."""
    return hashlib.sha256((login or "").encode("utf-8")).hexdigest()[:12]


class password_check_slot:
    """`with password_check_slot() as free:` holds one of the process's password-check slots while
    `free` is True; False: all are taken (refuse the sign-in, nothing is checked)."""

    def __enter__(self) -> bool:
        self.taken = _CHECKS.acquire(blocking=False)
        return self.taken

    def __exit__(self, *exc) -> None:
        if self.taken:
            _CHECKS.release()


# -- where the counts live ----------------------------------------------------------------------

_RESERVE = """
local now, forget = tonumber(ARGV[1]), tonumber(ARGV[2])
local first, most = tonumber(ARGV[3]), tonumber(ARGV[4])
local wait, counts = 0, {}
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'failures', 'blocked_until', 'last')
  local failures, blocked, last = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0
  if now - last > forget then failures = 0; blocked = 0 end
  if blocked > now and blocked - now > wait then wait = blocked - now end
  counts[i] = failures
end
if wait > 0 then return tostring(wait) end
for i = 1, #KEYS do
  local failures, free, block = counts[i] + 1, tonumber(ARGV[4 + i]), 0
  if failures >= free then block = math.min(first * 2 ^ (failures - free), most) end
  redis.call('HSET', KEYS[i], 'failures', failures, 'blocked_until', now + block, 'last', now)
  redis.call('EXPIRE', KEYS[i], math.ceil(forget))
end
return '0'
"""


def _redis_keys(login: str, address: str) -> list[str]:
    return [f"{REDIS_PREFIX}:login:{login_digest(login)}", f"{REDIS_PREFIX}:address:{address}"]


def reserve(directory: Directory, login: str, address: str | None, now: datetime, *, redis_client=None,
            database=None) -> int:
    """Counts one sign-in of `login` from `address` as failed, before its password is checked;
    gives 0, or the seconds it must wait (blocked: nothing counted, nothing to check).

    `redis_client`: the installation's Redis (shared by every service), else the service's table
    in its own transaction (`database`).
    """
    key_login, key_address = throttle_key(login, address)
    frees = (FREE_FAILURES, FREE_ADDRESS_FAILURES)
    if redis_client is not None:
        try:
            return _reserve_in_redis(redis_client, key_login, key_address, now, frees)
        except Exception:  # the broker is away: this service counts alone meanwhile
            log.warning("sign-in counts: Redis did not answer; counting in this service's table")
    Failure = directory.SignInFailure
    keys = [(key_login, "*"), ("*", key_address)]
    with database.atomic():
        for k_login, k_address in keys:  # a write first: SQLite takes its write lock here
            Failure.insert(login=k_login, address=k_address, failures=0, last_failed_at=now).on_conflict_ignore() \
                .execute()
        query = Failure.select().where(((Failure.login == key_login) & (Failure.address == "*"))
                                       | ((Failure.login == "*") & (Failure.address == key_address)))
        if getattr(database.obj, "for_update", False):
            query = query.for_update()
        rows = {(r.login, r.address): r for r in query}
        counts, wait = [], 0.0
        for key in keys:
            row = rows[key]
            fresh = now - row.last_failed_at > FORGET_FAILURES_AFTER
            counts.append(0 if fresh else row.failures)
            if not fresh and row.blocked_until is not None and row.blocked_until > now:
                wait = max(wait, (row.blocked_until - now).total_seconds())
        if wait:
            return max(1, int(wait + 0.999))
        for key, count, free in zip(keys, counts, frees):
            block = block_seconds(count + 1, free)
            Failure.update(failures=count + 1, last_failed_at=now,
                           blocked_until=now + timedelta(seconds=block)).where(Failure.id == rows[key].id).execute()
    return 0


def _reserve_in_redis(redis_client, key_login: str, key_address: str, now: datetime, frees) -> int:
    wait = redis_client.eval(_RESERVE, 2, *_redis_keys(key_login, key_address), now.timestamp(),
                             FORGET_FAILURES_AFTER.total_seconds(), FIRST_BLOCK_S, MAX_BLOCK_S, *frees)
    wait = float(wait.decode() if isinstance(wait, bytes) else wait)
    return max(1, int(wait + 0.999)) if wait > 0 else 0


def succeeded(directory: Directory, login: str, address: str | None, *, redis_client=None, database=None) -> None:
    """Gives back the count of a sign-in whose password was right: the login's failures are
    forgotten, the address's lose this one."""
    key_login, key_address = throttle_key(login, address)
    if redis_client is not None:
        login_key, address_key = _redis_keys(key_login, key_address)
        try:
            pipe = redis_client.pipeline(transaction=True)
            pipe.delete(login_key)
            pipe.hincrby(address_key, "failures", -1)
            pipe.execute()
        except Exception:
            log.warning("sign-in counts: Redis did not answer; this service's table is cleared only")
    Failure = directory.SignInFailure
    with database.atomic():
        Failure.delete().where(Failure.login == key_login, Failure.address == "*").execute()
        Failure.update(failures=Failure.failures - 1).where(Failure.login == "*", Failure.address == key_address,
                                                              Failure.failures > 0).execute()
