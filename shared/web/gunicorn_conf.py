"""gunicorn's settings module of a deployed web unit (`gunicorn -c python:shared.web.gunicorn_conf`).

`child_exit`: when a web process ends (a crash, a max-requests restart, a reload), its live
gauges are dropped from the service's `web` metrics subfolder (shared/mesh/metrics.py), so a
`livesum` gauge does not keep the dead process's last value. `worker_class`: gunicorn's own
refusals answered as problem+json (shared/web/gunicorn_worker.py). The command line sets the rest.
"""
from __future__ import annotations

import re
from shared.mesh.metrics import mark_dead
from shared.core.settings import load_settings


#: The threaded worker whose own refusals (a request line too long ...) are problem+json.
worker_class = "shared.web.gunicorn_worker.ProblemThreadWorker"


def service_of(app_uri: str | None) -> str | None:
    """Gives the service of a `services.<name>.app:create_app()` application, or None."""
    found = re.match(r"services\.(\w+)\.app\b", app_uri or "")
    return found.group(1) if found else None


def child_exit(server, worker) -> None:
    name = service_of(getattr(server.app, "app_uri", None))
    if name is None:
        return
    settings = load_settings()
    mark_dead(settings, name, "web", worker.pid)
