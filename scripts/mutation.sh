#!/usr/bin/env bash
# Mutation testing of the modules that guard people (docs/testing.md): mutmut alters one line at
# a time (a flipped comparison, a dropped call, a changed string) and runs the unit tests
# against each change; a mutant the tests don't notice "survived".
#
#   scripts/mutation.sh                     # every module in [tool.mutmut] source_paths
#   scripts/mutation.sh protection budgets  # app/protection.py and app/budgets.py only
#
# Prints, per module: killed / total and the surviving mutants (`uv run mutmut show NAME` shows
# one). Works on a clean clone after `uv sync`. mutmut works in ./mutants/ (git-ignored): it is
# rebuilt at each run and left for `uv run mutmut results` / `show`; `rm -rf mutants` afterwards.
# MUTMUT_CHILDREN (default 2) is how many mutants run at once.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -eq 0 ]; then
  mapfile -t modules < <(uv run python - <<'PY'
import tomllib
from pathlib import Path

for path in tomllib.loads(Path("pyproject.toml").read_text())["tool"]["mutmut"]["source_paths"]:
    print(Path(path).stem)
PY
)
else
  modules=("$@")
fi

rm -rf mutants
for module in "${modules[@]}"; do
  module="${module#app/}"
  module="${module%.py}"
  if ! grep -q "\"app/$module.py\"" pyproject.toml; then
    echo "app/$module.py is not in [tool.mutmut] source_paths (pyproject.toml)" >&2
    exit 2
  fi
  echo "== app/$module.py" >&2
  uv run mutmut run --max-children "${MUTMUT_CHILDREN:-2}" "app.$module.*" >&2
  uv run mutmut results --all true | MODULE="$module" uv run python -c '
import os
import sys
from collections import Counter

module = os.environ["MODULE"]
prefix = f"app.{module}."
rows = [line.strip().rsplit(": ", 1) for line in sys.stdin if line.strip().startswith(prefix)]
count = Counter(status for _, status in rows)
total = len(rows)
caught = count["killed"] + count["timeout"]
share = 100 * caught / total if total else 0.0
others = ", ".join(f"{n} {s}" for s, n in sorted(count.items()) if s not in ("killed", "timeout"))
print(f"app/{module}.py: {caught} / {total} killed ({share:.1f}%)"
      + (f"; {others}" if others else ""))
for name, status in rows:
    if status not in ("killed", "timeout"):
        print(f"  {status}: {name}")
'
done
