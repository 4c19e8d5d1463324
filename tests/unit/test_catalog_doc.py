"""The README's error catalog page is generated from the catalog and kept up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_docs_error_catalog_matches_the_code() -> None:
    spec = importlib.util.spec_from_file_location(
        "catalog_table", ROOT / "scripts" / "catalog_table.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (ROOT / "docs" / "error-catalog.md").read_text()
    assert committed == module.render(), "run: uv run python scripts/catalog_table.py"
