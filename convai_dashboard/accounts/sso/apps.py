from __future__ import annotations

from django.apps import AppConfig


class SsoConfig(AppConfig):
    """Sign-in through the studio's OpenID Connect provider, by django-allauth, with the checks
    of the ID token allauth leaves out (accounts/sso/provider.py)."""

    name = "convai_dashboard.accounts.sso"
    label = "sso"
    verbose_name = "Single sign-on"
