"""Write docs/error-catalog.md from app/errors.py (a unit test checks it is up to date)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.errors import CATALOG  # noqa: E402

HEADER = """# Error catalog

Generated from `app/errors.py` by `uv run python scripts/catalog_table.py`; do not edit by hand.
Every error code that botocore's model lists for the operations the portal calls has an entry
(`tests/unit/test_catalog.py` fails otherwise). `code:variant` rows refine a code in one situation.

"""
COLUMNS = (
    "Cognito code or condition",
    "What the person reads",
    "Settings changed",
    "Next action",
    "Session ends",
    "Log hint for operators",
)


def render() -> str:
    rows = [
        f"| `{key}` | {entry.message} | {entry.changed.value} | {entry.next_action.value} "
        f"| {'yes' if entry.ends_session else 'no'} | {entry.operator_hint or ''} |"
        for key, entry in sorted(CATALOG.items())
    ]
    table = [f"| {' | '.join(COLUMNS)} |", "|" + " --- |" * len(COLUMNS), *rows]
    return HEADER + "\n".join(table) + "\n"


if __name__ == "__main__":
    (ROOT / "docs" / "error-catalog.md").write_text(render())
