"""One function per event type: load, decide (domain), store, emit."""

HANDLERS: dict = {}
