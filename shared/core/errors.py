"""One exception root for all of Huifang: every error the project raises on purpose.

Each class carries the HTTP status and title it becomes when it reaches a route; the shared
web code (`shared.web.app`) turns any `HuifangError` into problem+json with that status, the
message as `detail` and, when the error names a field, `errors` by field. Services define
their own subclasses in `services/<name>/errors.py` (and `domain/errors.py` for the pure core).
"""
from __future__ import annotations


class HuifangError(Exception):
    """Root of every error Huifang raises on purpose.

    Parameters:
      message: a sentence a user can act on.
      field: the input at fault, dotted (``data.customer.id``), or None.
      errors: every bad field with its messages (marshmallow's shape), or None.
    """

    #: The HTTP status this error becomes at a route (500: a fault of ours, logged).
    status: int = 500
    #: The problem+json title.
    title: str = "Internal Server Error"

    def __init__(self, message: str = "", *, field: str | None = None, errors: dict | None = None):
        self.message = message
        self.field = field
        self.errors = errors
        super().__init__(f"{field}: {message}" if field and message else message or field or "")

    def problem_errors(self) -> dict | None:
        """Gives the `errors` member of the problem+json answer (by field), or None."""
        if self.errors:
            return self.errors
        if self.field:
            return {self.field: [self.message or str(self)]}
        return None


class BadRequest(HuifangError):
    """The request cannot be read at all (HTTP 400)."""

    status, title = 400, "Bad Request"


class Unauthorized(HuifangError):
    """No valid credentials (HTTP 401)."""

    status, title = 401, "Unauthorized"


class Forbidden(HuifangError):
    """The caller's role or organisation may not do this (HTTP 403)."""

    status, title = 403, "Forbidden"


class NotFound(HuifangError):
    """No such thing in the caller's organisation (HTTP 404)."""

    status, title = 404, "Not Found"


class Conflict(HuifangError):
    """The thing is not in a state that allows this (HTTP 409)."""

    status, title = 409, "Conflict"


class InvalidInput(HuifangError):
    """A value is missing or malformed (HTTP 422); `field` or `errors` names it."""

    status, title = 422, "Unprocessable Entity"


class TooManyRequests(HuifangError):
    """The caller asked too often (HTTP 429)."""

    status, title = 429, "Too Many Requests"


class Unavailable(HuifangError):
    """A dependency (mail server, broker) is not reachable now (HTTP 503); try again later."""

    status, title = 503, "Service Unavailable"


class ConfigurationError(HuifangError):
    """A setting or data file is wrong; the message names the setting and what to do."""

    title = "Configuration error"

    def __init__(self, field: str, message: str, *, errors: dict | None = None):
        super().__init__(message, field=field, errors=errors)


class InvalidEvent(HuifangError):
    """An event envelope or its data failed validation.

    `errors` maps each bad field (dotted, e.g. ``data.customer.id``) to its messages.
    """

    status = 422

    def __init__(self, errors: dict, title: str = "Invalid event"):
        super().__init__(f"{title}: {errors}", errors=errors)
        self.title = title
