"""The scheduler domain's exception root, under the project's one root (shared.core.errors)."""
from shared.core.errors import ConfigurationError, InvalidInput


class SchedulerDomainError(InvalidInput):
    """A scheduling rule cannot be applied to the input (HTTP 422); ``field`` names the input at fault, if any."""


class RuleFileError(SchedulerDomainError):
    """An organisation's rule file is malformed; ``field`` is the dotted path of the bad value.

    A fault of the organisation's data, not of the request: HTTP 500 (logged), like a
    `shared.core.errors.ConfigurationError`.
    """

    status, title = ConfigurationError.status, ConfigurationError.title


class PolicyError(RuleFileError):
    """A callback policy (回访策略) is malformed; ``field`` is its dotted path."""
