"""Where a delivery may go: http(s) only, no credentials, spaces or control characters in the URL
(a non-ASCII host in its IDNA form, a non-ASCII path percent-encoded), and every address the host
resolves to checked (loopback, private, link-local, multicast, reserved, and IPv6 addresses that
carry such an IPv4 one, refused), when an endpoint is added and again before each connection.
Private networks are allowed to the organisations the installation names them for
(`HUIFANG_WEBHOOK_PRIVATE_NETWORKS`), or to all with `HUIFANG_WEBHOOK_ALLOW_PRIVATE=1` (tests)."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

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
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        # a CR/LF would break the mail telling the admins of a disabled endpoint, and the request line
        raise UnsafeDestination("The URL may hold no spaces or control characters (write a space as %20).",
                                field="url")
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
    host = parts.hostname
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise UnsafeDestination(f"The host {host} is not a valid international domain name.", field="url") from None
    # the request line is ASCII: a non-ASCII path or query is sent percent-encoded (UTF-8)
    path = quote(parts.path or "/", safe=PATH_SAFE) + (f"?{quote(parts.query, safe=PATH_SAFE + '?')}"
                                                       if parts.query else "")
    return Destination(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


#: What a path keeps as written (the reserved characters, and % of what is encoded already).
PATH_SAFE = "/%:@!$&'()*+,;=~"
#: IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052).
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip) -> ipaddress.IPv4Address | None:
    """Gives the IPv4 address an IPv6 one carries (mapped, 6to4, Teredo's client, NAT64), or None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refused_address(address: str) -> str | None:
    """Gives why an IP address may not receive webhooks (loopback, private ...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        inner = refused_address(str(embedded))
        if inner or ip.ipv4_mapped is not None:
            return inner
    for label, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                        ("private", ip.is_private), ("multicast", ip.is_multicast),
                        ("reserved", ip.is_reserved), ("unspecified", ip.is_unspecified)):
        if flag:
            return label
    if not ip.is_global:
        return "not global"
    return None


def in_networks(address: str, networks) -> bool:
    """Gives whether `address` (or the IPv4 address it carries) is in one of `networks`."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates = [ip] + [e for e in (_embedded_ipv4(ip),) if e is not None]
    return any(c in network for c in candidates for network in networks if c.version == network.version)


def private_networks_of(settings, organization: str | None) -> tuple:
    """Gives the private networks the installation lets `organization`'s endpoints reach."""
    return tuple(settings.webhook_private_networks.get(organization, ())) if organization else ()


def resolve(destination: Destination, *, allow_private: bool, private_networks=()) -> list[str]:
    """Gives the addresses of the destination's host, every one of them checked (a refused one
    is allowed when it is in `private_networks`, the organisation's own).

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
            if why and not in_networks(address, private_networks):
                raise UnsafeDestination(
                    f"{destination.host} resolves to {address}, a {why} address; such addresses receive "
                    "webhooks only in the networks the installation lists for the organisation "
                    "(HUIFANG_WEBHOOK_PRIVATE_NETWORKS), or with HUIFANG_WEBHOOK_ALLOW_PRIVATE=1.", field="url")
    return addresses


def check_url(url: str, *, allow_private: bool, private_networks=()) -> str:
    """Gives the URL when it may receive webhooks (resolved and every address checked now).

    Raises:
      UnsafeDestination: naming the field `url` and why.
    """
    if len(url) > 2000:
        raise UnsafeDestination("The URL is longer than 2000 characters.", field="url")
    resolve(parse_url(url), allow_private=allow_private, private_networks=private_networks)
    return url


def literal_refused(host: str, private_networks=()) -> str | None:
    """Gives why a host written as an IP address may not receive webhooks, or None."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return None if in_networks(host, private_networks) else refused_address(host)
