"""One exception root for the complaints domain.

Every refusal carries a sentence a user can act on; `field` names the input at fault
when there is one (for problem+json ``errors``).
"""
from __future__ import annotations

from shared.errors import HuifangError


class ComplaintError(HuifangError):
    """Root of every error the complaints domain raises on purpose.

    Parameters:
      message: a sentence a user can act on.
      field: the input at fault, dotted (``levels.1.role``), or None.
    """

    def __init__(self, message: str, *, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class Forbidden(ComplaintError):
    """The actor's role may not do this at the complaint's current level (HTTP 403)."""


class InvalidTransition(ComplaintError):
    """The complaint is not in a state that allows this step (HTTP 409)."""


class InvalidInput(ComplaintError):
    """A required value is missing or malformed (HTTP 422); `field` names it."""


class InvalidData(ComplaintError):
    """A chain or policy data file is invalid; `field` names the bad entry.

    `errors` holds every bad field with its messages, as marshmallow reported them.
    """

    def __init__(self, message: str, *, field: str | None = None, errors: dict | None = None):
        self.errors = errors or {}
        super().__init__(message, field=field)
