"""Unit-level fixtures: the portal app with a stubbed Cognito client (botocore's Stubber)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from app import create_app
from app.config import Settings, load_settings
from tests.support.unit import portal_env, sign_in
from tests.unit.oauth import use_local_metadata

_SHARED_SESSION = boto3.session.Session()


class _MemoryBytecodeCache(BytecodeCache):
    """Templates compiled once per run rather than once per test's app."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CACHE = _MemoryBytecodeCache()


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return load_settings(portal_env(tmp_path))


@pytest.fixture
def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """Clients share one boto3 session and templates one compiled cache, loaded once per run."""
    monkeypatch.setattr(boto3.session, "Session", lambda: _SHARED_SESSION)
    app = create_app(settings)
    app.jinja_env.bytecode_cache = _TEMPLATE_CACHE
    return app


@pytest.fixture
def stubber(app: Flask) -> Iterator[Stubber]:
    with Stubber(app.extensions["mfa_portal.cognito"].client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def signed_in(client: FlaskClient) -> FlaskClient:
    sign_in(client)
    return client


@pytest.fixture
def cognito_calls(app: Flask) -> list[str]:
    """The names of the Cognito operations the portal called, stubbed or not."""
    calls: list[str] = []

    def record(model: Any, **_kwargs: Any) -> None:
        calls.append(model.name)

    app.extensions["mfa_portal.cognito"].client.meta.events.register(
        "before-parameter-build.cognito-idp", record
    )
    return calls


@pytest.fixture
def oauth_metadata(app: Flask) -> dict[str, Any]:
    return use_local_metadata(app)
