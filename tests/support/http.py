"""Plain-HTTP helpers for the integration tests: a requests.Session walks the hosted UI like a
browser (redirects followed by hand, so every hop can be inspected), and extra portals can be
started with their own settings next to a stand-in of their own."""

from __future__ import annotations

import copy
import html
import re
import secrets
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import boto3
import requests

from localcognito.server import LocalCognito
from localcognito.tokens import ADMIN_SCOPE
from tests.support.redis_server import RedisServer
from tests.support.servers import PortalServer, free_port, gunicorn_env, seed_for

PASSWORDS = {"alice": "Alice-Passw0rd!", "bob": "Bob-Passw0rd!", "carol": "Carol-Passw0rd!"}
ALICE_PHONE = "+12025550100"
#: More hops than this while following one navigation is a redirect loop.
MAX_HOPS = 12
TIMEOUT = 10

_FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
_HIDDEN_SESSION = re.compile(r'name="session" value="([^"]+)"')
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class RedirectLoopError(AssertionError):
    pass


def follow(http: requests.Session, response: requests.Response) -> requests.Response:
    """Follow redirects by hand; the returned response's ``history`` holds every hop."""
    hops = [*response.history, response]
    while response.is_redirect:
        if len(hops) > MAX_HOPS:
            raise RedirectLoopError(" -> ".join(r.url for r in hops))
        target = urljoin(response.url, response.headers["Location"])
        response = http.get(target, allow_redirects=False, timeout=TIMEOUT)
        hops.append(response)
    response.history = hops[:-1]
    return response


def get(http: requests.Session, url: str, **kwargs: Any) -> requests.Response:
    """GET and follow every redirect by hand."""
    return follow(http, http.get(url, allow_redirects=False, timeout=TIMEOUT, **kwargs))


def post(http: requests.Session, url: str, **kwargs: Any) -> requests.Response:
    """POST without following: the tests look at the 303 itself."""
    return http.post(url, allow_redirects=False, timeout=TIMEOUT, **kwargs)


def is_hosted_login_page(response: requests.Response) -> bool:
    return urlsplit(response.url).path == "/login" and 'name="password"' in response.text


def is_sms_page(response: requests.Response) -> bool:
    return "We texted a code to" in response.text


def _form_action(response: requests.Response) -> str:
    match = _FORM_ACTION.search(response.text)
    assert match, f"no form on {response.url}"
    return urljoin(response.url, html.unescape(match.group(1)))


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def latest_sms_code(cognito_url: str, username: str) -> str:
    messages = requests.get(
        f"{cognito_url}/_local/outbox", params={"username": username}, timeout=TIMEOUT
    ).json()
    assert messages, f"no message was 'texted' to {username}"
    return messages[-1]["code"]


