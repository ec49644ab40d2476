"""Structured JSON logs with the event (or request) id in every line; tokens never logged."""
from __future__ import annotations

import json
import logging
import re
import sys

_TOKEN = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_configured = False


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from .service import current_event_id

        message = _TOKEN.sub(r"\1[redacted]", record.getMessage())
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "event_id": current_event_id.get(),
            "message": message,
        }
        if record.exc_info:
            entry["exc"] = _TOKEN.sub(r"\1[redacted]", self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """Sends our logs to stderr as JSON lines, once per process."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("shared", "services"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    _configured = True
