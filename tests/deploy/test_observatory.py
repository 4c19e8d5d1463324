"""The MDN HTTP Observatory grade of the deployment the README describes: A+."""

from __future__ import annotations

import pytest

from tests.support.deployment import Deployment
from tests.support.observatory import ScannerUnavailableError, installed_scanner, points_lost

pytestmark = pytest.mark.deploy


@pytest.mark.timeout(420)  # the first run installs the scanner with npm (up to 300 s)
def test_the_observatory_grades_the_portal_behind_nginx_a_plus(
    fresh_deployment: Deployment,
) -> None:
    deployment = fresh_deployment
    try:
        scanner = installed_scanner()
    except ScannerUnavailableError as reason:
        pytest.skip(str(reason))
    result = scanner.scan(f"127.0.0.1:{deployment.ports.https}", deployment.certificates.ca_path)
    assert "error" not in result, result
    scan = result["scan"]
    print(f"MDN HTTP Observatory: grade {scan['grade']}, score {scan['score']}/100")  # with -rP
    lost = "\n".join(f"  {name}: {why}" for name, why in sorted(points_lost(result).items()))
    assert scan["grade"] == "A+", f"grade {scan['grade']}, score {scan['score']}:\n{lost}"
