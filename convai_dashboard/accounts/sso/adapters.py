"""How allauth makes and signs in users here: never by a local sign-up (invitations do that,
pages/teams.py); an identity provider's user on their first sign-in, matched by its `sub` or
persistent NameID alone and placed in the teams its groups or e-mail domain map to
(accounts.teams)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from convai_dashboard.accounts import teams


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user: Any) -> Any:
        # The backend that reads the signed-in user on each request: the prepared one. allauth
        # would pick the first backend with get_user, which is axes' and finds nobody.
        user.backend = "convai_dashboard.accounts.backends.PasswordBackend"
        return super().login(request, user)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        # The studio's identity provider vouches for its users.
        return True

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        teams.place_new_user(user, *_groups_and_email(sociallogin))
        return user


def _groups_and_email(sociallogin: Any) -> tuple[list[str], str]:
    """What a first sign-in is placed by: the provider's groups, and an e-mail address it says
    it checked ("" for none)."""
    extra = sociallogin.account.extra_data
    if sociallogin.provider.id == "saml":
        # SAML has no standard way to say an address was checked: groups alone place the user.
        return [str(group) for group in extra.get(settings.SAML_GROUPS_ATTRIBUTE) or []], ""
    claims = {**extra.get("userinfo", {}), **extra.get("id_token", {})}
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    # A domain maps only an address the provider says it checked.
    email = claims.get("email", "") if claims.get("email_verified") is True else ""
    return [str(group) for group in groups], email
