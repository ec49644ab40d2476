"""Passwords of the user directory: scrypt (memory-hard, in the standard library), the hash string
carrying its parameters and salt: `scrypt$<n>$<r>$<p>$<salt>$<hash>` (base64)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from shared.core.errors import InvalidInput

#: scrypt cost: 2**15 blocks of 128 * r bytes = 32 MiB of memory and ~0.1 s per hash.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAXMEM = 256 * 1024 * 1024
_HASH_BYTES = 32


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """Gives the scrypt hash string of `password` (parameters and a new salt inside)."""
    if not password:
        raise InvalidInput("A password may not be empty.", field="password")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM,
                            dklen=_HASH_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, hashed: str | None) -> bool:
    """Gives whether `password` matches `hashed`; False for no hash or a malformed one."""
    try:
        scheme, n, r, p, salt, digest = (hashed or "").split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                                maxmem=_SCRYPT_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


#: Checked against when a login is unknown, so a wrong login costs as long as a wrong password.
_DUMMY_HASH = None


def burn_time(password: str) -> None:
    """Spends the time of one password check (for an unknown login)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(12))
    verify_password(password, _DUMMY_HASH)


def password_fingerprint(hashed: str | None) -> str:
    """Gives a short digest of a password hash: a session remembers it, so changing the
    password ends the sessions signed in with the old one."""
    return hashlib.sha256((hashed or "").encode("utf-8")).hexdigest()[:16]
