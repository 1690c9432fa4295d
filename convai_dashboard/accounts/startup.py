"""System checks of the accounts app: Django runs them at start-up (`manage.py check`,
`migrate`, `runserver`), so a setting that would otherwise fail on the first page that
needs it stops the deployment instead."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from convai_dashboard.accounts import crypto
from convai_dashboard.accounts.models import Role


@register()
def encryption_keys_are_fernet_keys(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(
            problem,
            hint="Make a key with python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'; keep the old ones after it until "
            "`manage.py rotate_api_keys` has run.",
            id="accounts.E001",
        )
        for problem in crypto.key_problems(settings.CONVAI_KEY_ENCRYPTION_KEYS)
    ]


@register()
def team_mapping_names_roles(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(
            f"DJANGO_TEAM_MAPPING maps “{claim}” to the role “{role}”, which is not a role.",
            hint=f"The roles are {', '.join(Role.values)}.",
            id="accounts.E002",
        )
        for claim, (_team, role) in settings.TEAM_MAPPING.items()
        if role not in Role.values
    ]


@register()
def someone_can_sign_in(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if (
        settings.PASSWORD_SIGN_IN
        or settings.OIDC_ISSUER
        or settings.SAML_ENABLED
        or settings.TRUSTED_USER_HEADER
    ):
        return []
    return [
        Warning(
            "DJANGO_PASSWORD_SIGN_IN is off, and none of DJANGO_OIDC_ISSUER, DJANGO_SAML_* "
            "and DJANGO_TRUSTED_USER_HEADER is set: nobody can sign in.",
            hint="Set up single sign-on first (README, “Single sign-on”).",
            id="accounts.W001",
        )
    ]
