"""The integration tests' portals: gunicorn over real HTTP against a stand-in of the module's own.

A module names the portals it needs in ``PORTALS`` (name -> settings, as
``PortalFarm.portals_with`` takes them); without it, one portal with the default settings.
``portal`` is the one named ``default``. The stand-in (``farm.cognito``) lives as long as the
module; ``cognito`` is that stand-in, reset before and after the test that asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localcognito.server import LocalCognito
from tests.support.http import PortalFarm, portal_farm
from tests.support.servers import PortalServer

DEFAULT_PORTALS: dict[str, dict[str, Any]] = {"default": {}}


def portals_wanted(request: pytest.FixtureRequest) -> dict[str, dict[str, Any]]:
    return getattr(request.module, "PORTALS", DEFAULT_PORTALS)


@pytest.fixture(scope="module")
def farm(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalFarm]:
    """The module's stand-in, seeded with an address for each of its portals."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    slots = len(portals_wanted(request))
    with portal_farm(tmp_path_factory.mktemp(name), slots=slots) as farm:
        yield farm


@pytest.fixture(scope="module")
def portals(request: pytest.FixtureRequest, farm: PortalFarm) -> dict[str, PortalServer]:
    """The module's portals, started side by side the first time a test needs one."""
    wanted = portals_wanted(request)
    return dict(zip(wanted, farm.portals_with(*wanted.values()), strict=True))


@pytest.fixture(scope="module")
def portal(portals: dict[str, PortalServer]) -> PortalServer:
    """The portal as deployed by default without Redis (one gunicorn worker, the disk store)."""
    return portals["default"]


@pytest.fixture
def cognito(farm: PortalFarm) -> Iterator[LocalCognito]:
    """The module's stand-in, as seeded, and reset again afterwards."""
    assert farm.cognito is not None
    farm.cognito.reset()
    yield farm.cognito
    farm.cognito.reset()
