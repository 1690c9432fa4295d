"""The SAML provider's settings for allauth, from what the environment names (settings.py)
or what a test's identity provider is: one place, so the tests sign in with what a
deployment runs. Plain data: settings.py imports it before Django is set up."""

from __future__ import annotations

from typing import Any

PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def saml_app(name: str, idp: dict[str, Any], sp_entity_id: str | None = None) -> dict[str, Any]:
    """allauth's SAML app at /accounts/saml/studio/. idp is allauth's: a metadata_url (with an
    entity_id, or None for the first in the metadata), or entity_id, sso_url and x509cert."""
    return {
        # The part of the provider's URLs after /accounts/saml/.
        "client_id": "studio",
        "name": name,
        "settings": {
            "idp": idp,
            # None: allauth's metadata URL, /accounts/saml/studio/metadata/.
            "sp": {"entity_id": sp_entity_id},
            # No "uid": the persistent NameID names the user (provider.py).
            "attribute_mapping": {
                "username": ["urn:oid:0.9.2342.19200300.100.1.1", "uid"],
                "email": [
                    "urn:oid:0.9.2342.19200300.100.1.3",
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                    "email",
                ],
                "first_name": [
                    "urn:oid:2.5.4.42",
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
                ],
                "last_name": [
                    "urn:oid:2.5.4.4",
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
                ],
            },
            "advanced": {
                "want_assertion_signed": True,
                "want_name_id": True,
                "name_id_format": PERSISTENT,
                # An answer nobody here asked for could be one captured elsewhere.
                "reject_idp_initiated_sso": True,
            },
        },
    }
