"""The scheduler domain's exception root."""


class SchedulerDomainError(ValueError):
    """A scheduling rule cannot be applied; ``field`` names the input at fault, if any."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class PolicyError(SchedulerDomainError):
    """A callback policy (回访策略) is malformed; ``field`` is its dotted path."""
