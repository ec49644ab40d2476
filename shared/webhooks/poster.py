"""Posting: one signed body to a receiver, on a connection to the address that was checked (no
DNS rebinding), no redirects followed, short timeouts, the answer read up to ANSWER_LIMIT bytes."""
from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from shared.webhooks.urls import Destination, UnsafeDestination, parse_url, resolve

#: Seconds to connect, and to wait for each read of the answer.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0
#: Bytes of an answer read (and kept in the log); a longer answer closes the connection.
ANSWER_LIMIT = 1024
#: How long (s) a resolved host's checked addresses are reused.
RESOLVE_TTL_S = 30.0


@dataclass(frozen=True)
class Answer:
    """How one POST went: `ok` for a 2xx status."""

    status: int | None
    latency_ms: int
    answer: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to the address that was checked, not to whatever the host resolves
    to by the time it connects (no DNS rebinding); Host header and TLS name stay the host's."""

    def __init__(self, destination: Destination, address: str, context: ssl.SSLContext | None):
        super().__init__(destination.host, destination.port, timeout=READ_TIMEOUT_S)
        self._address = address
        self._context = context

    def connect(self):
        sock = socket.create_connection((self._address, self.port), timeout=CONNECT_TIMEOUT_S)
        sock.settimeout(READ_TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._context is not None:
            sock = self._context.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


class Poster:
    """Posts signed bodies to webhook URLs, keeping one connection alive (one per thread)."""

    def __init__(self, *, allow_private: bool, private_networks=()):
        self.allow_private = allow_private
        #: The private networks the endpoint's organisation may reach (HUIFANG_WEBHOOK_PRIVATE_NETWORKS).
        self.private_networks = tuple(private_networks)
        self._connection: _PinnedConnection | None = None
        self._key = None
        self._resolved: dict[tuple, tuple[float, list[str]]] = {}
        self._tls: ssl.SSLContext | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection, self._key = None, None

    def _addresses(self, destination: Destination) -> list[str]:
        key = (destination.host, destination.port)
        cached = self._resolved.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        addresses = resolve(destination, allow_private=self.allow_private, private_networks=self.private_networks)
        self._resolved[key] = (time.monotonic() + RESOLVE_TTL_S, addresses)
        return addresses

    def post(self, url: str, body: bytes, headers: dict) -> Answer:
        """Gives how the POST of `body` to `url` went; never raises for the receiver's faults."""
        started = time.perf_counter()
        try:
            destination = parse_url(url)
            addresses = self._addresses(destination)
        except UnsafeDestination as exc:
            self.close()
            return Answer(None, 0, error=f"refused: {exc.message}")
        key = (destination.scheme, destination.host, destination.port, addresses[0])
        for reuse in (True, False):
            fresh = self._connection is None or self._key != key or not reuse
            if fresh:
                self.close()
                if destination.scheme == "https" and self._tls is None:
                    self._tls = ssl.create_default_context()
                self._connection = _PinnedConnection(destination, addresses[0],
                                                     self._tls if destination.scheme == "https" else None)
                self._key = key
            try:
                self._connection.request("POST", destination.path, body=body, headers=headers)
                response = self._connection.getresponse()
                text = response.read(ANSWER_LIMIT)
                if not response.isclosed() or response.will_close:
                    self.close()  # an answer longer than we read, or the server closes: do not reuse
                return Answer(response.status, _ms(started), text.decode("utf-8", "replace"))
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if not fresh:
                    continue  # the kept-alive connection was closed by the server: once more, anew
                return Answer(None, _ms(started), error=f"{type(exc).__name__}: {exc}")
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                kind = "timeout" if isinstance(exc, (socket.timeout, TimeoutError)) else type(exc).__name__
                return Answer(None, _ms(started), error=f"{kind}: {exc}"[:500])
        return Answer(None, _ms(started), error="connection closed")  # not reached


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
