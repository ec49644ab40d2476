"""One exception root for the complaints domain, each refusal under the shared class that
says its HTTP status (shared.core.errors).

Every refusal carries a sentence a user can act on; `field` names the input at fault
when there is one (for problem+json ``errors``).
"""
from __future__ import annotations

from shared.core import errors


class ComplaintError(errors.HuifangError):
    """Root of every error the complaints service raises on purpose."""


class Forbidden(errors.Forbidden, ComplaintError):
    """The actor's role may not do this at the complaint's current level (HTTP 403)."""


class InvalidTransition(errors.Conflict, ComplaintError):
    """The complaint is not in a state that allows this step (HTTP 409)."""


class InvalidInput(errors.InvalidInput, ComplaintError):
    """A required value is missing or malformed (HTTP 422); `field` names it."""


class InvalidData(ComplaintError):
    """A chain, policy or users data file is invalid (a fault of the installation, HTTP 500);
    `field` names the bad entry, `errors` holds every bad field with its messages."""

    status, title = errors.ConfigurationError.status, errors.ConfigurationError.title
