"""gunicorn settings for an I/O-bound portal: threaded workers that mostly wait on Cognito.

``mfa-portal serve`` (the Procfile's command) runs gunicorn with this file, which the wheel
carries inside the ``app`` package, so an installed portal started from any directory gets it.
The portal's own settings are read and validated here once (``app.config.load_settings``): a
missing or malformed variable stops start-up with one line naming it, before any worker starts.

Process settings, each overridable from the environment:

``PORT`` / ``HOST``             where to listen (default 0.0.0.0:8000)
``WEB_CONCURRENCY``             worker processes (default: the CPUs this process may use, >= 2,
                                with ``REDIS_URL``; 1 without it, see below)
``GUNICORN_THREADS``            threads per worker (default 16): concurrent requests per process
``GUNICORN_TIMEOUT``            seconds before a silent worker is killed (default: see below)
``GUNICORN_GRACEFUL_TIMEOUT``   seconds in-flight requests get to finish after SIGTERM
``GUNICORN_MAX_REQUESTS``       recycle a worker after this many requests (0: never)
``GUNICORN_CONTROL_SOCKET``     enable gunicorn's control socket at this path (default: off)

Workers and rate limits: the limits (sign-ins, changes, texts) count in ``REDIS_URL`` when it is
set, so every worker and instance shares them. Without it they count in each process's memory, so
the portal runs one worker (threads carry the concurrency) and refuses to start with more:
``WEB_CONCURRENCY=2`` without ``REDIS_URL`` would let each worker grant the whole budget.

Proxies: gunicorn itself never believes ``X-Forwarded-*`` (``forwarded_allow_ips`` is empty), so a
client on the same host can't claim https; the app trusts exactly ``TRUSTED_PROXIES`` hops of them
(Werkzeug's ``ProxyFix``).

Logging: the portal writes one JSON line per request itself (``mfa_portal.request``: request id,
client address, method, path, redacted query, status, duration), so that line *is* the access log;
gunicorn's own access logger is silenced. gunicorn's error log (start-up, worker boots and exits,
signals, unhandled errors) goes through ``logconfig_dict`` to the same formatter on stderr, so
every line of the process's output is one JSON object (``LOG_FORMAT=text``, the demo's: one
readable line per request, audit events folded into it).

Metrics: prometheus-client's multiprocess mode, always (``app.metrics``). ``on_starting``, in the
arbiter before any worker, empties the operator's ``PROMETHEUS_MULTIPROC_DIR`` of an earlier run's
samples or, unset, makes a private folder for this run and sets the variable the workers inherit;
``child_exit`` lets a dead worker's live gauges go; ``on_exit`` removes the private folder.
"""

import os

from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker

from app import metrics as _metrics
from app.config import ConfigError, load_settings
from app.serving import drop_server_header

try:
    _settings = load_settings()
except ConfigError as error:
    raise SystemExit(f"mfa-portal: {error}") from None

# Cognito's worst case for one request: a token refresh plus a call that is retried after it,
# each attempt bounded by its wait for a place in the quota schedule, the connect and read
# timeouts, plus botocore's backoff between attempts.
_attempt = (
    _settings.cognito_quota_wait_seconds
    + _settings.cognito_connect_timeout
    + _settings.cognito_read_timeout
)
_per_call = _settings.cognito_max_attempts * _attempt + 2.0 * (_settings.cognito_max_attempts - 1)
WORST_REQUEST_SECONDS = 2 * _per_call + _attempt


def _workers(requested: str | None, cpus: int, shared_limits: bool) -> int:
    """Worker processes: one per CPU (at least 2) when the limits are shared in Redis; else one."""
    if not requested:
        return max(2, cpus) if shared_limits else 1
    count = int(requested)
    if count > 1 and not shared_limits:
        raise SystemExit(
            f"mfa-portal: WEB_CONCURRENCY={count} needs REDIS_URL: without it each worker keeps "
            "its own rate-limit counters; unset WEB_CONCURRENCY (one worker) or set REDIS_URL"
        )
    return count


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
worker_class = "gthread"
# Threads carry the I/O concurrency; processes only need to cover the CPUs (the GIL), and can only
# do so when they share the rate-limit counters.
workers = _workers(os.environ.get("WEB_CONCURRENCY"), _cpus(), bool(_settings.redis_url))
threads = int(os.environ.get("GUNICORN_THREADS") or 16)
# With gthread the heartbeat comes from the worker's main loop, not the request threads, so this
# only catches a wedged process; it still exceeds any request's worst case.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or max(60, int(WORST_REQUEST_SECONDS) + 10))
# SIGTERM: stop accepting, let in-flight requests finish (up to their worst case), then exit.
graceful_timeout = int(
    os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or max(30, int(WORST_REQUEST_SECONDS) + 5)
)
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 10000)
max_requests_jitter = max_requests // 10
# Several instances on one host would share the default control socket path.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}

drop_server_header()

accesslog = None
errorlog = "-"
loglevel = _settings.log_level.lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": _settings.log_level, "handlers": ["console"]},
    "formatters": {
        "json": {"()": "app.observability.JsonFormatter"},
        "text": {"()": "app.observability.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": _settings.log_format,
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "gunicorn.error": {
            "handlers": ["console"],
            "level": _settings.log_level,
            "propagate": False,
        },
        # The app's request line is the access log: gunicorn's would repeat it, query unredacted.
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}


_metrics_dir: _metrics.MultiprocessDir | None = None


def on_starting(server: Arbiter) -> None:
    global _metrics_dir
    try:
        _metrics_dir = _metrics.prepare_multiprocess_dir()
    except OSError as error:
        raise SystemExit(
            f"mfa-portal: {_metrics.MULTIPROC_ENV}={os.environ.get(_metrics.MULTIPROC_ENV)!r} "
            f"can't be used: {error.strerror or error}; expected a folder the portal may write"
        ) from None
    server.log.info(
        "metrics folder ready",
        extra={
            "event": "metrics_dir",
            "path": str(_metrics_dir.path),
            "private": _metrics_dir.private,
        },
    )


def child_exit(server: Arbiter, worker: Worker) -> None:
    _metrics.worker_exited(worker.pid)


def on_exit(server: Arbiter) -> None:
    _metrics.remove_private_dir(_metrics_dir)