def submit_hosted_login(
    http: requests.Session, page: requests.Response, username: str, password: str
) -> requests.Response:
    """Fill in the hosted UI's sign-in form (and the SMS code from the outbox, if asked)."""
    assert is_hosted_login_page(page), f"expected the hosted UI sign-in page, got {page.url}"
    hops = [*page.history, page]
    response = http.post(
        _form_action(page),
        data={"username": username, "password": password},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    if response.status_code == 200 and is_sms_page(response):
        hops.append(response)
        session = _HIDDEN_SESSION.search(response.text)
        assert session
        code = latest_sms_code(origin(response.url), username)
        response = http.post(
            _form_action(response),
            data={"session": html.unescape(session.group(1)), "code": code},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
    assert response.is_redirect, f"sign-in at the hosted UI failed: {response.text[:500]}"
    response.history = hops
    return follow(http, response)


def sign_in(
    session: requests.Session,
    portal_url: str,
    username: str,
    password: str | None = None,
    *,
    next_path: str | None = None,
) -> requests.Response:
    """Sign in through ``/login`` and the hosted UI's form; the final response (usually
    ``/settings/mfa``), with every hop (including the callback and its code) in ``history``."""
    params = {"next": next_path} if next_path is not None else None
    page = get(session, f"{portal_url}/login", params=params)
    return submit_hosted_login(session, page, username, password or PASSWORDS[username])


def csrf_token(page: requests.Response | str) -> str:
    text = page if isinstance(page, str) else page.text
    match = _CSRF.search(text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def session_cookie(http: requests.Session, portal: PortalServer) -> str | None:
    https = portal.env["PORTAL_BASE_URL"].startswith("https")
    return http.cookies.get("__Host-mfa_portal" if https else "mfa_portal")


def set_cookies(response: requests.Response) -> list[str]:
    """Every Set-Cookie header, unparsed."""
    raw = response.raw.headers
    return list(raw.getlist("Set-Cookie")) if hasattr(raw, "getlist") else []


def change_mfa(
    http: requests.Session, portal_url: str, enable: bool, *, confirmed: bool = True
) -> requests.Response:
    """Load /settings/mfa and post its form (turning off is confirmed on a second step)."""
    page = get(http, f"{portal_url}/settings/mfa")
    data = {"csrf_token": csrf_token(page), "enable": "on" if enable else "off"}
    if not enable and confirmed:
        data["confirmed"] = "yes"
    return post(http, f"{portal_url}/settings/mfa", data=data)


# --- the stand-in, seen from outside the portal -----------------------------------------


def idp(cognito: LocalCognito) -> Any:
    return boto3.client("cognito-idp", endpoint_url=cognito.url, region_name=cognito.region)


def sms_mfa_at_standin(cognito: LocalCognito, username: str) -> bool:
    """SMS MFA as GetUser reports it, with an access token from a USER_PASSWORD_AUTH sign-in
    (answering the SMS challenge from the outbox when there is one)."""
    import base64
    import hashlib
    import hmac

    client = idp(cognito)
    params = {"USERNAME": username, "PASSWORD": PASSWORDS[username]}
    if cognito.client_secret:
        digest = hmac.new(
            cognito.client_secret.encode(), (username + cognito.client_id).encode(), hashlib.sha256
        ).digest()
        params["SECRET_HASH"] = base64.b64encode(digest).decode()
    answer = client.initiate_auth(
        ClientId=cognito.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
    )
    if answer.get("ChallengeName") == "SMS_MFA":
        responses = {
            "USERNAME": username,
            "SMS_MFA_CODE": latest_sms_code(cognito.url, username),
        }
        if "SECRET_HASH" in params:
            responses["SECRET_HASH"] = params["SECRET_HASH"]
        answer = client.respond_to_auth_challenge(
            ClientId=cognito.client_id,
            ChallengeName="SMS_MFA",
            Session=answer["Session"],
            ChallengeResponses=responses,
        )
    user = client.get_user(AccessToken=answer["AuthenticationResult"]["AccessToken"])
    return any(o.get("DeliveryMedium") == "SMS" for o in user.get("MFAOptions") or []) or (
        "SMS_MFA" in (user.get("UserMFASettingList") or [])
    )


def issued_tokens(cognito: LocalCognito, username: str | None = None) -> dict[str, list[str]]:
    """Every token the stand-in has issued (optionally to one user), newest last."""
    assert cognito.state is not None
    pool = cognito.state.pool
    with cognito.state.lock:
        families = [f for f in pool.families.values() if username in (None, f.username)]
        return {
            "refresh": [f.refresh_token for f in families],
            "access": [t for f in families for t in f.access_tokens],
            "id": [t for t, (_, user) in pool.id_tokens.items() if username in (None, user)],
        }


def latest_refresh_token(cognito: LocalCognito, username: str) -> str:
    return issued_tokens(cognito, username)["refresh"][-1]


def stats(cognito: LocalCognito) -> dict[str, dict[str, int]]:
    return requests.get(f"{cognito.url}/_local/stats", timeout=TIMEOUT).json()


def refresh_grant(cognito: LocalCognito, refresh_token: str) -> requests.Response:
    """The refresh_token grant at /oauth2/token, as the portal's app client."""
    return requests.post(
        f"{cognito.url}/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(cognito.client_id, cognito.client_secret or ""),
        timeout=TIMEOUT,
    )


def backdate_next_sign_in(cognito: LocalCognito, username: str, seconds: int) -> None:
    """Make the user's next sign-in at the stand-in ``seconds`` old (its ``auth_time``)."""
    response = requests.post(
        f"{cognito.url}/_local/sign-ins/backdate",
        json={"username": username, "seconds": seconds},
        timeout=5,
    )
    response.raise_for_status()


def inject(cognito: LocalCognito, operation: str, error: str, message: str, times: int = 1) -> None:
    requests.post(
        f"{cognito.url}/_local/faults",
        json={"operation": operation, "error": error, "message": message, "times": times},
        timeout=TIMEOUT,
    ).raise_for_status()


def inject_latency(
    cognito: LocalCognito, operation: str, latency_ms: int, times: int | None = None
) -> None:
    """The next call (or ``times`` calls) of ``operation`` answers ``latency_ms`` late (and is
    carried out)."""
    spec: dict[str, object] = {"operation": operation, "latency_ms": latency_ms}
    if times:
        spec["times"] = times
    requests.post(f"{cognito.url}/_local/faults", json=spec, timeout=TIMEOUT).raise_for_status()


def pending_faults(cognito: LocalCognito) -> list[dict[str, object]]:
    """The injected faults (and latencies) not used up yet."""
    return requests.get(f"{cognito.url}/_local/faults", timeout=TIMEOUT).json()


def wait_for_call(cognito: LocalCognito, operation: str, attempts: int = 200) -> None:
    """Until the stand-in has received a call of ``operation`` (e.g. one held by latency)."""
    for _ in range(attempts):
        if stats(cognito)["api"].get(operation):
            return
        time.sleep(0.05)
    raise AssertionError(f"the stand-in never received {operation}")


# --- portals with their own settings --------------------------------------------------------


@dataclass
class PortalFarm:
    """One stand-in (seeded for ``ports`` portal addresses) and portals started on demand,
    each with its own settings."""

    tmp: Path
    seed_overrides: dict[str, Any] = field(default_factory=dict)
    client_overrides: dict[str, Any] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)
    portals: list[PortalServer] = field(default_factory=list)
    cognito: LocalCognito | None = None

    def start(self, slots: int = 4, https_slots: int = 0) -> PortalFarm:
        self.ports = [free_port() for _ in range(slots)]
        urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        urls += [f"https://127.0.0.1:{p}" for p in self.ports[:https_slots]]
        seed = seed_for(*urls, **self.seed_overrides)
        for client in seed["clients"]:
            client.update(copy.deepcopy(self.client_overrides))
        self.cognito = LocalCognito(seed).start()
        return self

    def portal(self, *, https: bool = False, **env: str) -> PortalServer:
        return self.portals_with({"https": https, **env})[0]

    def portals_with(self, *settings: dict[str, Any]) -> list[PortalServer]:
        """Start one portal per settings dict, side by side (start-up is mostly imports).

        Each runs one gunicorn worker unless told otherwise, so that in-memory rate limits
        and a test's view of the portal are the same everywhere."""
        assert self.cognito is not None
        servers = []
        for overrides in settings:
            overrides = dict(overrides)
            https = bool(overrides.pop("https", False))
            port = self.ports[len(self.portals)]
            overrides = {"WEB_CONCURRENCY": "1", **overrides}
            env = gunicorn_env(self.cognito, port, self.tmp, **overrides)
            if https:
                env["PORTAL_BASE_URL"] = f"https://127.0.0.1:{port}"
            server = PortalServer(env, port, self.tmp / f"portal-{port}.log")
            self.portals.append(server)
            servers.append(server)
        with ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(PortalServer.start, servers))
        return servers

    def stop(self) -> None:
        for server in self.portals:
            server.stop(signal.SIGINT)  # quick shutdown: nothing in flight to drain
        if self.cognito is not None:
            self.cognito.stop()


@dataclass
class SharedRedisFarm(PortalFarm):
    """A PortalFarm whose portals are instances of one deployment: the same SECRET_KEY, one
    Redis, and two gunicorn workers each unless told otherwise (the scale tests)."""

    redis: RedisServer | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))

    def instances(self, count: int, db: int = 0, **env: str) -> list[PortalServer]:
        assert self.redis is not None
        shared = {"SECRET_KEY": self.secret_key, "REDIS_URL": self.redis.url(db)}
        return self.portals_with(*[{**shared, "WEB_CONCURRENCY": "2", **env}] * count)


@contextmanager
def portal_farm(
    tmp: Path,
    *,
    slots: int = 4,
    https_slots: int = 0,
    seed_overrides: dict[str, Any] | None = None,
    client_overrides: dict[str, Any] | None = None,
) -> Iterator[PortalFarm]:
    farm = PortalFarm(tmp, seed_overrides or {}, client_overrides or {})
    try:
        yield farm.start(slots, https_slots)
    finally:
        farm.stop()


SCOPES_WITHOUT_ADMIN = ["openid", "email", "phone", "profile"]
assert ADMIN_SCOPE not in SCOPES_WITHOUT_ADMIN
