"""`mfa-portal local-cognito`: the stand-in on its own, printing what a portal needs to use it.

The command line itself is the portal's (``app.cli``); ``python -m localcognito.cli`` is the same
as ``mfa-portal local-cognito``."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence

PORTAL_URL = "http://127.0.0.1:8000"
POOL_MFA_CHOICES = ("off", "optional", "required")


def run_local_cognito(args: argparse.Namespace) -> int:
    from .quotas import QuotaSpecError
    from .seed import DEFAULT_SEED, SeedError, load_seed_file, with_portals
    from .server import LocalCognito

    try:
        seed = load_seed_file(args.seed) if args.seed else DEFAULT_SEED
    except (OSError, SeedError) as error:
        print(f"mfa-portal local-cognito: cannot use seed: {error}", file=sys.stderr)
        return 2
    portals = args.portal_url or [PORTAL_URL]
    seed = with_portals(seed, *portals)
    try:
        cognito = LocalCognito(
            seed,
            host=args.host,
            port=args.port,
            log_requests=True,
            pool_mfa=args.pool_mfa,
            quotas=dict(args.quota or []),
        )
    except QuotaSpecError as error:
        print(f"mfa-portal local-cognito: --quota: {error}", file=sys.stderr)
        return 2
    try:
        cognito.start()
    except OSError as error:
        print(
            f"mfa-portal local-cognito: cannot listen on {args.host}:{args.port}: {error}",
            file=sys.stderr,
        )
        return 2
    print(describe(cognito, portals[0]), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        cognito.serve_forever()
    return 0


def describe(cognito: object, portal_url: str = PORTAL_URL) -> str:
    from .server import LocalCognito

    assert isinstance(cognito, LocalCognito)
    lines = [
        f"Local Cognito is ready at {cognito.url}",
        f"  region          {cognito.region}",
        f"  user pool id    {cognito.pool_id}",
        f"  pool MFA        {cognito.pool_mfa}",
        f"  request quotas  {describe_quotas(cognito.quotas)}",
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
    lines += [f"export {k}={v}" for k, v in cognito.portal_env(portal_url).items()]
    return "\n".join(lines)


def describe_quotas(quotas: dict[str, int | None]) -> str:
    limited = [f"{category} {rate}/s" for category, rate in quotas.items() if rate is not None]
    return ", ".join(limited) + "  (GET /_local/quotas)" if limited else "none"


def main(argv: Sequence[str] | None = None) -> int:
    from app.cli import main as mfa_portal

    return mfa_portal(sys.argv[1:] if argv is None else list(argv))


if __name__ == "__main__":
    raise SystemExit(main())
