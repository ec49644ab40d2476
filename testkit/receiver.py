"""A webhook receiver on loopback for the tests and the bench: a real HTTP server in a thread.

Every request's signature is checked with the `standardwebhooks` package (any Standard
Webhooks library must accept what Huifang sends); a request that fails the check is kept in
`bad` and answered 400. `fail_first` answers 500 to that many requests first; `delay` makes
each answer wait.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, *, port: int = 0, fail_first: int = 0, delay: float = 0.0, verify: bool = True):
        self.port = port
        self.secret: str | None = None
        self.fail_first = fail_first
        self.delay = delay
        self.verify = verify
        #: Each request: (webhook-id, status answered, envelope) in arrival order.
        self.requests: list[tuple[str, int, dict]] = []
        #: The envelopes answered 2xx, in arrival order.
        self.received: list[dict] = []
        self.bad: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/huifang"

    def types(self) -> list[str]:
        with self._lock:
            return [e["type"] for e in self.received]

    def of_type(self, event_type: str) -> list[dict]:
        with self._lock:
            return [e for e in self.received if e["type"] == event_type]

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as an ERP's web server would
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver._take(body, {k.lower(): v for k, v in self.headers.items()})
                answer = b'{"ok": true}' if status == 200 else b'{"error": "try again"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def _take(self, body: bytes, headers: dict) -> int:
        if self.verify:
            from standardwebhooks import Webhook

            try:
                Webhook(self.secret).verify(body, headers)
            except Exception as exc:  # a signature any library must accept did not verify
                with self._lock:
                    self.bad.append(f"{headers.get('webhook-id')}: {type(exc).__name__}: {exc}")
                return 400
        envelope = json.loads(body)
        with self._lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                self.requests.append((headers.get("webhook-id"), 500, envelope))
                return 500
            self.requests.append((headers.get("webhook-id"), 200, envelope))
            self.received.append(envelope)
            return 200

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
