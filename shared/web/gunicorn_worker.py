"""gunicorn's threaded worker, answering the requests gunicorn refuses before the app sees them
(a request line or headers too long, a malformed request line) in the API's shape:
problem+json (shared/web/problems.py) instead of gunicorn's own HTML page.

`shared.web.gunicorn_conf` names it (`worker_class`), for the deployed units and the Procfile.
"""
from __future__ import annotations

import json

from gunicorn import util
from gunicorn.http import errors
from gunicorn.workers.gthread import ThreadWorker

#: The refusals answered as problem+json: status, title and what to do about it.
REFUSALS = (
    (errors.LimitRequestLine, 414, "URI Too Long",
     "The request line is longer than the server takes: shorten the path or the query."),
    (errors.LimitRequestHeaders, 431, "Request Header Fields Too Large",
     "The request's headers are too many or too long."),
    ((errors.InvalidRequestLine, errors.InvalidRequestMethod, errors.InvalidHTTPVersion,
      errors.InvalidHeader, errors.InvalidHeaderName), 400, "Bad Request", "The request is not valid HTTP/1.1."),
)


def refusal(exc) -> bytes | None:
    """Gives the whole HTTP answer to a request gunicorn refused with `exc`, or None for another error."""
    for kinds, status, title, detail in REFUSALS:
        if isinstance(exc, kinds):
            body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
            head = (f"HTTP/1.1 {status} {title}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
                    f"Content-Length: {len(body)}\r\nX-Content-Type-Options: nosniff\r\n\r\n")
            return head.encode("latin-1") + body
    return None


class ProblemThreadWorker(ThreadWorker):
    """gunicorn's `gthread` worker whose own refusals are problem+json."""

    def handle_error(self, req, client, addr, exc):
        answer = refusal(exc)
        if answer is None:
            return super().handle_error(req, client, addr, exc)
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, answer)
        except Exception:
            self.log.debug("Failed to send error message.")
        return None
