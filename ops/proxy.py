"""The nginx site that serves the three services under one host name with TLS.

    make proxy-config HOST=huifang.example [CERT=... KEY=...] [SCHEDULER=10.0.0.5:8101 ...] [OUT=file]

renders deploy/nginx.conf.in (and one deploy/nginx-location.conf.in per service): each service
under its own path prefix (`/scheduler/`, `/complaints/`, `/reporting/`), the prefix taken off
and passed on as `X-Forwarded-Prefix`, with `X-Forwarded-For`, `-Proto`, `-Host` and `-Port`;
the services believe them with `HUIFANG_TRUSTED_PROXIES=1` (shared/web/app.py, werkzeug's ProxyFix).
Python's standard library only, like ops/deploy.py.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from ops.host import render_template
from shared.core.settings import SERVICES

HOST_PATTERN = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
UPSTREAM_PATTERN = re.compile(r"^(unix:/[^\s;{}]+|[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5})$")


def origin(host: str, https_listen: str) -> str:
    """Gives the address people open: https://host, with the port when it is not 443."""
    port = https_listen.rsplit(":", 1)[-1]
    return f"https://{host}" if port == "443" else f"https://{host}:{port}"


def render_site(*, host: str, cert: str | None = None, key: str | None = None, upstreams: dict | None = None,
                http_listen: str = "80", https_listen: str = "443") -> str:
    """Gives the nginx site configuration.

    Raises:
      ValueError: naming the option whose value cannot go into the configuration.
    """
    if not host or not HOST_PATTERN.match(host):
        raise ValueError(f"HOST must be a host name like huifang.example, got {host!r}")
    upstreams = {name: f"127.0.0.1:{port}" for name, port in SERVICES.items()} | (upstreams or {})
    for name, address in upstreams.items():
        if name not in SERVICES:
            raise ValueError(f"unknown service {name!r}; choose from {', '.join(SERVICES)}")
        if not UPSTREAM_PATTERN.match(address):
            raise ValueError(f"{name.upper()} must be host:port (or unix:/path), got {address!r}")
    for option, value in (("HTTP_LISTEN", http_listen), ("HTTPS_LISTEN", https_listen)):
        if not re.fullmatch(r"([0-9.]+:|\[[0-9a-fA-F:]+\]:)?[0-9]{1,5}", value):
            raise ValueError(f"{option} must be a port or address:port, got {value!r}")
    cert = cert or f"/etc/ssl/huifang/{host}.crt"
    key = key or f"/etc/ssl/huifang/{host}.key"
    for option, value in (("CERT", cert), ("KEY", key)):
        if not value.startswith("/") or re.search(r"[\s;{}]", value):
            raise ValueError(f"{option} must be an absolute path without spaces, got {value!r}")
    fields = {"host": host, "origin": origin(host, https_listen), "cert": cert, "key": key,
              "http_listen": http_listen, "https_listen": https_listen}
    locations = "".join(render_template("nginx-location.conf.in", {**fields, "service": name}) for name in SERVICES)
    return render_template("nginx.conf.in", {**fields, **{name: upstreams[name] for name in SERVICES},
                                     "locations": locations.rstrip("\n")})


def cmd_proxy_config(args) -> int:
    """Prints (or writes to --out) the nginx site of the three services."""
    try:
        upstreams = dict(item.split("=", 1) for item in args.upstream)
        text = render_site(host=args.host, cert=args.cert, key=args.key, upstreams=upstreams,
                           http_listen=args.http_listen, https_listen=args.https_listen)
    except ValueError as exc:
        print(f"huifang: {exc}", file=sys.stderr)
        return 2
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"huifang: wrote {args.out}; check it with nginx -t", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `proxy-config` and the function that runs it."""
    parser.add_argument("--host", required=True, help="the host name people open")
    parser.add_argument("--cert", help="TLS certificate (default /etc/ssl/huifang/<host>.crt)")
    parser.add_argument("--key", help="its private key (default /etc/ssl/huifang/<host>.key)")
    parser.add_argument("--upstream", action="append", default=[], metavar="SERVICE=HOST:PORT",
                        help="where a service's web process listens (default 127.0.0.1:<its port>)")
    parser.add_argument("--http-listen", default="80")
    parser.add_argument("--https-listen", default="443")
    parser.add_argument("--out", help="write here (default: print)")
    parser.set_defaults(func=cmd_proxy_config)
