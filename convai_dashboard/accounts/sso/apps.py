from __future__ import annotations

from allauth.account.apps import AccountConfig
from django.apps import AppConfig


class SsoConfig(AppConfig):
    """Sign-in through the studio's OpenID Connect provider, by django-allauth, with the checks
    of the ID token allauth leaves out (accounts/sso/provider.py)."""

    name = "convai_dashboard.accounts.sso"
    label = "sso"
    verbose_name = "Single sign-on"


class AllauthAccountConfig(AccountConfig):
    """allauth.account, less its start-up check that its middleware runs on every request:
    here it runs only where what it sets is read (accounts/sso/middleware.py)."""

    def ready(self) -> None:
        from allauth.account import checks  # noqa: F401  (registers its system checks)
