"""The hosted-UI pages: plain, valid HTML with labels, no JavaScript, no external assets."""

from __future__ import annotations

from html import escape

STYLESHEET_PATH = "/local-cognito.css"
#: The hosted UI's only stylesheet, served by the stand-in at ``STYLESHEET_PATH`` (no inline
#: styles): plain, readable in light and dark mode, and marked as the stand-in it is.
STYLESHEET = """\
:root { color-scheme: light dark; --bg: #f4f1ea; --card: #fff; --text: #1d1d1d;
  --border: #767676; --accent: #5b2d91; --accent-text: #fff; --band-bg: #ffe9a8;
  --band-text: #3d2a00; --error: #9b1c1c; --error-bg: #fdecec; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #1b1b1f; --card: #26262b; --text: #ececec; --border: #9a9a9a;
    --accent: #c9a6ff; --accent-text: #1b1b1f; --band-bg: #3d2f00; --band-text: #ffe9a8;
    --error: #ffb4b4; --error-bg: #3a1616; }
}
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, sans-serif; line-height: 1.5; background: var(--bg);
  color: var(--text); }
.stand-in { background: var(--band-bg); color: var(--band-text); padding: 0.6rem 1rem;
  border-bottom: 3px dashed currentColor; text-align: center; }
.stand-in p { margin: 0 auto; max-width: 34rem; }
main { max-width: 28rem; margin: 2rem auto; padding: 1.5rem; background: var(--card);
  border: 1px solid var(--border); border-radius: 8px; }
h1 { font-size: 1.5rem; margin-top: 0; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input:not([type=radio]) { width: 100%; padding: 0.5rem; font: inherit; color: var(--text);
  background: var(--card); border: 1px solid var(--border); border-radius: 4px; }
fieldset { margin-top: 1rem; border: 1px solid var(--border); border-radius: 4px; }
fieldset label { font-weight: 400; }
button { margin-top: 1.5rem; padding: 0.6rem 1.2rem; font: inherit; font-weight: 600;
  color: var(--accent-text); background: var(--accent); border: 0; border-radius: 4px;
  cursor: pointer; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.error { color: var(--error); background: var(--error-bg); border: 1px solid currentColor;
  border-radius: 4px; padding: 0.5rem 0.75rem; }
code { word-break: break-all; }
@media (max-width: 30rem) { main { margin: 1rem; padding: 1rem; } }
"""


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{escape(title)} - Local Cognito stand-in</title>\n"
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}">\n</head>\n<body>\n'
        '<header class="stand-in">\n<p><strong>Local Cognito stand-in</strong>: a development '
        "copy of the sign-in pages, not Amazon Cognito. No texts are sent: codes are in the "
        'development outbox (<a href="/_local/outbox">/_local/outbox</a>).</p>\n</header>\n'
        f"<main>\n<h1>{escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>\n' if message else ""


def login_page(
    action: str, error: str | None = None, username: str = "", forgot_url: str | None = None
) -> str:
    forgot = (
        f'<p><a href="{escape(forgot_url)}">Forgot your password?</a></p>' if forgot_url else ""
    )
    return page(
        "Sign in",
        _error(error) + f'<form method="post" action="{escape(action)}">\n'
        '<label for="username">Username</label>\n'
        f'<input id="username" name="username" autocomplete="username" value="{escape(username)}"'
        " required>\n"
        '<label for="password">Password</label>\n'
        '<input id="password" type="password" name="password" autocomplete="current-password"'
        " required>\n"
        '<button type="submit">Sign in</button>\n</form>\n' + forgot,
    )


def sms_page(action: str, session: str, masked_phone: str, error: str | None = None) -> str:
    return page(
        "Enter your code",
        _error(error) + f"<p>We texted a code to {escape(masked_phone)}. Enter it below.</p>\n"
        f'<form method="post" action="{escape(action)}">\n'
        f'<input type="hidden" name="session" value="{escape(session)}">\n'
        '<label for="code">Code</label>\n'
        '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required>\n'
        '<button type="submit">Verify</button>\n</form>\n',
    )


