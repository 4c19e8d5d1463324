"""ID tokens a relying party must refuse: the next hosted-UI sign-in's ID token, forged one way.

Set with ``POST /_local/id-token-forgery {"kind": "audience"}`` (``GET`` shows the one pending,
``DELETE`` drops it; ``POST /_local/reset`` too). It applies once, to the next authorization code
exchanged at ``/oauth2/token``: everything else about that sign-in is genuine (the access and
refresh tokens are valid), so only the client's checks of the ID token stand between the forgery
and a signed-in session.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

#: What each kind changes in the ID token's claims: a new value, one computed from the genuine
#: claims and the time now, or ``None`` to remove the claim.
FORGERIES: dict[str, dict[str, Any]] = {
    "signature": {},  # signed with a key the pool's JWKS doesn't hold, under the pool key's kid
    "issuer": {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Forged"},
    "audience": {"aud": "forgedclient0000000000000"},
    # A token for another client that names this one as its authorized party.
    "audience_with_azp": {
        "aud": "forgedclient0000000000000",
        "azp": lambda claims, _now: claims["aud"],
    },
    "expired": {"exp": lambda _claims, now: now - 3600, "iat": lambda _claims, now: now - 7200},
    "nonce": {"nonce": "forged-nonce"},
    "no_nonce": {"nonce": None},
}


class ForgerySpecError(ValueError):
    pass


def validated_kind(body: object) -> str:
    kind = body.get("kind") if isinstance(body, dict) else None
    if kind not in FORGERIES:
        raise ForgerySpecError(f'send {{"kind": K}} with K one of {", ".join(FORGERIES)}')
    return kind


@cache
def _stranger_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid})


def forge(id_token: str, kind: str, pool_key: RSAKey) -> str:
    """``id_token`` (signed with ``pool_key``) changed as ``kind`` says, and signed again."""
    token = jwt.decode(id_token, pool_key)
    claims = dict(token.claims)
    now = int(time.time())
    for name, change in FORGERIES[kind].items():
        if change is None:
            claims.pop(name, None)
        else:
            claims[name] = change(token.claims, now) if callable(change) else change
    key = _stranger_key(str(token.header["kid"])) if kind == "signature" else pool_key
    return jwt.encode(dict(token.header), claims, key)
