"""Development endpoints under /_local/: outbox, faults, reset, stats, quotas, token and code
ageing.

They hand out every texted code, so no web page may reach them: only a loopback ``Host`` is
answered (a DNS-rebound name is not), and a POST or DELETE must be ``application/json``, which no
cross-origin form can send without a CORS preflight the stand-in never grants.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, jsonify, request

from .codes import ATTRIBUTE_CODE_VALIDITY
from .extensions import stand_in
from .faults import FaultSpecError
from .forgery import ForgerySpecError, validated_kind
from .quotas import QuotaSpecError


def _bad_request(message: str) -> Response:
    response = jsonify({"error": "invalid_request", "error_description": message})
    response.status_code = 400
    return response


#: ``127.0.0.1``, ``localhost`` or ``[::1]``, with any port (or none).
_LOOPBACK_HOST = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?", re.IGNORECASE)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _refused(status: int, error: str, message: str) -> Response:
    response = jsonify({"error": error, "error_description": message})
    response.status_code = status
    return response


def only_local_json_requests() -> Response | None:
    """Refuse another ``Host`` (421) and a POST or DELETE that isn't JSON (415)."""
    if not _LOOPBACK_HOST.fullmatch(request.host):
        return _refused(
            421, "misdirected_request", "the development endpoints answer only a loopback Host"
        )
    if request.method in BODY_METHODS and request.mimetype != "application/json":
        return _refused(
            415, "unsupported_media_type", "send Content-Type: application/json (e.g. {})"
        )
    return None


def _json_body() -> dict[str, Any] | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


bp = Blueprint("devtools", __name__, url_prefix="/_local")
bp.before_request(only_local_json_requests)


@bp.get("/health")
def health() -> Response:
    state = stand_in()
    return jsonify({"status": "ok", "pool_id": state.pool_id})


@bp.get("/outbox")
def outbox() -> Response:
    state = stand_in()
    return jsonify(
        state.outbox.messages(
            to=request.args.get("to"),
            username=request.args.get("username"),
            purpose=request.args.get("purpose"),
        )
    )


@bp.delete("/outbox")
def clear_outbox() -> Response:
    state = stand_in()
    state.outbox.clear()
    return Response(status=204)


@bp.get("/faults")
def faults() -> Response:
    state = stand_in()
    return jsonify(state.faults.active())


@bp.post("/faults")
def add_fault() -> Response:
    state = stand_in()
    body = _json_body()
    if body is None:
        return _bad_request("send a JSON object")
    try:
        fault = state.faults.add(body)
    except FaultSpecError as error:
        return _bad_request(str(error))
    response = jsonify(vars(fault))
    response.status_code = 201
    return response


@bp.delete("/faults")
def clear_faults() -> Response:
    state = stand_in()
    state.faults.clear()
    return Response(status=204)


@bp.get("/id-token-forgery")
def id_token_forgery() -> Response:
    return jsonify({"kind": stand_in().id_token_forgery})


@bp.post("/id-token-forgery")
def forge_next_id_token() -> Response:
    """The next hosted-UI sign-in's ID token is forged: ``{"kind": "audience"}`` (the kinds are
    ``forgery.FORGERIES``'s). Once; ``DELETE`` or ``POST /_local/reset`` drops it."""
    state = stand_in()
    try:
        kind = validated_kind(_json_body())
    except ForgerySpecError as error:
        return _bad_request(str(error))
    with state.lock:
        state.id_token_forgery = kind
    return jsonify({"kind": kind})


@bp.delete("/id-token-forgery")
def drop_id_token_forgery() -> Response:
    state = stand_in()
    with state.lock:
        state.id_token_forgery = None
    return Response(status=204)


@bp.get("/quotas")
def quotas() -> Response:
    """Each quota category's rate, calls accepted and throttled (in all and per second, for
    the last ten minutes), and the most accepted in any one-second window."""
    return jsonify(stand_in().quotas.snapshot())


@bp.route("/quotas", methods=["PUT", "POST"])
def set_quotas() -> Response:
    """Set the named categories' rates (``{"UserUpdate": 25, "UserRead": null}``; null is
    unlimited); the others keep theirs. ``POST /_local/reset`` restores the starting ones."""
    body = _json_body()
    if body is None:
        return _bad_request('send {"UserUpdate": 25, "UserRead": null}')
    try:
        rates = stand_in().quotas.set_rates(body)
    except QuotaSpecError as error:
        return _bad_request(str(error))
    return jsonify({"rates": rates})


@bp.delete("/quotas/stats")
def clear_quota_stats() -> Response:
    stand_in().quotas.clear_stats()
    return Response(status=204)


@bp.post("/reset")
def reset() -> Response:
    state = stand_in()
    state.reset()
    return jsonify({"status": "reset"})


@bp.get("/stats")
def stats() -> Response:
    state = stand_in()
    return jsonify(state.stats.snapshot())


@bp.delete("/stats")
def clear_stats() -> Response:
    state = stand_in()
    state.stats.clear()
    return Response(status=204)


@bp.post("/tokens/expire")
def expire_tokens() -> Response:
    state = stand_in()
    body = _json_body()
    if not body or not body.get("username"):
        return _bad_request('send {"username": "..."}')
    with state.lock:
        expired = state.pool.expire_access_tokens(body["username"])
    return jsonify({"expired": expired})


@bp.post("/codes/expire")
def expire_codes() -> Response:
    state = stand_in()
    body = _json_body()
    if not body or not body.get("username"):
        return _bad_request('send {"username": "..."}')
    with state.lock:
        aged = state.attribute_codes.age(body["username"], ATTRIBUTE_CODE_VALIDITY + 1)
    return jsonify({"expired": aged})


@bp.post("/sign-ins/backdate")
def backdate_next_sign_in() -> Response:
    """Make a user's next interactive sign-in ``seconds`` old already (its ``auth_time``), so
    a portal's fresh-sign-in window can be tested without waiting for it to pass."""
    state = stand_in()
    body = _json_body()
    seconds = body.get("seconds") if body else None
    if not body or not body.get("username") or not isinstance(seconds, int) or seconds < 0:
        return _bad_request('send {"username": "...", "seconds": 600}')
    with state.lock:
        state.backdated_sign_ins[body["username"]] = seconds
    return jsonify({"username": body["username"], "seconds": seconds})


@bp.get("/totp")
def current_totp() -> Response:
    """The authenticator-app code a user would read now (for tests and demos)."""
    state = stand_in()
    with state.lock:
        user = state.user(request.args.get("username", ""))
        found = state.totp_clock.current_code(user) if user is not None else None
    if found is None:
        return _bad_request("no such user, or the user has no authenticator app")
    return jsonify(found)


@bp.post("/clock")
def advance_clock() -> Response:
    """Move the authenticator clock forward: the next code without waiting 30 seconds."""
    state = stand_in()
    body = _json_body()
    seconds = body.get("advance_seconds") if body else None
    if not isinstance(seconds, int | float) or seconds < 0:
        return _bad_request('send {"advance_seconds": 30}')
    with state.lock:
        state.totp_clock.offset += seconds
    return jsonify({"offset_seconds": state.totp_clock.offset})
