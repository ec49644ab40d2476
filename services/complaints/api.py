"""HTTP routes of this service."""

BLUEPRINTS: list = []
