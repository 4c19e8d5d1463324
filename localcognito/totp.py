"""Time-based one-time passwords (RFC 6238 over RFC 4226): what authenticator apps compute.

HMAC-SHA1, 6 digits, a 30-second step, secrets in unpadded base32 as Cognito's
``AssociateSoftwareToken`` hands them out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 32
DRIFT_STEPS = 1
"""Codes of the neighbouring steps are accepted too, for clocks that are a little off (RFC 6238
section 5.2). Cognito does not document its window; one step either way is the RFC's advice."""


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def step_at(moment: float) -> int:
    return int(moment // STEP_SECONDS)


def code_for_step(secret: str, step: int) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**DIGITS:0{DIGITS}d}"


def code_at(secret: str, moment: float) -> str:
    return code_for_step(secret, step_at(moment))


def matching_step(secret: str, code: str, moment: float) -> int | None:
    """The time step whose code is ``code``, within the drift window around ``moment``."""
    current = step_at(moment)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_for_step(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from a QR code."""
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer})
