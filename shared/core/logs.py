"""Structured JSON logs with the event (or request) id in every line; tokens never logged."""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys

_TOKEN = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_configured = False

#: The id of the event or request being handled, in every log line: the mesh sets it around a
#: message's handling, the web around a request.
current_event_id: contextvars.ContextVar[str] = contextvars.ContextVar("event_id", default="-")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
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


class MessageSummary:
    """What a log line says of a queue message: its actor, id, and for an event envelope its id and
    type; never its body (customer names, phones, complaint texts: personal data stays out of the logs)."""

    __slots__ = ("text",)

    def __init__(self, message):
        parts = [f"message_id={message.message_id}"]
        first = message.args[0] if message.args else None
        if isinstance(first, dict) and "type" in first:
            parts.append(f"event={first.get('id')} type={first.get('type')}")
        elif message.args:
            parts.append(f"{len(message.args)} args")
        self.text = f"{message.actor_name}({', '.join(parts)})"

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


class EnvelopeSummary(MessageSummary):
    """What a log line says of an event envelope: its id and type."""

    def __init__(self, envelope: dict):
        self.text = f"<event {envelope.get('id')} {envelope.get('type')}>"


def _summarised(value):
    try:
        from dramatiq import Message
        from dramatiq.broker import MessageProxy
    except ImportError:  # pragma: no cover - dramatiq is a dependency
        return value
    if isinstance(value, MessageProxy):
        value = value._message
    if isinstance(value, Message):
        return MessageSummary(value)
    if isinstance(value, dict) and "data" in value and "type" in value:
        return EnvelopeSummary(value)  # an event envelope: Dramatiq's actor logs "Received args=%r"
    if isinstance(value, tuple) and any(isinstance(v, dict) for v in value):
        return tuple(_summarised(v) for v in value)
    return value


def install_message_redaction() -> None:
    """Makes every log record of this process (Dramatiq's own too: "Failed to process message %s")
    show a queue message as its MessageSummary, whatever logger or handler writes it. Idempotent."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_huifang_redacts", False):
        return

    def factory(*args, **kwargs):
        record = current(*args, **kwargs)
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_summarised(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _summarised(v) for k, v in record.args.items()}
        record.msg = _summarised(record.msg)
        return record

    factory._huifang_redacts = True
    logging.setLogRecordFactory(factory)


def configure_logging(level: int = logging.INFO) -> None:
    """Sends our logs to stderr as JSON lines, once per process (queue messages summarised, never
    their bodies: install_message_redaction)."""
    global _configured
    install_message_redaction()
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
