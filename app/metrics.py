"""Prometheus metrics for operators: what the portal serves, what Cognito answers, what fails.

The rest of the portal calls the plain functions here (``cognito_call``, ``session_store_error``,
``quota_wait``, ...) and never touches ``prometheus_client``, which is imported lazily on the
first use: its multiprocess mode is chosen when the library is imported, from
``PROMETHEUS_MULTIPROC_DIR``, and gunicorn's arbiter imports the ``app`` package before its
config sets that variable (``gunicorn.conf.py``, ``prepare_multiprocess_dir``). So under gunicorn
every worker writes its samples to files in that folder and ``/metrics`` (``exposition``) adds
up every worker's; in one process (the Flask test client, ``flask run``) the default registry
holds them.

Labels are bounded: a route is Flask's URL rule (``/settings/mfa``), never the path asked for;
a method outside HTTP's usual few is ``other``; a Cognito error code the catalog does not know is
``other`` (the log line has it).
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec

from flask import Flask, Response, g, request

from .errors import PortalError

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

log = logging.getLogger(__name__)
P = ParamSpec("P")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "mfa_portal_"
#: The ``route`` of a request no URL rule matched (a 404, or a 405 on a known path).
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Endpoints whose requests are not counted: the scrape itself (Prometheus has its own view of
#: scrapes, ``up`` and ``scrape_duration_seconds``).
UNCOUNTED_ENDPOINTS = frozenset({"health.metrics"})

#: A page is usually 5-50 ms; one waiting on a slow Cognito takes seconds.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: One Cognito call, retries and backoff included (the worst case is tens of seconds).
COGNITO_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: The wait for a token of a Cognito quota bucket (0: a token was there).
QUOTA_WAIT_BUCKETS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

#: The files prometheus_client writes in the multiprocess folder (``counter_<pid>.db``, ...).
_SAMPLE_FILE_PREFIXES = ("counter_", "gauge_", "histogram_", "summary_")


@dataclass(frozen=True)
class _Instruments:
    requests: Counter
    request_seconds: Histogram
    cognito_calls: Counter
    cognito_seconds: Histogram
    session_store_errors: Counter
    quota_wait_seconds: Histogram
    quota_exhausted: Counter
    quota_tokens: Gauge


_built: _Instruments | None = None
_building = threading.Lock()


def _instruments() -> _Instruments:
    global _built
    if _built is None:
        with _building:
            if _built is None:
                _built = _build()
    return _built


def _build() -> _Instruments:
    from prometheus_client import Counter, Gauge, Histogram

    return _Instruments(
        requests=Counter(
            f"{PREFIX}requests",
            "Requests answered, by route (the URL rule), method and status.",
            ["route", "method", "status"],
        ),
        request_seconds=Histogram(
            f"{PREFIX}request_duration_seconds",
            "Time from the request's first hook to its session being saved, by route.",
            ["route"],
            buckets=REQUEST_BUCKETS,
        ),
        cognito_calls=Counter(
            f"{PREFIX}cognito_calls",
            "Cognito API calls by operation and outcome (ok, an error code, transport:...).",
            ["operation", "outcome"],
        ),
        cognito_seconds=Histogram(
            f"{PREFIX}cognito_call_duration_seconds",
            "Time of one Cognito API call, retries included, by operation.",
            ["operation"],
            buckets=COGNITO_BUCKETS,
        ),
        session_store_errors=Counter(
            f"{PREFIX}session_store_errors",
            "Failures of the session store by kind (timeout, connection, io, sweep).",
            ["kind"],
        ),
        quota_wait_seconds=Histogram(
            f"{PREFIX}quota_wait_seconds",
            "Time a Cognito call waited for its quota bucket, by quota category.",
            ["category"],
            buckets=QUOTA_WAIT_BUCKETS,
        ),
        quota_exhausted=Counter(
            f"{PREFIX}quota_exhausted",
            "Cognito calls refused because their quota bucket stayed empty past the wait bound.",
            ["category"],
        ),
        # The bucket is one for the deployment: the latest level any worker saw is the level.
        quota_tokens=Gauge(
            f"{PREFIX}quota_tokens",
            "Tokens left in a Cognito quota bucket, by quota category (the latest reading).",
            ["category"],
            multiprocess_mode="mostrecent",
        ),
    )


def _never_fails(record: Callable[P, None]) -> Callable[P, None]:
    """A metric that can't be written (its folder removed under the portal) costs the metric,
    never the request: one ERROR line per process says so."""

    @functools.wraps(record)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        global _failure_logged
        try:
            record(*args, **kwargs)
        except Exception:
            if not _failure_logged:
                _failure_logged = True
                log.exception("metrics not recorded", extra={"event": "metrics_failed"})

    return guarded


_failure_logged = False


# What the rest of the portal calls.


@_never_fails
def request_served(route: str, method: str, status: int, seconds: float) -> None:
    metrics = _instruments()
    method = method if method in METHODS else "other"
    metrics.requests.labels(route, method, str(status)).inc()
    metrics.request_seconds.labels(route).observe(seconds)


@_never_fails
def cognito_call(operation: str, outcome: str, seconds: float) -> None:
    metrics = _instruments()
    metrics.cognito_calls.labels(operation, outcome).inc()
    metrics.cognito_seconds.labels(operation).observe(seconds)


@contextmanager
def timed_cognito_call(operation: str) -> Iterator[None]:
    """Count and time the Cognito call in the block: ``ok``, or the ``PortalError``'s code."""
    started = time.perf_counter()
    outcome = "unexpected_error"
    try:
        yield
        outcome = "ok"
    except PortalError as error:
        outcome = error.code if error.known else "other"
        raise
    finally:
        cognito_call(operation, outcome, time.perf_counter() - started)


