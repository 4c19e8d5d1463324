"""gunicorn settings for an I/O-bound portal: threaded workers that mostly wait on Cognito.

Every value can be overridden from the environment (``PORT``, ``WEB_CONCURRENCY``,
``GUNICORN_THREADS``, ``GUNICORN_TIMEOUT``). The app logs one JSON line per request itself, so
gunicorn's own access log stays off; gunicorn's error log uses the same JSON format.
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
# Must exceed Cognito's connect + read timeout times the retry attempts (2 + 5) * 3 plus backoff.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = 10000
max_requests_jitter = 1000
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.observability.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
    },
}
