"""The ``otpauth://`` URI, its QR code and the typed secret."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import segno

from app.observability import redact
from app.otpauth import provisioning_uri, qr_svg, secret_groups

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_the_uri_names_the_issuer_in_the_label_and_the_parameters() -> None:
    uri = provisioning_uri(SECRET, "alice@example.com", "Example Corp")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Example Corp:alice@example.com"
    assert parse_qs(parts.query) == {"secret": [SECRET], "issuer": ["Example Corp"]}
    assert "+" not in uri, "apps read a space as %20, not +"


def test_the_qr_code_is_the_uri() -> None:
    uri = provisioning_uri(SECRET, "alice@example.com", "Example Corp")
    svg = str(qr_svg(uri, "QR code"))
    expected = segno.make(uri, error="m", micro=False).svg_inline(border=4)
    dark_modules = re.findall(r' d="([^"]+)"', expected)[-1]
    assert f'stroke="#000" d="{dark_modules}"' in svg
    assert svg.startswith('<svg role="img" focusable="false" ')
    assert "style" not in svg
    assert "<script" not in svg


def test_the_label_is_escaped() -> None:
    svg = str(qr_svg("otpauth://totp/x", 'a<b onload="x">&'))
    assert '<title>a&lt;b onload="x"&gt;&amp;</title>' in svg
    assert "<b " not in svg


def test_the_secret_is_grouped_in_fours() -> None:
    assert secret_groups("ABCDEFGHIJ") == ["ABCD", "EFGH", "IJ"]
    assert "".join(secret_groups(SECRET)) == SECRET


def test_a_secret_in_a_uri_is_redacted_from_logs() -> None:
    line = redact(f"got {provisioning_uri(SECRET, 'alice', 'Example')}")
    assert SECRET not in line
    assert "secret=[redacted]" in line
