"""The reporting service's errors: one root, `ReportingError`, each error also under the
shared.core.errors class that says its HTTP status. The pure domain raises these too
(KpiError, PolicyError)."""
from __future__ import annotations

from shared.core.errors import Forbidden, HuifangError, InvalidInput, Unavailable


class ReportingError(HuifangError):
    """Root of every error the reporting service raises on purpose."""


class KpiError(InvalidInput, ReportingError):
    """Bad input to a KPI function; ``field`` names the argument at fault."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message, field=field_name)


class PolicyError(InvalidInput, ReportingError):
    """A reporting data file is wrong; `field` names the bad entry."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)


class RenderError(ReportingError):
    """The report could not be rendered (a fault of ours: 500)."""


class URLRefused(Forbidden, ReportingError):
    """WeasyPrint asked for a resource outside the templates directory."""


class SendFailed(Unavailable, ReportingError):
    """The mail server refused the report or could not be reached; the send actor retries."""
