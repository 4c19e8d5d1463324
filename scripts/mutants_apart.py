"""Run the mutants mutmut can't: decorated functions (the views) and functions run at import.

mutmut 3.8.1 never mutates a decorated function (``@bp.get``, ``@login_required``: every view of
the portal), and it imports the portal once and switches a mutant on in each forked child, so a
function that only runs while its module is imported (``app/errors.py``'s ``_retry`` and friends,
which build the catalog) never runs with its mutant on. This script makes mutmut's own mutants of
those functions (a decorated one is mutated without its decorators, which are then put back), writes
each into a copy of the repository and runs the given tests in a fresh interpreter:

    # every decorated function of app/phone.py, the unit tests, then the integration tests on
    # the mutants the unit tests let through
    uv run python scripts/mutants_apart.py phone -- tests/unit/test_phone_view.py \\
        -- tests/integration/test_texts_budgets.py

    # named functions (here: the catalog's builders, which run at import)
    uv run python scripts/mutants_apart.py errors _retry _support _sign_in_again _bad_code \\
        -- tests/unit/test_catalog.py

With no function named, every decorated top-level function of the module is mutated; naming
mutants (``x_change__mutmut_4``) runs only those (then only those: don't mix the two), and a
name that matches nothing is an error. Each further ``-- TESTS`` runs only on the mutants the
tests before it let through. Prints ``killed`` or ``survived`` per mutant, then the count and
the survivors; ``--show app.MODULE.x_FUNCTION__mutmut_N`` prints one mutant's change instead.
``MUTMUT_CHILDREN`` (default 2) copies run at once. The copies live in a temporary directory,
removed afterwards; the working tree is never touched. See docs/testing.md.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Queue

import libcst as cst
from mutmut.mutation.diff_apply import find_top_level_function_or_method, read_mutant_function
from mutmut.mutation.file_mutation import mutate_file_contents

ROOT = Path(__file__).resolve().parent.parent


class Mutants:
    """mutmut's mutants of some top-level functions of one module of ``app/``."""

    def __init__(self, module: str, functions: list[str]) -> None:
        """``functions``: names of functions, or of single mutants (``x_change__mutmut_4``); none
        for every decorated function."""
        self.path = f"app/{module}.py"
        self.source = (ROOT / self.path).read_text()
        self.original = cst.parse_module(self.source)
        decorated = {
            node.name.value
            for node in self.original.body
            if isinstance(node, cst.FunctionDef) and node.decorators
        }
        only = {name for name in functions if "__mutmut_" in name}
        chosen = {function_of(name) if name in only else name for name in functions} or decorated
        # mutmut skips decorated functions: it is given them bare, and the decorators come back
        # in `source_with`.
        bare = self.original.visit(_StripDecorators(chosen & decorated))
        mutated = mutate_file_contents(self.path, bare.code)
        self.every_mutant = cst.parse_module(mutated.code)
        self.names = [
            f"app.{module}.{name}"
            for name in mutated.mutant_names
            if function_of(name) in chosen and (not only or name in only)
        ]

    def source_with(self, name: str) -> str:
        """The module's source with one function replaced by its mutant ``name``."""
        function = function_of(name)
        target = find_top_level_function_or_method(self.original, function)
        assert target is not None, function
        mutant = read_mutant_function(self.every_mutant, name).with_changes(
            name=cst.Name(function), decorators=target.decorators
        )
        return self.original.deep_replace(target, mutant).code

    def diff(self, name: str) -> str:
        return "".join(
            difflib.unified_diff(
                self.source.splitlines(keepends=True),
                self.source_with(name).splitlines(keepends=True),
                self.path,
                f"{self.path} ({name})",
            )
        )


def function_of(mutant: str) -> str:
    """``update`` for ``app.phone.x_update__mutmut_3``."""
    return mutant.rpartition(".")[2].rpartition("__mutmut_")[0].removeprefix("x_")


class _StripDecorators(cst.CSTTransformer):
    def __init__(self, functions: set[str]) -> None:
        self.functions = functions

    def leave_FunctionDef(  # noqa: N802 (libcst's name)
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original_node.name.value in self.functions:
            return updated_node.with_changes(decorators=[])
        return updated_node


def survivors_of(mutants: Mutants, names: list[str], tests: list[str], copies: Queue) -> list[str]:
    """Run ``tests`` against each mutant in ``names``; the names of those no test failed on."""

    def run(name: str) -> tuple[str, bool]:
        copy = copies.get()
        try:
            (copy / mutants.path).write_text(mutants.source_with(name))
            outcome = subprocess.run(
                [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                cwd=copy,
                capture_output=True,
                check=False,
            )
        finally:
            copies.put(copy)
        print(f"{'killed' if outcome.returncode else 'survived'}: {name}", flush=True)
        return name, outcome.returncode == 0

    with ThreadPoolExecutor(max_workers=copies.qsize()) as pool:
        return [name for name, survived in pool.map(run, names) if survived]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--show"] and len(argv) == 2 and argv[1].count(".") >= 2:
        name = argv[1]
        print(Mutants(name.split(".")[1], [name.rpartition(".")[2]]).diff(name))
        return 0
    if "--" not in argv or argv.index("--") == 0:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    module, functions = argv[0], argv[1:split]
    stages = [stage.split() for stage in " ".join(argv[split + 1 :]).split(" -- ")]
    mutants = Mutants(module, functions)
    if not mutants.names:
        print(
            f"no mutants of {functions or 'decorated functions'} in app/{module}.py",
            file=sys.stderr,
        )
        return 2
    copies: Queue = Queue()
    with tempfile.TemporaryDirectory(prefix="mutants-apart-") as scratch:
        for index in range(max(1, int(os.environ.get("MUTMUT_CHILDREN", "2")))):
            copy = Path(scratch) / f"repo{index}"
            shutil.copytree(
                ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "mutants", "__pycache__")
            )
            copies.put(copy)
        survivors = mutants.names
        for tests in stages:
            survivors = survivors_of(mutants, survivors, tests, copies)
    total = len(mutants.names)
    print(f"{mutants.path}, apart: {total - len(survivors)} / {total} killed")
    for name in survivors:
        print(f"  survived: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
