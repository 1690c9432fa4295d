"""The SAML sandbox's two HTML pages: the sign-in choice and the refusal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from convai_dashboard.sandbox.saml_users import SamlUser

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""


def sign_in_page(users: Sequence[SamlUser], request_fields: Mapping[str, str]) -> str:
    """One form, one button a user: the POST carries the AuthnRequest back, so the identity
    provider reads and checks it again rather than trusting what it showed."""
    hidden = "\n".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in request_fields.items()
    )
    rows = "\n".join(
        f'<li><button type="submit" name="username" value="{escape(user.username)}">'
        f"Sign in as {escape(user.username)}</button> {escape(_describe(user))}</li>"
        for user in users
    )
    body = f'<form method="post" action="/sso">\n{hidden}\n<ul>\n{rows}\n</ul>\n</form>'
    return _PAGE.format(title="SAML sandbox sign-in", body=body)


def refusal_page(problem: str) -> str:
    return _PAGE.format(title="Sign-in refused", body=f"<p>{escape(problem)}</p>")


def _describe(user: SamlUser) -> str:
    groups = ", ".join(user.groups) if user.groups else "no groups"
    return f"{user.given_name} {user.surname} <{user.email}>, {groups}"