@_never_fails
def session_store_error(kind: str) -> None:
    _instruments().session_store_errors.labels(kind).inc()


@_never_fails
def quota_wait(category: str, seconds: float) -> None:
    """How long a call waited for a token of its quota category's bucket (0 when one was there)."""
    _instruments().quota_wait_seconds.labels(category).observe(seconds)


@_never_fails
def quota_exhausted(category: str) -> None:
    """A call refused: its category's bucket stayed dry past the wait bound."""
    _instruments().quota_exhausted.labels(category).inc()


@_never_fails
def quota_tokens(category: str, tokens: float) -> None:
    """The bucket's level as last seen (``mostrecent`` across workers: one shared bucket)."""
    _instruments().quota_tokens.labels(category).set(tokens)


# Requests.


def init_request_metrics(app: Flask) -> None:
    """Count and time every request of ``app`` by its URL rule, method and final status.

    Recorded at teardown, once per request: a session save that fails after the response was
    made turns it into a 503, and the after-request hooks run again for that one."""

    @app.before_request
    def start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def note_status(response: Response) -> Response:
        g.metrics_status = response.status_code
        return response

    @app.teardown_request
    def record(_error: BaseException | None) -> None:
        started = g.get("metrics_started")
        if started is None or request.endpoint in UNCOUNTED_ENDPOINTS:
            return
        rule = request.url_rule
        route = rule.rule if rule is not None else UNMATCHED
        request_served(
            route, request.method, g.get("metrics_status", 500), time.perf_counter() - started
        )


# Exposition.


def exposition(accept: str = "") -> tuple[bytes, str]:
    """The metrics in the format the scraper's ``Accept`` asks for (Prometheus' text format by
    default, OpenMetrics if asked), and its content type: every worker's under gunicorn (a fresh
    registry over the multiprocess folder), else this process's."""
    _instruments()  # so that every metric is there from the first scrape
    from prometheus_client import REGISTRY, CollectorRegistry
    from prometheus_client.exposition import choose_encoder
    from prometheus_client.multiprocess import MultiProcessCollector

    registry: Any = REGISTRY
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    encode, content_type = choose_encoder(accept)
    return encode(registry), content_type


# The multiprocess folder, prepared by gunicorn's arbiter (gunicorn.conf.py).


@dataclass(frozen=True)
class MultiprocessDir:
    path: Path
    #: Made by the portal for this run (removed at exit), not the operator's.
    private: bool


def prepare_multiprocess_dir() -> MultiprocessDir:
    """Before any worker starts: the operator's ``PROMETHEUS_MULTIPROC_DIR``, created if missing
    and emptied of a previous run's samples; or, unset, a private folder (mode 0700) of this run,
    put in the environment the workers inherit."""
    configured = os.environ.get(MULTIPROC_ENV, "").strip()
    if not configured:
        path = Path(tempfile.mkdtemp(prefix="mfa-portal-metrics-"))
        os.environ[MULTIPROC_ENV] = str(path)
        return MultiprocessDir(path, private=True)
    path = Path(configured)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.name.startswith(_SAMPLE_FILE_PREFIXES) and entry.name.endswith(".db"):
            entry.unlink(missing_ok=True)
    return MultiprocessDir(path, private=False)


def worker_exited(pid: int) -> None:
    """gunicorn's ``child_exit``: a dead worker's live gauges go (its counts stay)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def remove_private_dir(folder: MultiprocessDir | None) -> None:
    if folder is not None and folder.private:
        shutil.rmtree(folder.path, ignore_errors=True)
