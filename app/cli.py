"""The ``mfa-portal`` command: ``serve`` and ``check`` for operators; ``demo`` and
``local-cognito`` where the development extra (``mfa-portal[local]``) is installed."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .config import POOL_MFA_MODES

LOCAL_EXTRA_HINT = (
    "needs the local Cognito stand-in, which production installs leave out: "
    "install it with pip install 'mfa-portal[local]' (or run uv sync in a source checkout)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mfa-portal", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the portal under gunicorn with its settings (what the Procfile runs); "
        "further options go to gunicorn",
    )
    serve.set_defaults(handler=run_serve)
    check = commands.add_parser(
        "check", help="check this environment's Cognito settings before going live"
    )
    check.set_defaults(handler=run_check)
    local = commands.add_parser(
        "local-cognito", help="serve the local Cognito stand-in (API + hosted UI) on one origin"
    )
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=9229)
    local.add_argument("--seed", metavar="FILE", help="JSON or TOML seed (default: built-in)")
    local.add_argument(
        "--portal-url",
        action="append",
        metavar="URL",
        help="a portal's base URL its app clients accept (repeatable; default "
        "http://127.0.0.1:8000); the first one is in the printed environment",
    )
    add_pool_mfa_option(local)
    local.add_argument(
        "--quota",
        action="append",
        type=quota_setting,
        metavar="CATEGORY=RATE",
        help="enforce a Cognito request-rate quota, in requests per second, on one category "
        "(UserRead, UserUpdate, UserAccountRecovery, UserToken, UserAuthentication), e.g. "
        "UserUpdate=25 (repeatable; default: no quotas)",
    )
    local.set_defaults(handler=run_local_cognito)
    demo = commands.add_parser(
        "demo", help="run the portal under gunicorn, wired to the local Cognito stand-in"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000, help="the portal's port (default 8000)")
    demo.add_argument("--cognito-port", type=int, default=9229, help="the stand-in's port")
    add_pool_mfa_option(demo)
    demo.set_defaults(handler=run_demo)
    return parser


def add_pool_mfa_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--pool-mfa",
        choices=POOL_MFA_MODES,
        default=None,
        help="the stand-in's user pool MFA mode (default: the seed's, optional)",
    )


def quota_setting(text: str) -> tuple[str, int]:
    """``CATEGORY=RATE`` as (category, rate); the stand-in checks the category is one of its."""
    category, _, rate = text.partition("=")
    if not category or not rate.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not CATEGORY=RATE, e.g. UserUpdate=25")
    return category, int(rate)


def run_serve(args: argparse.Namespace, extra: Sequence[str]) -> int:
    from .serving import serve

    return serve(extra)


def run_check(args: argparse.Namespace, extra: Sequence[str]) -> int:
    from .preflight import main as preflight

    return preflight(extra)


def stand_in_installed(command: str) -> bool:
    """Whether the stand-in (and moto, which it runs on) can be loaded; if not, one line says
    what to install."""
    try:
        importlib.import_module("localcognito.server")
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("moto", "localcognito"):
            raise
        print(f"mfa-portal {command}: {LOCAL_EXTRA_HINT}", file=sys.stderr)
        return False
    return True


def run_demo(args: argparse.Namespace, extra: Sequence[str]) -> int:
    if not stand_in_installed("demo"):
        return 2
    from localcognito.demo import run_demo as start_demo

    return start_demo(args.host, args.port, args.cognito_port, pool_mfa=args.pool_mfa)


def run_local_cognito(args: argparse.Namespace, extra: Sequence[str]) -> int:
    if not stand_in_installed("local-cognito"):
        return 2
    from localcognito.cli import run_local_cognito as start_stand_in

    return start_stand_in(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("serve", "check"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return int(args.handler(args, extra))


if __name__ == "__main__":
    raise SystemExit(main())
