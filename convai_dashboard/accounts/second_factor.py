"""A second factor, for the members of a team that requires one: a one-time code from an
authenticator app (TOTP, by allauth's MFA), asked once after each sign-in, whatever signed the
user in (a password, the identity provider, the proxy). Until it is given, every page sends the
user to give it (pages.middleware.second_factor_gate)."""

from __future__ import annotations

from typing import Any

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from convai_dashboard.accounts.models import Team

# In the session from the sign-in until the code is given.
PENDING = "second-factor-pending"


def required_of(user: Any) -> bool:
    return Team.objects.filter(memberships__user=user, require_second_factor=True).exists()


@receiver(user_logged_in)
def ask_after_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Asked at sign-in: a team that starts requiring it asks its members at their next one.
    if request is not None and required_of(user):
        request.session[PENDING] = True


def authenticator_of(user: Any) -> totp.TOTP | None:
    found = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return totp.TOTP(found) if found else None


def enrol(request: HttpRequest, user: Any, code: str) -> bool:
    """Saves the session's secret as the user's authenticator if `code` is its current one."""
    secret = totp.get_totp_secret()
    if not totp.validate_totp_code(secret, code):
        return False
    totp.TOTP.activate(user, secret)
    totp.clear_totp_secret(request)
    return True


def setup_codes(user: Any) -> dict[str, str]:
    """What the set-up page shows: a new secret (kept in the session until a code confirms
    it), to type, and as an otpauth:// URL and a QR code of it to scan."""
    secret = totp.get_totp_secret()
    url = get_adapter().build_totp_url(user, secret)
    return {"secret": secret, "url": url, "svg": get_adapter().build_totp_svg(url)}


def passed(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)
