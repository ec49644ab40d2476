"""The settings list: every environment variable Huifang reads, with its default and meaning.

ops/deploy.py writes each deployed service's environment file from it, with Python's standard
library alone (this module and what it imports need nothing else). Reading and checking the
values: shared/core/settings.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.core.settings import SERVICES


@dataclass(frozen=True)
class Setting:
    """One environment variable Huifang reads: its name, its default as written in an
    environment file ("" when unset), what it means, and whether it is a secret an installation
    generates once (deploy writes these; ops/deploy.py)."""

    name: str
    default: str
    meaning: str
    secret: bool = False


def setting_list() -> list[Setting]:
    """Gives every setting `load_settings` reads, in the order an environment file lists them.

    ops/deploy.py writes /etc/huifang/<service>.env from it; tests/integration/test_deploy.py
    fails when `load_settings` reads a variable this list lacks.
    """
    items = [
        Setting("HUIFANG_BROKER_URL", "redis://127.0.0.1:6379/0",
                "The broker: redis://host:6379/0, or amqp://user:pass@host:5672/ for RabbitMQ."),
    ]
    for service, port in SERVICES.items():
        upper = service.upper()
        items += [
            Setting(f"HUIFANG_{upper}_DATABASE_URL", f"sqlite:///<HUIFANG_VAR_DIR>/{service}.db",
                    f"The {service} service's database: postgresql://user:pass@host:5432/db selects PostgreSQL."),
            Setting(f"HUIFANG_{upper}_PORT", str(port), f"The {service} service's HTTP port."),
            Setting(f"HUIFANG_{upper}_URL", f"http://127.0.0.1:{port}",
                    f"Where people open the {service} service's pages (behind the proxy: https://host/{service})."),
            Setting(f"HUIFANG_{upper}_WORKER_QUEUES", "", f"The queues the {service} worker reads, separated by "
                    f"commas; over HUIFANG_WORKER_QUEUES (one .env under `make run` serves all three workers)."),
        ]
    items += [
        Setting("HUIFANG_API_TOKEN", "", "The integration token: posts events for every organisation, reads "
                "everything. The same on every service of one installation.", secret=True),
        Setting("HUIFANG_SECRET_KEY", "", "Signs tokens and page sessions (at least 16 characters). The same "
                "on every service of one installation.", secret=True),
        Setting("HUIFANG_TIMEZONE", "Asia/Shanghai", "The installation's time zone."),
        Setting("HUIFANG_SMTP_URL", "", "smtp://host:25, smtp+starttls://user:pass@host:587 or "
                "smtps://user:pass@host:465. Unset: mail is written to <HUIFANG_VAR_DIR>/outbox/*.eml."),
        Setting("HUIFANG_MAIL_FROM", "huifang@localhost", "The sender address of Huifang's mail."),
        Setting("HUIFANG_VAR_DIR", "var", "Databases (SQLite), mail files and the generated secrets live here."),
        Setting("HUIFANG_DATA_DIR", "<HUIFANG_VAR_DIR>/data", "The organisations' rule files (make org)."),
        Setting("HUIFANG_HEARTBEAT_TIMEOUT_MS", "15000", "Redis: a worker silent this long is dead; its "
                "unfinished messages go back on the queue."),
        Setting("HUIFANG_MAINTENANCE_CHANCE", "100000", "Redis: chance per million broker commands of that clean-up."),
        Setting("HUIFANG_MAX_RETRIES", "10", "Retries (with backoff) before a message goes to the dead-letter queue."),
        Setting("HUIFANG_WEB_HOST", "127.0.0.1", "The address the web process listens on (0.0.0.0: every one); a "
                "loopback one while HUIFANG_TRUSTED_PROXIES is set."),
        Setting("HUIFANG_WEB_WORKERS", "2", "Processes of the web server (gunicorn --workers)."),
        Setting("HUIFANG_WEB_THREADS", "4", "Threads of each web process (gunicorn --threads)."),
        Setting("HUIFANG_WORKER_PROCESSES", "1", "Processes of the worker (dramatiq --processes)."),
        Setting("HUIFANG_WORKER_THREADS", "4", "Threads of each worker process (dramatiq --threads)."),
        Setting("HUIFANG_WORKER_QUEUES", "", "The queues the worker reads, separated by commas. Unset: "
                "events and the service's own (events,scheduler)."),
        Setting("HUIFANG_TRUSTED_PROXIES", "0", "How many reverse proxies stand in front of the web process; "
                "their X-Forwarded-For, -Proto, -Host and -Prefix headers are believed. 0: none are."),
        Setting("HUIFANG_METRICS_DIR", "", "Where a service's processes on one host write their counters "
                "(<dir>/<service>/web and .../worker, one subfolder per unit; /metrics reads both). `make run` "
                "empties it when it starts; a deployed unit empties its own subfolder when it starts. Keep it "
                "under HUIFANG_VAR_DIR (the only folder the units may write). Unset: each process answers "
                "/metrics alone."),
        Setting("HUIFANG_METRICS_ALLOW", "127.0.0.1/32,::1/128", "Networks whose clients may read /metrics."),
        Setting("HUIFANG_METRICS_TOKEN", "", "A bearer token that may read /metrics from anywhere."),
        Setting("HUIFANG_WORKER_METRICS_PORT", "0", "A worker host's own /metrics port (0: none; the web "
                "process answers for its host)."),
        Setting("HUIFANG_METRICS_HOST", "127.0.0.1", "The address the worker's /metrics port listens on."),
        Setting("HUIFANG_RAISED_AT_WINDOW_MINUTES", "60", "A person raising a complaint may date it at most this "
                "many minutes before now."),
        Setting("HUIFANG_IMPORT_MAX_ROWS", "100000", "A ledger import reads at most this many rows."),
        Setting("HUIFANG_IMPORT_MAX_COLUMNS", "64", "A ledger import reads at most this many columns."),
        Setting("HUIFANG_IMPORT_MAX_UNPACKED_BYTES", str(64 * 1024 * 1024), "A ledger import's largest "
                "uncompressed size (an .xlsx by its zip directory)."),
        Setting("HUIFANG_PREVIEW_MAX_ROWS", "200", "The policy preview reads and plans at most this many rows "
                "of a sample file (the rest is not read)."),
        Setting("HUIFANG_PREVIEW_MAX_UNPACKED_BYTES", str(4 * 1024 * 1024), "A policy preview sample's largest "
                "uncompressed size: a larger one is refused before it is read."),
        Setting("HUIFANG_IMPORT_BACKGROUND_BYTES", str(1024 * 1024), "An API import larger than this (unpacked) "
                "runs in the worker: 202 and GET /api/v1/ledger/imports/<id> for its progress."),
        Setting("HUIFANG_IMPORT_TIME_LIMIT_SECONDS", "1800", "A background ledger import is stopped after this long."),
        Setting("HUIFANG_INBOX_RETENTION_DAYS", "90", "Handled event ids are kept this long (duplicates older "
                "than that are no longer recognised)."),
        Setting("HUIFANG_PERIODIC_RUN_RETENTION_DAYS", "7", "The record of periodic job slots is kept this long."),
        Setting("HUIFANG_EVENT_LOG_RETENTION_DAYS", "400", "Reporting: after this long the raw event log loses "
                "personal data (the figures stay)."),
        Setting("HUIFANG_RATE_REPORT_SENDS_PER_HOUR", "5", "Report sends per user and hour (429 past it)."),
        Setting("HUIFANG_RATE_HEAVY_PER_MINUTE", "20", "Report figures and PDFs the worker is asked to make, per user "
                "and minute (429 past it)."),
        Setting("HUIFANG_REPORT_WAIT_SECONDS", "10", "Reporting: how long a reader's request waits for figures or a "
                "PDF the worker is making before it answers 202 (ask again after Retry-After)."),
        Setting("HUIFANG_REPORT_FRESH_SECONDS", "300", "Reporting: figures the worker made for a reader (a month "
                "not stored, a branch) are served this long, then made again."),
        Setting("HUIFANG_SESSION_LIFETIME_HOURS", "12", "A page session ends this many hours after its sign-in, "
                "however often it is used (and after 10 hours without a page request, or at its sign-out)."),
        Setting("HUIFANG_WEBHOOK_ALLOW_PRIVATE", "0", "1: every organisation's webhooks may go to loopback, private "
                "and link-local addresses (a test installation)."),
        Setting("HUIFANG_WEBHOOK_PRIVATE_NETWORKS", "", "The private networks each organisation's webhooks may "
                "reach: org=net,net;org=net (like acme-electric=10.20.0.0/16)."),
        Setting("HUIFANG_WEBHOOK_MAX_ENDPOINTS", "20", "The most webhook endpoints one organisation may have."),
        Setting("HUIFANG_WEBHOOK_SENDER_THREADS", "8", "The most webhook endpoints a worker sends to at once."),
        Setting("HUIFANG_WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000",
                "Seconds between the tries of a failing webhook delivery; after the last it is dead."),
        Setting("HUIFANG_WEBHOOK_DISABLE_AFTER_SECONDS", "432000", "An endpoint whose every delivery failed "
                "this long is disabled and its organisation's admins are mailed."),
        Setting("HUIFANG_WEBHOOK_RETENTION_DAYS", "30", "Delivered and dead webhook deliveries are kept this long."),
    ]
    return items
