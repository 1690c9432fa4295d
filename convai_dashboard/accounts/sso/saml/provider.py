"""django-allauth's SAML provider, matching users by the persistent NameID alone.

allauth takes the user's id from a `uid` attribute when the mapping names one and from the
NameID otherwise, whatever its format. An identity provider's default NameID is often the
e-mail address, or a transient id new at every sign-in: the first would match users by e-mail,
the second would make a new user each time. Here the NameID must be persistent, as the
AuthnRequest asks (settings, NameIDPolicy).

It takes the place of allauth's own provider (same id, settings and URLs), which is not in
INSTALLED_APPS.
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.providers.saml.provider import SAMLProvider

from convai_dashboard.accounts.sso.saml.config import PERSISTENT


class SignInRefused(Exception):
    """An answer that passed allauth's checks but not ours; its message is the error page's."""


class StudioSAMLProvider(SAMLProvider):
    def extract_uid(self, data: Any) -> str:
        if data.get_nameid_format() != PERSISTENT or not data.get_nameid():
            raise SignInRefused(
                "The identity provider did not name you by a persistent NameID, the only id "
                "users are matched by here: ask whoever runs it to send one."
            )
        return data.get_nameid()


provider_classes = [StudioSAMLProvider]
