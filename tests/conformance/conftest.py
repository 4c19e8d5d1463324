"""Run the vendored AWS-verified tests against the stand-in served over HTTP.

boto3 finds the stand-in through ``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``; the
credentials are placeholders (the stand-in checks none, and nothing reaches AWS).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from localcognito.server import LocalCognito

from .moto_support import use_stand_in


@pytest.fixture(scope="session")
def conformance_cognito() -> Iterator[LocalCognito]:
    with LocalCognito() as cognito:
        yield cognito


@pytest.fixture(autouse=True)
def boto3_talks_to_the_stand_in(
    conformance_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", conformance_cognito.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    use_stand_in(conformance_cognito)
