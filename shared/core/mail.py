"""Outgoing mail: parse ``HUIFANG_SMTP_URL``, build a message, send it or drop it as .eml.

``HUIFANG_SMTP_URL`` (CONTRACT.md) takes three forms:

- ``smtp://host:port``: plain SMTP (credentials optional), default port 25;
- ``smtp+starttls://user:pass@host:587``: SMTP upgraded with STARTTLS, default port 587;
- ``smtps://user:pass@host:465``: SMTP over TLS from the first byte, default port 465.

User name and password are percent-decoded (write ``@`` as ``%40``). When the URL is
unset, :func:`send_message` writes the message as a ``.eml`` file into an outbox directory
instead. The password never appears in a log line, an error or a ``repr``.
"""

from __future__ import annotations

import email.policy
import os
import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from shared.core.errors import HuifangError
from shared.core.folders import private_folder

logger = logging.getLogger(__name__)

#: The setting the SMTP URL comes from, named in every error about it.
SETTING = "HUIFANG_SMTP_URL"

#: Seconds to wait for the SMTP server to connect or answer.
SMTP_TIMEOUT_S = 10.0

#: Scheme -> (security, default port).
SCHEMES = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("ssl", 465),
}

# Bodies are encoded with the usual 76-character lines (RFC 2045); headers are written
# unfolded up to 998 characters (RFC 5322) so that a Chinese attachment name stays one
# ``filename*=utf-8''...`` parameter (RFC 2231) rather than ``filename*0*``/``*1*``
# continuations, which several mail clients do not join.
_CONTENT_POLICY = email.policy.SMTP
#: The policy messages are written and sent with.
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


class MailError(HuifangError):
    """Mail could not be built or sent (root of this module's errors)."""

    status, title = 503, "Mail unavailable"


class InvalidSmtpUrl(MailError, ValueError):
    """``HUIFANG_SMTP_URL`` is malformed; the message says how to fix it."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail, from ``HUIFANG_SMTP_URL``."""

    security: str  # "plain", "starttls" or "ssl"
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def redacted_url(self) -> str:
        """Give the URL with the password replaced by ``***``, fit for a log line."""
        scheme = next(s for s, (security, _) in SCHEMES.items() if security == self.security)
        userinfo = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{userinfo}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpSettings:
    """Give the SMTP settings of ``url`` (one of the three forms of the module docstring).

    Raises:
        InvalidSmtpUrl: the scheme, host or port is wrong; the message names
            HUIFANG_SMTP_URL and never repeats the password.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidSmtpUrl(f"{SETTING} is empty; use smtp://host:port, "
                             "smtp+starttls://user:pass@host:587 or smtps://user:pass@host:465")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidSmtpUrl(f"{SETTING} has an invalid port; write it as host:587") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise InvalidSmtpUrl(
            f"{SETTING} scheme {scheme or '(none)'!r} is not one of {', '.join(SCHEMES)}"
        )
    security, default_port = SCHEMES[scheme]
    if not parts.hostname:
        raise InvalidSmtpUrl(f"{SETTING} has no host; use {scheme}://host:{default_port}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidSmtpUrl(f"{SETTING} must not carry a path or query; use {scheme}://host:port")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise InvalidSmtpUrl(f"{SETTING} has a password but no user name")
    return SmtpSettings(
        security=security,
        host=parts.hostname,
        port=port or default_port,
        username=username,
        password=password,
    )


def build_message(
    *,
    sender: str,
    to: list[str],
    subject: str,
    body_text: str,
    attachments: list[tuple[str, bytes, str]] = (),
) -> EmailMessage:
    """Give a MIME message with a UTF-8 text body and the attachments.

    Parameters:
        attachments: (file name, content, MIME type such as ``application/pdf``); a
            non-ASCII file name is encoded per RFC 2231 (``filename*=utf-8''...``).

    Raises:
        MailError: no recipient, or a MIME type without a slash.
    """
    recipients = [address.strip() for address in to if address and address.strip()]
    if not recipients:
        raise MailError("a message needs at least one recipient")
    message = EmailMessage(policy=_CONTENT_POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=True)
    domain = sender.rpartition("@")[2].strip(" >") or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body_text, charset="utf-8", cte="base64")
    for filename, content, mimetype in attachments:
        maintype, slash, subtype = mimetype.partition("/")
        if not slash or not maintype or not subtype:
            raise MailError(f"attachment {filename!r}: MIME type {mimetype!r} is not like type/subtype")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    message.policy = MAIL_POLICY
    return message


def send_message(
    message: EmailMessage,
    *,
    smtp_url: str | None,
    outbox_dir: Path,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = SMTP_TIMEOUT_S,
) -> str:
    """Give where the message went: the ``.eml`` path, or the Message-ID once sent by SMTP.

    With no ``smtp_url`` the message is written to ``<outbox_dir>/<timestamp>-<uuid>.eml``.
    Otherwise it goes to the server with STARTTLS, TLS and login as the URL says.

    Parameters:
        ssl_context: for STARTTLS and smtps; default verifies the server's certificate.

    Raises:
        InvalidSmtpUrl: the URL is malformed.
        MailError: the server refused the login or the message, or could not be reached.
    """
    if not smtp_url:
        return str(_write_eml(message, Path(outbox_dir)))
    settings = parse_smtp_url(smtp_url)
    context = ssl_context or ssl.create_default_context()
    recipients = message.get_all("To", [])
    try:
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with client:
            client.ehlo()
            if settings.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if settings.username:
                client.login(settings.username, settings.password or "")
            refused = client.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise MailError(f"{settings.redacted_url()} refused the login of {settings.username!r} "
                        f"({error.smtp_code}); check the user and password in {SETTING}") from None
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"could not send mail through {settings.redacted_url()}: "
                        f"{type(error).__name__}: {error}") from None
    message_id = message.get("Message-ID", "")
    if refused:
        logger.warning("mail %s refused for %s by %s", message_id, sorted(refused),
                       settings.redacted_url())
    logger.info("mail %s sent to %s through %s", message_id, recipients, settings.redacted_url())
    return message_id


def _write_eml(message: EmailMessage, outbox_dir: Path) -> Path:
    private_folder(outbox_dir)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = outbox_dir / f"{stamp}-{uuid.uuid4().hex}.eml"
    temporary = path.with_suffix(".eml.tmp")
    # Written aside then renamed, so a reader of the outbox never sees half a message; 0600:
    # a mail holds customers' names and complaints.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(message.as_bytes(policy=MAIL_POLICY))
    temporary.replace(path)
    logger.info("mail %s written to %s", message.get("Message-ID", ""), path)
    return path


@dataclass
class Mailer:
    """Sends mail the way the settings say (SMTP, or .eml files when no URL is set).

    Every service has one (`Service.mailer`); tests put a fake with the same `send` in its
    place (testkit/doubles.py), rather than patching this module.
    """

    smtp_url: str | None
    outbox_dir: Path
    sender: str = "huifang@localhost"
    #: Built from settings by `Service.bind` (a test's own mailer is left in place).
    from_settings: bool = False

    @classmethod
    def from_settings(cls, settings) -> "Mailer":
        return cls(smtp_url=settings.smtp_url, outbox_dir=Path(settings.var_dir) / "outbox",
                   sender=settings.mail_from, from_settings=True)

    def send(self, message: EmailMessage) -> str:
        """Gives where the message went (see `send_message`).

        Raises:
          MailError: it could not be sent this time.
        """
        return send_message(message, smtp_url=self.smtp_url, outbox_dir=self.outbox_dir)