def totp_page(action: str, session: str, error: str | None = None) -> str:
    return page(
        "Enter your code",
        _error(error) + "<p>Enter the code from your authenticator app.</p>\n"
        f'<form method="post" action="{escape(action)}">\n'
        f'<input type="hidden" name="session" value="{escape(session)}">\n'
        '<label for="code">Code</label>\n'
        '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required>\n'
        '<button type="submit">Verify</button>\n</form>\n',
    )


FACTOR_LABELS = {"SMS_MFA": "Text message (SMS)", "SOFTWARE_TOKEN_MFA": "Authenticator app"}


def select_mfa_page(action: str, session: str, factors: list[str]) -> str:
    choices = "".join(
        f'<label><input type="radio" name="factor" value="{escape(factor)}" required> '
        f"{escape(FACTOR_LABELS.get(factor, factor))}</label>\n"
        for factor in factors
    )
    return page(
        "Choose how to verify",
        f'<form method="post" action="{escape(action)}">\n'
        f'<input type="hidden" name="session" value="{escape(session)}">\n'
        f"<fieldset>\n<legend>Second step</legend>\n{choices}</fieldset>\n"
        '<button type="submit">Continue</button>\n</form>\n',
    )


def mfa_setup_page(
    action: str, session: str, secret: str, uri: str, error: str | None = None
) -> str:
    return page(
        "Set up an authenticator app",
        _error(error) + "<p>Your organisation requires a second step at sign-in. Add this "
        "account to your authenticator app with the key below, then enter the code it shows."
        "</p>\n"
        f'<p>Key: <code id="secret">{escape(secret)}</code></p>\n'
        f'<p><a href="{escape(uri)}">Open in an authenticator app</a></p>\n'
        f'<form method="post" action="{escape(action)}">\n'
        f'<input type="hidden" name="session" value="{escape(session)}">\n'
        '<label for="code">Code</label>\n'
        '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required>\n'
        '<button type="submit">Verify</button>\n</form>\n',
    )


def new_password_page(action: str, session: str, error: str | None = None) -> str:
    return page(
        "Change your password",
        _error(error) + "<p>You must choose a new password before you continue.</p>\n"
        f'<form method="post" action="{escape(action)}">\n'
        f'<input type="hidden" name="session" value="{escape(session)}">\n'
        '<label for="new_password">New password</label>\n'
        '<input id="new_password" type="password" name="new_password"'
        ' autocomplete="new-password" required>\n'
        '<button type="submit">Change password</button>\n</form>\n',
    )


def forgot_password_page(action: str, error: str | None = None, info: str | None = None) -> str:
    note = f"<p>{escape(info)}</p>\n" if info else ""
    return page(
        "Forgot your password?",
        _error(error) + note + f'<form method="post" action="{escape(action)}">\n'
        '<label for="username">Username</label>\n'
        '<input id="username" name="username" autocomplete="username" required>\n'
        '<button type="submit">Reset my password</button>\n</form>\n',
    )


def confirm_password_page(action: str, username: str, error: str | None = None) -> str:
    return page(
        "Reset your password",
        _error(error)
        + "<p>We sent a code to reset your password. Enter it with a new password.</p>\n"
        f'<form method="post" action="{escape(action)}">\n'
        f'<input type="hidden" name="username" value="{escape(username)}">\n'
        '<label for="code">Code</label>\n'
        '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required>\n'
        '<label for="password">New password</label>\n'
        '<input id="password" type="password" name="password" autocomplete="new-password"'
        " required>\n"
        '<button type="submit">Change password</button>\n</form>\n',
    )


def message_page(title: str, message: str, link: tuple[str, str] | None = None) -> str:
    extra = f'<p><a href="{escape(link[0])}">{escape(link[1])}</a></p>' if link else ""
    return page(title, f"<p>{escape(message)}</p>\n{extra}")
