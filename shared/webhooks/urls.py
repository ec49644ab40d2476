"""Where a delivery may go: http(s) only, no credentials in the URL, and every address the host
resolves to checked (loopback, private, link-local, multicast, reserved refused unless
`HUIFANG_WEBHOOK_ALLOW_PRIVATE=1`), when an endpoint is added and again before each connection."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.core.errors import InvalidInput


class UnsafeDestination(InvalidInput):
    """A webhook URL is not http(s), or leads to an address that is refused (HTTP 422)."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str) -> Destination:
    """Gives the parts of a webhook URL.

    Raises:
      UnsafeDestination: not http(s), no host, credentials in it, or a bad port.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(f"The URL is malformed: {exc}.", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination("Only http:// and https:// URLs may receive webhooks.", field="url")
    if not parts.hostname:
        raise UnsafeDestination("The URL needs a host.", field="url")
    if parts.username or parts.password:
        raise UnsafeDestination("Put no credentials in the URL; the signature authenticates Huifang.", field="url")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def refused_address(address: str) -> str | None:
    """Gives why an IP address may not receive webhooks (loopback, private ...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for label, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                        ("private", ip.is_private), ("multicast", ip.is_multicast),
                        ("reserved", ip.is_reserved), ("unspecified", ip.is_unspecified)):
        if flag:
            return label
    if not ip.is_global:
        return "not global"
    return None


def resolve(destination: Destination, *, allow_private: bool) -> list[str]:
    """Gives the addresses of the destination's host, every one of them checked.

    Raises:
      UnsafeDestination: the host does not resolve, or one of its addresses is refused.
    """
    try:
        infos = socket.getaddrinfo(destination.host, destination.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeDestination(f"The host {destination.host} does not resolve ({exc}).", field="url") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        for address in addresses:
            why = refused_address(address)
            if why:
                raise UnsafeDestination(
                    f"{destination.host} resolves to {address}, a {why} address; such addresses receive "
                    "webhooks only when HUIFANG_WEBHOOK_ALLOW_PRIVATE=1.", field="url")
    return addresses


def check_url(url: str, *, allow_private: bool) -> str:
    """Gives the URL when it may receive webhooks (resolved and every address checked now).

    Raises:
      UnsafeDestination: naming the field `url` and why.
    """
    if len(url) > 2000:
        raise UnsafeDestination("The URL is longer than 2000 characters.", field="url")
    resolve(parse_url(url), allow_private=allow_private)
    return url


def literal_refused(host: str) -> str | None:
    """Gives why a host written as an IP address may not receive webhooks, or None."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return refused_address(host)
