"""`mfa-portal` command line: one function per subcommand."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence

PORTAL_URL = "http://127.0.0.1:8000"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mfa-portal", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser(
        "local-cognito", help="serve the local Cognito stand-in (API + hosted UI) on one origin"
    )
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=9229)
    local.add_argument("--seed", metavar="FILE", help="JSON or TOML seed (default: built-in)")
    local.set_defaults(handler=run_local_cognito)
    demo = commands.add_parser(
        "demo", help="run the portal under gunicorn, wired to the local Cognito stand-in"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000, help="the portal's port (default 8000)")
    demo.add_argument("--cognito-port", type=int, default=9229, help="the stand-in's port")
    demo.set_defaults(handler=run_demo)
    return parser


def run_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo as start_demo

    return start_demo(args.host, args.port, args.cognito_port)


def run_local_cognito(args: argparse.Namespace) -> int:
    from .seed import SeedError, load_seed_file
    from .server import LocalCognito

    try:
        seed = load_seed_file(args.seed) if args.seed else None
    except (OSError, SeedError) as error:
        print(f"mfa-portal local-cognito: cannot use seed: {error}", file=sys.stderr)
        return 2
    try:
        cognito = LocalCognito(seed, host=args.host, port=args.port, log_requests=True).start()
    except OSError as error:
        print(
            f"mfa-portal local-cognito: cannot listen on {args.host}:{args.port}: {error}",
            file=sys.stderr,
        )
        return 2
    print(describe(cognito), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        cognito.serve_forever()
    return 0


def describe(cognito: object) -> str:
    from .server import LocalCognito

    assert isinstance(cognito, LocalCognito)
    lines = [
        f"Local Cognito is ready at {cognito.url}",
        f"  region          {cognito.region}",
        f"  user pool id    {cognito.pool_id}",
    ]
    for client in cognito.seed["clients"]:
        kind = "confidential" if client.get("secret") else "public"
        lines.append(f"  client id       {client['id']} ({kind})")
        if client.get("secret"):
            lines.append(f"  client secret   {client['secret']}")
    lines += [
        f"  hosted UI       {cognito.url}/oauth2/authorize  (sign-in page: {cognito.url}/login)",
        f"  discovery       {cognito.issuer}/.well-known/openid-configuration",
        f"  API endpoint    {cognito.url}  (boto3 endpoint_url)",
        f"  SMS outbox      {cognito.url}/_local/outbox",
        "",
        "Users:",
    ]
    for user in cognito.seed["users"]:
        phone = user.get("phone_number") or "no phone number"
        if user.get("phone_number"):
            phone += " (verified)" if user.get("phone_number_verified") else " (not verified)"
        lines.append(f"  {user['username']:<10} {user['password']:<18} {phone}")
    lines += ["", "Portal environment:"]
    lines += [f"export {k}={v}" for k, v in cognito.portal_env(PORTAL_URL).items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
