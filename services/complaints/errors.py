"""The errors of the complaints service, each under a shared.core.errors class (its HTTP status).

The domain's refusals (`domain/errors.py`) are here too, so the service has one place to
import its errors from.
"""
from __future__ import annotations

from shared.core import errors

from .domain.errors import ComplaintError, Forbidden, InvalidData, InvalidInput, InvalidTransition

__all__ = ["ComplaintError", "ConcurrentUpdate", "Duplicate", "Forbidden", "InvalidData", "InvalidInput",
           "InvalidTransition", "NotFound"]


class NotFound(errors.NotFound, ComplaintError):
    """No complaint with this id in the caller's organisation (HTTP 404)."""


class ConcurrentUpdate(InvalidTransition):
    """The complaint changed between reading and writing it (HTTP 409: read it again)."""


class Duplicate(InvalidTransition):
    """A complaint with this id already exists in the organisation (HTTP 409)."""
