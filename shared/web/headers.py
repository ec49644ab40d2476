"""The security headers of every answer: what a browser may load and run on a page, that no other
site may frame it, that a type is never guessed, and that no address leaves the installation.

The pages load only their own files (the stylesheets, htmx and the services' scripts are
same-origin, vendored under /static/), run no inline script and set no inline style, so the
policy needs no 'unsafe-inline'. No `form-action`: in a development install the services are
origins of their own (one port each), and the server's CSRF check already refuses a foreign form. The one exception is the API reference (`/api/v1/docs`):
flask-smorest's Swagger UI page starts with one inline script, allowed by its hash, and Swagger
UI styles its elements inline.
"""
from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, request

#: The Content-Security-Policy of every answer but the API reference.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
               "frame-ancestors 'none'")
#: The same for Swagger UI's page (its inline start script is added by hash).
DOCS_POLICY = ("default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
               "frame-ancestors 'none'")
#: Headers of every answer.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Links between the services (other ports or hosts) carry no path or query of ours.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def init_app(app: Flask) -> None:
    """Adds the security headers to every answer of `app`."""

    @app.after_request
    def _security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = policy_of(response)
        return response


def policy_of(response) -> str:
    """Gives the Content-Security-Policy of `response`: the pages' one, or the API reference's
    with the hash of each of its inline scripts."""
    if not (request.path.endswith("/api/v1/docs") and response.mimetype == "text/html"
            and not response.direct_passthrough):
        return PAGE_POLICY
    hashes = " ".join("'sha256-%s'" % base64.b64encode(hashlib.sha256(script).digest()).decode()
                      for script in _INLINE_SCRIPT.findall(response.get_data()))
    return DOCS_POLICY.format(hashes=hashes)
