"""Run mutmut's mutants of functions that run at import time, which mutmut itself can't test.

mutmut imports the portal once and switches a mutant on in each forked child, so a function that
only runs while its module is imported (``app/errors.py``'s ``_retry`` and friends, which build
the catalog) is never called with its mutant on: ``scripts/mutation.sh`` lists those mutants as
survivors whatever the tests do. This script writes each such mutant into a copy of the repository
and runs the given tests in a fresh interpreter, so the module is imported with the mutant in it:

    uv run python scripts/mutants_at_import.py errors _retry _support _sign_in_again _bad_code \\
        -- tests/unit/test_catalog.py

Prints ``killed`` or ``survived`` per mutant and the count. The copy is in a temporary directory,
removed afterwards; the working tree is never touched. See docs/testing.md.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import libcst as cst
from mutmut.mutation.diff_apply import find_top_level_function_or_method, read_mutant_function
from mutmut.mutation.file_mutation import mutate_file_contents

ROOT = Path(__file__).resolve().parent.parent


def mutants_of(module: str, functions: list[str]) -> tuple[str, cst.Module, list[str]]:
    """The module's source, its file of every mutant, and the names of the chosen functions'."""
    path = f"app/{module}.py"
    source = (ROOT / path).read_text()
    mutated = mutate_file_contents(path, source)
    names = [
        f"app.{module}.{name}"
        for name in mutated.mutant_names
        if name.rpartition("__mutmut_")[0].removeprefix("x_") in functions
    ]
    return source, cst.parse_module(mutated.code), names


def with_mutant(source: str, every_mutant: cst.Module, name: str) -> str:
    """The module's source with one function replaced by its mutant ``name``."""
    function = name.rpartition(".")[2].rpartition("__mutmut_")[0].removeprefix("x_")
    original = cst.parse_module(source)
    target = find_top_level_function_or_method(original, function)
    assert target is not None, function
    mutant = read_mutant_function(every_mutant, name).with_changes(name=cst.Name(function))
    return original.deep_replace(target, mutant).code


def main(argv: list[str]) -> int:
    if "--" not in argv or len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    module, functions, tests = argv[0], argv[1:split], argv[split + 1 :]
    source, every_mutant, names = mutants_of(module, functions)
    survivors = []
    with tempfile.TemporaryDirectory(prefix="mutants-at-import-") as scratch:
        copy = Path(scratch) / "repo"
        shutil.copytree(
            ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "mutants", "__pycache__")
        )
        for name in names:
            (copy / f"app/{module}.py").write_text(with_mutant(source, every_mutant, name))
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                cwd=copy,
                capture_output=True,
                check=False,
            )
            status = "killed" if run.returncode else "survived"
            if run.returncode == 0:
                survivors.append(name)
            print(f"{status}: {name}", flush=True)
    print(f"app/{module}.py at import: {len(names) - len(survivors)} / {len(names)} killed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
