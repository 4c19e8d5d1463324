"""JSON logs with a request id, a request log line per response, and audit events.

Nothing here may write a token, an authorization code, a secret, a session id or a full phone
number: ``redact`` scrubs every message and field as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import requests
from flask import Flask, Response, g, has_request_context, request

from .extensions import signed_in_user

AUDIT = logging.getLogger("mfa_portal.audit")
log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_PHONE = re.compile(r"\+\d{6,15}")
#: An authorization code, a token or an authenticator secret (``otpauth://``) in a URL's query
#: (gunicorn's access log line has the query).
_QUERY_SECRET = re.compile(
    r"([?&](?:code|state|access_token|refresh_token|id_token|token|client_secret|secret)=)"
    r"[^&\s\"']+",
    re.IGNORECASE,
)
#: A credential as an ``Authorization`` header carries it (``Bearer <token>``, ``Basic <...>``),
#: e.g. a header dump in a traceback: the ``/metrics`` token, an access token that is no JWT.
#: (Spelled without IGNORECASE and a word boundary: a first-character set keeps the scan of every
#: log field as cheap as the other patterns'.)
_AUTHORIZATION = re.compile(
    r"([Bb](?:[Ee][Aa][Rr][Ee][Rr]|[Aa][Ss][Ii][Cc])\s+)[A-Za-z0-9._~+/=-]{8,}"
)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _mask_phone(match: re.Match[str]) -> str:
    digits = match.group(0)
    return digits[:2] + "•" * (len(digits) - 6) + digits[-4:]


def redact(value: Any) -> Any:
    if isinstance(value, str):
        value = _QUERY_SECRET.sub(r"\1[redacted]", value)
        value = _AUTHORIZATION.sub(r"\1[redacted]", value)
        return _PHONE.sub(_mask_phone, _JWT.sub("[token]", value))
    return value


def redact_query(query: str) -> str:
    """A URL's query (without its ``?``) with codes, tokens, secrets and phone numbers hidden."""
    return redact(f"?{unquote_plus(query)}")[1:] if query else ""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = redact(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """For a person watching a console (``LOG_FORMAT=text``, the demo's): one short line per
    request, its audit events folded in (``FoldAuditIntoRequestLine``), and other records as
    ``time LEVEL logger: message key=value``. Redacted like the JSON lines."""

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        fields = {
            key: value
            for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")
        }
        if fields.get("event") == "request":
            return redact(f"{clock} {_request_summary(fields)}")
        extra = " ".join(
            f"{key}={value}"
            for key, value in fields.items()
            if value is not None and key not in ("audit", "request_id")
        )
        line = f"{clock} {record.levelname} {record.name}: {record.getMessage()}"
        line = f"{line} ({extra})" if extra else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return redact(line)


def _request_summary(fields: dict[str, Any]) -> str:
    query = f"?{fields['query']}" if fields.get("query") else ""
    duration = fields.get("duration_ms")
    took = f" {duration:.0f} ms" if isinstance(duration, int | float) else ""
    line = f"{fields.get('status')} {fields.get('method')} {fields.get('path')}{query}{took}"
    audited = g.get("audit_events") if has_request_context() else None
    return f"{line}  [{', '.join(audited)}]" if audited else line


class FoldAuditIntoRequestLine(logging.Filter):
    """With ``LOG_FORMAT=text``, an audit event during a request goes into that request's line
    instead of a line of its own (the JSON log keeps both: audit lines are for machines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "audit", False) and has_request_context():
            event = getattr(record, "event", record.getMessage())
            outcome = getattr(record, "outcome", "")
            g.setdefault("audit_events", []).append(f"{event} {outcome}".strip())
            return False
        return True


def log_handler(log_format: str) -> logging.Handler:
    """The one stderr handler every line of the process goes through."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "text":
        handler.setFormatter(TextFormatter())
        handler.addFilter(FoldAuditIntoRequestLine())
    else:
        handler.setFormatter(JsonFormatter())
    return handler


def configure_logging(level: str, log_format: str = "json") -> None:
    handler = log_handler(log_format)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def cognito_endpoint_kind(url: str) -> str:
    path = urlsplit(url).path
    if path.endswith("/.well-known/openid-configuration"):
        return "discovery"
    if path.endswith("/.well-known/jwks.json"):
        return "jwks"
    if path.endswith("/oauth2/token"):
        return "token"
    return "other"


def log_cognito_unreachable(error: requests.RequestException) -> None:
    """One operator line naming which Cognito endpoint failed and its host (never the query)."""
    url = error.request.url if error.request is not None and error.request.url else ""
    log.error(
        "Cognito endpoint unreachable",
        extra={
            "event": "cognito_unreachable",
            "endpoint": cognito_endpoint_kind(url),
            "host": urlsplit(url).netloc or None,
            "error": type(error).__name__,
        },
    )


def log_unexpected_error(exc_info: Any) -> None:
    """A programming or configuration error: the stack trace goes to the log, never to a page."""
    log.error(
        "unexpected error",
        exc_info=exc_info,
        extra={"event": "unexpected_error", "method": request.method, "path": request.path},
    )


def audit(event: str, outcome: str, **fields: Any) -> None:
    """An audit event: who (the user's ``sub``), what, outcome, Cognito's request id."""
    person = signed_in_user()
    fields.setdefault("sub", person.sub if person else None)
    AUDIT.info(event, extra={"event": event, "outcome": outcome, "audit": True, **fields})


def _incoming_request_id() -> str:
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def init_request_logging(app: Flask) -> None:
    access = logging.getLogger("mfa_portal.request")

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = _incoming_request_id()
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        # Without before_request (the session store failed while the request was opened).
        request_id = g.get("request_id") or _incoming_request_id()
        g.request_id = request_id
        response.headers["X-Request-ID"] = request_id
        started = g.get("started")
        quota_wait = g.get("quota_wait_seconds")
        access.info(
            "request",
            extra={
                "event": "request",
                "client": request.remote_addr,
                "method": request.method,
                "path": request.path,
                "query": redact_query(request.query_string.decode("latin-1")) or None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)
                if started
                else None,
                # Time spent waiting for places in Cognito's quota schedule (app/pacing.py).
                **(
                    {"quota_wait_ms": round(quota_wait * 1000, 1)} if quota_wait is not None else {}
                ),
            },
        )
        return response
