"""The hosted UI (managed login): /oauth2/*, /login, /logout, discovery and JWKS.

Errors of the OAuth endpoints follow RFC 6749 section 5.2 (JSON, right status). Authorize
errors that cannot be sent back to the client (unknown client, unregistered redirect_uri)
are shown as a page, as Cognito does, and never redirected.

`bp` is the whole hosted UI, one blueprint per concern inside it:

| module | serves |
| --- | --- |
| `sign_in` | /oauth2/authorize, /login, /newPassword, the stylesheet |
| `mfa_steps` | the challenge after the password: /mfa, /mfa/select, /mfa/setup |
| `password_reset` | /forgotPassword, /confirmForgotPassword |
| `token_endpoint` | /oauth2/token, /oauth2/revoke (and the client's authentication) |
| `openid` | the discovery document, the JWKS, /oauth2/userInfo |
| `logout` | /logout |

and what they share: `authorize_request` (`AuthRequest`, `parse_auth_request`), `sessions` (the
authorization code and the hosted-UI session cookie), `responses` (pages, OAuth errors, redirects).
Every view reaches the state through `extensions.stand_in()`.
"""

from __future__ import annotations

from flask import Blueprint

from . import logout, mfa_steps, openid, password_reset, sign_in, token_endpoint

bp = Blueprint("hosted_ui", __name__)
for part in (sign_in, mfa_steps, password_reset, token_endpoint, openid, logout):
    bp.register_blueprint(part.bp)
