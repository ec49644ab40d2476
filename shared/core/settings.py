"""Environment -> validated settings (names from CONTRACT.md).

Settings are read when asked for, never at import time. A bad value stops start-up with a
message naming the variable. Every variable with its default and meaning (what deploy writes
into an environment file): shared/core/setting_list.py.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.core.errors import ConfigurationError
from shared.core.folders import private_folder

#: The shortest integration token (HUIFANG_API_TOKEN) accepted, so it cannot be guessed.
MIN_API_TOKEN_LENGTH = 24

#: The services of one installation and their default HTTP ports (CONTRACT.md).
SERVICES = {"scheduler": 8101, "complaints": 8102, "reporting": 8103}

#: Project root: the folder holding shared/ and services/.
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    broker_url: str
    database_urls: dict
    ports: dict
    api_token: str | None
    timezone: str
    secret_key: str
    smtp_url: str | None
    mail_from: str
    var_dir: Path
    data_dir: Path
    #: Redis broker: a worker silent this long (ms) is dead and its messages are requeued.
    heartbeat_timeout_ms: int = 15000
    #: Redis broker: chance per million commands of running queue maintenance.
    maintenance_chance: int = 100000
    max_retries: int = 10
    worker_threads: int = 4
    #: The address people open each service at (HUIFANG_<SERVICE>_URL): the pages' top bar
    #: links the three services with these.
    public_urls: dict = field(default_factory=dict)
    #: Webhooks (shared/webhooks/urls.py): private, loopback and link-local receivers allowed.
    webhook_allow_private: bool = False
    #: Webhooks: the private networks each organisation's endpoints may reach, set by the
    #: installation ({organisation: (network, ...)}; HUIFANG_WEBHOOK_PRIVATE_NETWORKS).
    webhook_private_networks: dict = field(default_factory=dict)
    #: Webhooks: the most endpoints one organisation may have (one event fans out to each).
    webhook_max_endpoints: int = 20
    #: Webhooks: the most endpoints a worker sends to at once (threads of its sender).
    webhook_sender_threads: int = 8
    #: Seconds between the tries of a failing delivery; after the last one it is dead.
    webhook_retry_schedule: tuple = (5, 300, 1800, 7200, 18000, 36000, 36000)
    #: An endpoint whose every delivery failed for this long is disabled (its admins are mailed).
    webhook_disable_after_seconds: int = 5 * 86400
    #: Delivered and dead deliveries and their log are kept this many days.
    webhook_retention_days: int = 30
    #: The web process (gunicorn): the address it listens on, its processes and threads of each.
    web_host: str = "127.0.0.1"
    web_workers: int = 2
    web_threads: int = 4
    #: The worker (dramatiq): its processes, and the queues it reads (empty: `events` and its own).
    worker_processes: int = 1
    worker_queues: tuple = ()
    #: The queues of one service's worker (HUIFANG_<SERVICE>_WORKER_QUEUES), over `worker_queues`.
    service_worker_queues: dict = field(default_factory=dict)
    #: How many reverse proxies stand in front of the web process: their X-Forwarded-For, -Proto,
    #: -Host and -Prefix headers are believed (werkzeug's ProxyFix). 0: none are.
    trusted_proxies: int = 0
    #: Monitoring (shared/mesh/metrics.py). The folder where a service's processes on one host write
    #: their counters (prometheus_client multiprocess mode; `<dir>/<service>/`); None: each
    #: process answers /metrics with its own counters only.
    metrics_dir: Path | None = None
    #: Networks whose clients may read /metrics (default: loopback only).
    metrics_allow: tuple = ()
    #: A bearer token that may read /metrics from anywhere (None: networks only).
    metrics_token: str | None = None
    #: A worker host's own /metrics port (0: none; the web process answers for the host).
    worker_metrics_port: int = 0
    #: The address that port listens on.
    metrics_host: str = "127.0.0.1"
    #: A person raising a complaint may date it at most this many minutes before now (a call taken
    #: a little earlier); further back would shorten its deadlines' history.
    raised_at_window_minutes: int = 60
    #: Every key of HUIFANG_SECRET_KEY ("new,old"): the first (`secret_key`) signs, all verify.
    secret_keys: tuple = ()
    #: A ledger import reads at most this many rows, columns and unpacked bytes, so an upload cannot
    #: exhaust the process reading it.
    import_max_rows: int = 100_000
    import_max_columns: int = 64
    import_max_unpacked_bytes: int = 64 * 1024 * 1024
    #: The policy preview plans at most this many rows of a sample file, read in the web request: the
    #: rest of the file is not read; a sample unpacking to more bytes is refused before it is read.
    preview_max_rows: int = 200
    preview_max_unpacked_bytes: int = 4 * 1024 * 1024
    #: An API import of a file unpacking to more than this runs in the background (202 and its progress).
    import_background_bytes: int = 1024 * 1024
    #: The longest a background ledger import may run before the worker stops it.
    import_time_limit_seconds: int = 1800
    #: Retention (shared/mesh/retention.py): handled event ids, periodic slots, and
    #: raw event logs before their personal data is stripped, in days.
    inbox_retention_days: int = 90
    periodic_run_retention_days: int = 7
    event_log_retention_days: int = 400
    #: Per-user rate limits: report sends per hour, heavy requests (a
    #: report's figures or PDF) per minute.
    rate_report_sends_per_hour: int = 5
    rate_heavy_per_minute: int = 20
    #: Figures and PDFs of a month not stored (or of a branch) are made by the
    #: worker; a reader's request waits this long for them (then 202), and they are served this long.
    report_wait_seconds: float = 10.0
    report_fresh_seconds: int = 300
    #: A page session ends this many hours after its sign-in, however often it is used.
    session_lifetime_hours: int = 12
    extra: dict = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def verifying_keys(self) -> tuple:
        """Gives the keys that verify tokens and sessions, the signing one first."""
        return self.secret_keys or (self.secret_key,)

    def database_url(self, service: str) -> str:
        return self.database_urls[service]

    def port(self, service: str) -> int:
        return self.ports[service]

    def queues(self, service: str) -> tuple:
        """Gives the queues the worker of `service` reads: HUIFANG_<SERVICE>_WORKER_QUEUES, else
        HUIFANG_WORKER_QUEUES, else `events` and its own."""
        return self.service_worker_queues.get(service) or self.worker_queues or ("events", service)

    def public_url(self, service: str) -> str:
        """Gives the address of a service's pages, without a trailing slash."""
        return self.public_urls.get(service) or f"http://127.0.0.1:{self.ports[service]}"


