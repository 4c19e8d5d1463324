"""What an authenticator app reads: the ``otpauth://`` URI, as a QR code and as typed text.

The QR code is inline SVG drawn on the server (segno): no image request, no script, and nothing
the Content-Security-Policy has to allow (SVG presentation attributes are not inline styles).
"""

from __future__ import annotations

import io
from urllib.parse import quote, urlencode

import segno
from markupsafe import Markup

#: Modules of blank margin around the code, as the QR specification asks for.
QUIET_ZONE = 4
MODULE_PIXELS = 4


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """``otpauth://totp/<issuer>:<account>?secret=...&issuer=...`` (Google Authenticator's Key
    Uri Format, which every common app reads); the issuer is in the label and the parameter."""
    label = quote(f"{issuer}:{account}", safe="@")
    query = urlencode({"secret": secret, "issuer": issuer}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str, label: str) -> Markup:
    """The URI as an inline SVG QR code, announced as an image with ``label``."""
    buffer = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        scale=MODULE_PIXELS,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        svgclass="qr-code",
        lineclass=None,
        title=label,
    )
    svg = buffer.getvalue().decode("utf-8")
    # segno writes only its own markup and the XML-escaped title (tests/unit/test_otpauth.py).
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))  # noqa: S704


def secret_groups(secret: str) -> list[str]:
    """The secret in groups of four characters, as people type it into an app."""
    return [secret[i : i + 4] for i in range(0, len(secret), 4)]
