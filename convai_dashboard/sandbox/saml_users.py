"""Who can sign in at the SAML sandbox, and the service provider it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SamlUser:
    username: str
    name_id: str  # persistent: the same for the user at every sign-in
    email: str
    given_name: str
    surname: str
    groups: tuple[str, ...] = ()

    def attributes(self) -> dict[str, Any]:
        """The assertion's attributes, by their names in pysaml2's attribute maps (eduPerson
        and inetOrgPerson, sent as urn:oid names) but for groups, sent by the plain name
        most identity providers use."""
        return {
            "uid": [self.username],
            "mail": [self.email],
            "givenName": [self.given_name],
            "sn": [self.surname],
            "groups": list(self.groups),
        }


@dataclass(frozen=True)
class ServiceProvider:
    entity_id: str
    acs_url: str  # where the identity provider posts its answers


# The OpenID Connect sandbox's users (oidc_users.py), with the same groups.
DEMO_USERS = (
    SamlUser("ana", "saml-ana", "ana@starfall.example", "Ana", "Reyes", ("studio-qa",)),
    SamlUser("ben", "saml-ben", "ben@starfall.example", "Ben", "Okafor", ("studio-leads",)),
    SamlUser("cy", "saml-cy", "cy@elsewhere.example", "Cy", "Lindqvist"),
)
# allauth's SAML provider answers at /accounts/saml/<client_id>/; the dashboard's client_id
# is "studio", and its entity id is its metadata URL, allauth's default.
DEMO_SP = ServiceProvider(
    entity_id="http://127.0.0.1:8000/accounts/saml/studio/metadata/",
    acs_url="http://127.0.0.1:8000/accounts/saml/studio/acs/",
)
