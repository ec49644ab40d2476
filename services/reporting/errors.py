"""The reporting service's errors, each under a shared.core.errors class (its HTTP status).

The pure core has its own: `domain.kpi.KpiError` and `domain.policy.PolicyError` (both 422).
"""
from __future__ import annotations

from shared.core.errors import Forbidden, HuifangError, Unavailable


class RenderError(HuifangError):
    """The report could not be rendered (a fault of ours: 500)."""


class URLRefused(Forbidden):
    """WeasyPrint asked for a resource outside the templates directory."""


class SendFailed(Unavailable):
    """The mail server refused the report or could not be reached; the send actor retries."""
