"""The errors of the complaints service: one root, `ComplaintsError`, each error also under the
shared.core.errors class that says its HTTP status.

The pure domain raises these too (its refusals: Forbidden, InvalidTransition, InvalidInput,
InvalidData); every refusal carries a sentence a user can act on, and `field` names the input
at fault when there is one (for problem+json ``errors``).
"""
from __future__ import annotations

from shared.core import errors

__all__ = ["ComplaintsError", "ConcurrentUpdate", "Duplicate", "Forbidden", "InvalidData", "InvalidInput",
           "InvalidTransition", "NotFound"]


class ComplaintsError(errors.HuifangError):
    """Root of every error the complaints service raises on purpose."""


class Forbidden(errors.Forbidden, ComplaintsError):
    """The actor's role may not do this at the complaint's current level (HTTP 403)."""


class InvalidTransition(errors.Conflict, ComplaintsError):
    """The complaint is not in a state that allows this step (HTTP 409)."""


class InvalidInput(errors.InvalidInput, ComplaintsError):
    """A required value is missing or malformed (HTTP 422); `field` names it."""


class InvalidData(ComplaintsError):
    """A chain, policy or users data file is invalid (a fault of the installation, HTTP 500);
    `field` names the bad entry, `errors` holds every bad field with its messages."""

    status, title = errors.ConfigurationError.status, errors.ConfigurationError.title


class NotFound(errors.NotFound, ComplaintsError):
    """No complaint with this id in the caller's organisation (HTTP 404)."""


class ConcurrentUpdate(InvalidTransition):
    """The complaint changed between reading and writing it (HTTP 409: read it again)."""


class Duplicate(InvalidTransition):
    """A complaint with this id already exists in the organisation (HTTP 409)."""