def _env(environ: dict | None) -> dict:
    from dotenv import dotenv_values  # here: ops.deploy reads the settings list with Python alone

    values = {}
    dotenv = ROOT / ".env"
    if dotenv.exists():
        values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values


def _int(env: dict, name: str, default: int, *, minimum: int = 0, maximum: int = 10**9) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(name, f"must be a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigurationError(name, f"must be between {minimum} and {maximum}, got {value}")
    return value


def _flag(env: dict, name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise ConfigurationError(name, f"must be 1 or 0, got {raw!r}")


def _seconds_list(env: dict, name: str, default: tuple) -> tuple:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        values = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigurationError(name, f"must be seconds separated by commas (like 5,300,1800), got {raw!r}") from None
    if not values or any(v < 0 for v in values):
        raise ConfigurationError(name, f"must be one or more non-negative numbers of seconds, got {raw!r}")
    return values


def _queues(env: dict, name: str) -> tuple:
    raw = env.get(name) or ""
    queues = tuple(q.strip() for q in raw.replace(" ", ",").split(",") if q.strip())
    bad = [q for q in queues if not q.replace("_", "").replace("-", "").isalnum()]
    if bad:
        raise ConfigurationError(name, f"must be queue names separated by commas (like events,scheduler), got {raw!r}")
    return queues


def _check_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in schemes:
        raise ConfigurationError(
            name, f"must start with one of {', '.join(s + '://' for s in schemes)}; got {url.split('://')[0]!r}"
        )
    return url


def _networks(env: dict, name: str, default: str) -> tuple:
    raw = env.get(name) or default
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigurationError(name, f"must be networks separated by commas (like 127.0.0.1/32,10.0.0.0/8): "
                                       f"{exc}") from None


def _networks_of_organizations(env: dict, name: str) -> dict:
    """Gives {organisation: (network, ...)} of `org=net,net;org=net` (empty: none)."""
    networks: dict[str, tuple] = {}
    for part in (env.get(name) or "").split(";"):
        if not part.strip():
            continue
        organization, equals, listed = part.partition("=")
        if not equals or not organization.strip():
            raise ConfigurationError(name, "must be organisation=networks separated by semicolons (like "
                                           f"acme-electric=10.20.0.0/16,192.168.5.0/24;beta=10.30.0.0/16), got {part!r}")
        networks[organization.strip()] = networks.get(organization.strip(), ()) + _networks(
            {name: listed}, name, "")
    return networks


def broker_url_file(var_dir: Path) -> Path:
    """Where `make run` keeps the full URL of the Redis it starts, password included (CONTRACT.md
    "The broker's password", mode 0600): for the producers that post raw messages, and every
    command of this checkout (the broker's URL when HUIFANG_BROKER_URL is not set)."""
    return var_dir / "broker_url"


def _kept_broker_url(var_dir: Path) -> str | None:
    path = broker_url_file(var_dir)
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def secret_key_file(var_dir: Path) -> Path:
    return var_dir / "secret_key"


def _dev_secret(var_dir: Path) -> str:
    """Gives the development secret under var/, creating it once."""
    path = secret_key_file(var_dir)
    if path.exists():
        return path.read_text().strip()
    private_folder(var_dir)  # created 0700: databases, queues and mail under it hold personal data
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def load_settings(environ: dict | None = None) -> Settings:
    """Gives the validated settings of this installation.

    Raises:
      ConfigurationError: naming the variable whose value is wrong.
    """
    env = _env(environ)
    var_dir = Path(env.get("HUIFANG_VAR_DIR") or ROOT / "var").resolve()
    broker_url = _check_url(
        "HUIFANG_BROKER_URL", env.get("HUIFANG_BROKER_URL") or _kept_broker_url(var_dir) or "redis://127.0.0.1:6379/0",
        ("redis", "rediss", "amqp", "amqps", "stub"),
    )
    database_urls, ports, public_urls = {}, {}, {}
    for service, default_port in SERVICES.items():
        key = f"HUIFANG_{service.upper()}_DATABASE_URL"
        url = env.get(key) or f"sqlite:///{var_dir / (service + '.db')}"
        database_urls[service] = _check_url(key, url, ("sqlite", "postgresql", "postgres"))
        ports[service] = _int(env, f"HUIFANG_{service.upper()}_PORT", default_port, minimum=1, maximum=65535)
        key = f"HUIFANG_{service.upper()}_URL"
        public_urls[service] = _check_url(
            key, env.get(key) or f"http://127.0.0.1:{ports[service]}", ("http", "https")).rstrip("/")
    timezone = env.get("HUIFANG_TIMEZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError("HUIFANG_TIMEZONE", f"unknown time zone {timezone!r} (try Asia/Shanghai)") from None
    smtp_url = env.get("HUIFANG_SMTP_URL") or None
    if smtp_url:
        _check_url("HUIFANG_SMTP_URL", smtp_url, ("smtp", "smtp+starttls", "smtps"))
    # key rotation: "new,old" signs with the new key and still accepts the old
    secrets_ = tuple(k.strip() for k in (env.get("HUIFANG_SECRET_KEY") or _dev_secret(var_dir)).split(",")
                     if k.strip())
    if not secrets_ or any(len(k) < 16 for k in secrets_):
        raise ConfigurationError("HUIFANG_SECRET_KEY", "must be at least 16 characters (each key of a "
                                                       "comma-separated list: the first signs, all verify)")
    secret = secrets_[0]
    api_token = env.get("HUIFANG_API_TOKEN") or None
    if api_token is not None and len(api_token) < MIN_API_TOKEN_LENGTH:
        raise ConfigurationError("HUIFANG_API_TOKEN", f"must be at least {MIN_API_TOKEN_LENGTH} characters "
                                                      "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
    return Settings(
        broker_url=broker_url,
        database_urls=database_urls,
        ports=ports,
        api_token=api_token,
        timezone=timezone,
        secret_key=secret,
        secret_keys=secrets_,
        smtp_url=smtp_url,
        mail_from=env.get("HUIFANG_MAIL_FROM") or "huifang@localhost",
        var_dir=var_dir,
        data_dir=Path(env.get("HUIFANG_DATA_DIR") or var_dir / "data").resolve(),
        heartbeat_timeout_ms=_int(env, "HUIFANG_HEARTBEAT_TIMEOUT_MS", 15000, minimum=1000),
        maintenance_chance=_int(env, "HUIFANG_MAINTENANCE_CHANCE", 100000, minimum=0, maximum=1000000),
        max_retries=_int(env, "HUIFANG_MAX_RETRIES", 10, minimum=0, maximum=100),
        worker_threads=_int(env, "HUIFANG_WORKER_THREADS", 4, minimum=1, maximum=64),
        public_urls=public_urls,
        webhook_allow_private=_flag(env, "HUIFANG_WEBHOOK_ALLOW_PRIVATE"),
        webhook_private_networks=_networks_of_organizations(env, "HUIFANG_WEBHOOK_PRIVATE_NETWORKS"),
        webhook_max_endpoints=_int(env, "HUIFANG_WEBHOOK_MAX_ENDPOINTS", 20, minimum=1, maximum=1000),
        webhook_sender_threads=_int(env, "HUIFANG_WEBHOOK_SENDER_THREADS", 8, minimum=1, maximum=256),
        webhook_retry_schedule=_seconds_list(env, "HUIFANG_WEBHOOK_RETRY_SCHEDULE",
                                             (5, 300, 1800, 7200, 18000, 36000, 36000)),
        webhook_disable_after_seconds=_int(env, "HUIFANG_WEBHOOK_DISABLE_AFTER_SECONDS", 5 * 86400, minimum=1),
        webhook_retention_days=_int(env, "HUIFANG_WEBHOOK_RETENTION_DAYS", 30, minimum=1, maximum=3650),
        web_host=_web_host(env),
        web_workers=_int(env, "HUIFANG_WEB_WORKERS", 2, minimum=1, maximum=256),
        web_threads=_int(env, "HUIFANG_WEB_THREADS", 4, minimum=1, maximum=256),
        worker_processes=_int(env, "HUIFANG_WORKER_PROCESSES", 1, minimum=1, maximum=256),
        worker_queues=_queues(env, "HUIFANG_WORKER_QUEUES"),
        service_worker_queues={service: queues for service in SERVICES
                               if (queues := _queues(env, f"HUIFANG_{service.upper()}_WORKER_QUEUES"))},
        trusted_proxies=_int(env, "HUIFANG_TRUSTED_PROXIES", 0, minimum=0, maximum=10),
        metrics_dir=Path(env["HUIFANG_METRICS_DIR"]).resolve() if env.get("HUIFANG_METRICS_DIR") else None,
        metrics_allow=_networks(env, "HUIFANG_METRICS_ALLOW", "127.0.0.1/32,::1/128"),
        metrics_token=env.get("HUIFANG_METRICS_TOKEN") or None,
        worker_metrics_port=_int(env, "HUIFANG_WORKER_METRICS_PORT", 0, minimum=0, maximum=65535),
        metrics_host=env.get("HUIFANG_METRICS_HOST") or "127.0.0.1",
        raised_at_window_minutes=_int(env, "HUIFANG_RAISED_AT_WINDOW_MINUTES", 60, minimum=0, maximum=7 * 24 * 60),
        import_max_rows=_int(env, "HUIFANG_IMPORT_MAX_ROWS", 100_000, minimum=1, maximum=10_000_000),
        import_max_columns=_int(env, "HUIFANG_IMPORT_MAX_COLUMNS", 64, minimum=16, maximum=16384),
        import_max_unpacked_bytes=_int(env, "HUIFANG_IMPORT_MAX_UNPACKED_BYTES", 64 * 1024 * 1024,
                                       minimum=1024 * 1024, maximum=4 * 1024 ** 3),
        preview_max_rows=_int(env, "HUIFANG_PREVIEW_MAX_ROWS", 200, minimum=1, maximum=10_000),
        preview_max_unpacked_bytes=_int(env, "HUIFANG_PREVIEW_MAX_UNPACKED_BYTES", 4 * 1024 * 1024,
                                        minimum=64 * 1024, maximum=64 * 1024 * 1024),
        import_background_bytes=_int(env, "HUIFANG_IMPORT_BACKGROUND_BYTES", 1024 * 1024, minimum=0),
        import_time_limit_seconds=_int(env, "HUIFANG_IMPORT_TIME_LIMIT_SECONDS", 1800, minimum=10, maximum=86400),
        inbox_retention_days=_int(env, "HUIFANG_INBOX_RETENTION_DAYS", 90, minimum=1, maximum=36500),
        periodic_run_retention_days=_int(env, "HUIFANG_PERIODIC_RUN_RETENTION_DAYS", 7, minimum=1, maximum=36500),
        event_log_retention_days=_int(env, "HUIFANG_EVENT_LOG_RETENTION_DAYS", 400, minimum=1, maximum=36500),
        rate_report_sends_per_hour=_int(env, "HUIFANG_RATE_REPORT_SENDS_PER_HOUR", 5, minimum=1),
        rate_heavy_per_minute=_int(env, "HUIFANG_RATE_HEAVY_PER_MINUTE", 20, minimum=1),
        report_wait_seconds=float(_int(env, "HUIFANG_REPORT_WAIT_SECONDS", 10, minimum=0, maximum=120)),
        report_fresh_seconds=_int(env, "HUIFANG_REPORT_FRESH_SECONDS", 300, minimum=0, maximum=86400),
        session_lifetime_hours=_int(env, "HUIFANG_SESSION_LIFETIME_HOURS", 12, minimum=1, maximum=24 * 31),
    )


def _web_host(env) -> str:
    """Gives the address the web process listens on: a loopback one while proxies are trusted,
    else a client reaching the web port directly would choose its own address (X-Forwarded-For:
    the metrics allow-list, the sign-in throttle)."""
    host = env.get("HUIFANG_WEB_HOST") or "127.0.0.1"
    if _int(env, "HUIFANG_TRUSTED_PROXIES", 0, minimum=0, maximum=10):
        try:
            loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise ConfigurationError("HUIFANG_WEB_HOST", f"must be a loopback address (127.0.0.1) while "
                                                         f"HUIFANG_TRUSTED_PROXIES is set, got {host!r}: the proxy "
                                                         "reaches it there, and a client cannot bypass the proxy")
    return host


def load_settings_or_exit(environ: dict | None = None) -> Settings:
    """Gives `load_settings()`; for entry points (a worker, a command): a bad setting prints one
    line naming the variable and exits with status 2, not a traceback."""
    try:
        return load_settings(environ)
    except ConfigurationError as exc:
        print(f"huifang: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
