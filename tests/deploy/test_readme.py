"""The README's deploy section is what this tier runs."""

from __future__ import annotations

import pytest

from tests.support.deployment import PROCFILE
from tests.support.install import ROOT
from tests.support.nginx import SERVER_BLOCK

pytestmark = pytest.mark.deploy

README = ROOT / "README.md"


def deploy_section() -> str:
    text = README.read_text()
    start = text.index("## Deploying behind gunicorn")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_shows_the_server_block_the_tier_runs() -> None:
    assert f"```nginx\n{SERVER_BLOCK.read_text()}```\n" in deploy_section()


def test_the_readme_serves_with_the_procfile_command() -> None:
    [command] = [line.removeprefix("web: ") for line in PROCFILE.read_text().splitlines()]
    assert f"/opt/mfa-portal/bin/{command}\n" in deploy_section()
    assert "TRUSTED_PROXIES=1" in deploy_section()
    assert "/opt/mfa-portal/bin/mfa-portal check\n" in deploy_section()
