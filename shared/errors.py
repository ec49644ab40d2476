"""One exception root for the shared library."""


class HuifangError(Exception):
    """Root of every error Huifang raises on purpose."""


class ConfigurationError(HuifangError):
    """A setting or data file is wrong; the message names the setting and what to do."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class InvalidEvent(HuifangError):
    """An event envelope or its data failed validation.

    `errors` maps each bad field (dotted, e.g. ``data.customer.id``) to its messages.
    """

    def __init__(self, errors: dict, title: str = "Invalid event"):
        self.errors = errors
        self.title = title
        super().__init__(f"{title}: {errors}")
