"""Plain-HTTP and boto3 helpers for the local Cognito contract tests (no portal code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from localcognito.server import LocalCognito

CALLBACK = "http://127.0.0.1:8000/auth/callback"
PASSWORDS = {"alice": "Alice-Passw0rd!", "bob": "Bob-Passw0rd!", "carol": "Carol-Passw0rd!"}


def secret_hash(cognito: LocalCognito, username: str) -> str:
    assert cognito.client_secret
    digest = hmac.new(
        cognito.client_secret.encode(), (username + cognito.client_id).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def outbox(cognito: LocalCognito, **filters: str) -> list[dict[str, Any]]:
    response = requests.get(f"{cognito.url}/_local/outbox", params=filters, timeout=5)
    response.raise_for_status()
    return response.json()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class Authorization:
    code: str
    verifier: str
    state: str
    nonce: str


class HostedUi:
    """A browser stand-in: a requests.Session that follows redirects by hand."""

    def __init__(self, cognito: LocalCognito, client_id: str | None = None) -> None:
        self.cognito = cognito
        self.client_id = client_id or cognito.client_id
        self.http = requests.Session()

    def authorize_params(self, **overrides: str) -> dict[str, str]:
        self.verifier, challenge = pkce_pair()
        params = {
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid email phone aws.cognito.signin.user.admin",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return params

    def get(self, path: str, **params: str) -> requests.Response:
        return self.http.get(
            f"{self.cognito.url}{path}", params=params, allow_redirects=False, timeout=5
        )

    def post_form(self, location: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(
            f"{self.cognito.url}{location}", data=data, allow_redirects=False, timeout=5
        )

    def authorize(self, **overrides: str) -> tuple[requests.Response, dict[str, str]]:
        params = self.authorize_params(**overrides)
        return self.get("/oauth2/authorize", **params), params

    def sign_in(
        self,
        username: str,
        password: str | None = None,
        *,
        sms_code: str | None = None,
        **overrides: str,
    ) -> Authorization:
        """Authorize, sign in on /login (and the SMS step if asked), return the code."""
        response, params = self.authorize(**overrides)
        assert response.status_code == 302, response.text
        location = response.headers["Location"]
        if location.startswith(CALLBACK):
            return self._authorization(location, params)
        login_path = location.removeprefix(self.cognito.url)
        page = self.http.get(f"{self.cognito.url}{login_path}", timeout=5)
        assert 'for="username"' in page.text
        response = self.post_form(
            login_path, {"username": username, "password": password or PASSWORDS[username]}
        )
        if response.status_code == 200 and "We texted a code to" in response.text:
            code = sms_code or outbox(self.cognito, username=username)[-1]["code"]
            session = response.text.split('name="session" value="')[1].split('"')[0]
            mfa_path = f"/mfa?{urlsplit(login_path).query}"
            response = self.post_form(mfa_path, {"session": session, "code": code})
        assert response.status_code == 302, response.text
        return self._authorization(response.headers["Location"], params)

    def _authorization(self, location: str, params: dict[str, str]) -> Authorization:
        assert location.startswith(CALLBACK)
        query = query_of(location)
        assert query["state"] == params["state"]
        return Authorization(query["code"], self.verifier, params["state"], params["nonce"])

    def token(
        self, data: dict[str, str], *, basic: bool = True, secret: str | None = None
    ) -> requests.Response:
        secret = secret if secret is not None else self.cognito.client_secret
        auth = None
        body = dict(data)
        if self.client_id != self.cognito.client_id:
            body["client_id"] = self.client_id
        elif basic:
            auth = (self.client_id, secret or "")
        else:
            body.update({"client_id": self.client_id, "client_secret": secret or ""})
        return requests.post(
            f"{self.cognito.url}/oauth2/token",
            data=body,
            auth=auth,
            timeout=5,
            allow_redirects=False,
        )

    def exchange(self, authorization: Authorization, **overrides: str) -> requests.Response:
        data = {
            "grant_type": "authorization_code",
            "code": authorization.code,
            "redirect_uri": CALLBACK,
            "code_verifier": authorization.verifier,
        }
        data.update(overrides)
        return self.token(data)

    def tokens_for(self, username: str, **overrides: str) -> dict[str, Any]:
        response = self.exchange(self.sign_in(username, **overrides))
        assert response.status_code == 200, response.text
        return response.json()


def login_url(cognito: LocalCognito, params: dict[str, str]) -> str:
    return f"{cognito.url}/login?{urlencode(params)}"
