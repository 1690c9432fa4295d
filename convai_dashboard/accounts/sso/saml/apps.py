from __future__ import annotations

from django.apps import AppConfig


class SamlConfig(AppConfig):
    """Sign-in through the studio's SAML 2.0 identity provider, by django-allauth's SAML
    provider, matched by the persistent NameID (accounts/sso/saml/provider.py)."""

    name = "convai_dashboard.accounts.sso.saml"
    label = "sso_saml"
    verbose_name = "SAML single sign-on"
