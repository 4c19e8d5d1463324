"""Shared fixtures: the local Cognito stand-in, started once per test session."""

from collections.abc import Iterator

import pytest

from localcognito.server import LocalCognito


@pytest.fixture(scope="session")
def local_cognito() -> Iterator[LocalCognito]:
    with LocalCognito() as cognito:
        yield cognito


@pytest.fixture
def fresh_cognito(local_cognito: LocalCognito) -> LocalCognito:
    local_cognito.reset()
    return local_cognito
