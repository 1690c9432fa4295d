"""Who can sign in at the OpenID Connect sandbox, and the client it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OidcUser:
    username: str
    sub: str
    email: str
    name: str
    groups: tuple[str, ...] = ()
    email_verified: bool = True

    def claims(self) -> dict[str, Any]:
        """What the ID token and /userinfo say about the user."""
        return {
            "sub": self.sub,
            "email": self.email,
            "email_verified": self.email_verified,
            "preferred_username": self.username,
            "name": self.name,
            "groups": list(self.groups),
        }


@dataclass(frozen=True)
class OidcClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


# A studio's QA reviewer, its lead, and someone from outside the studio with no groups: the
# roles the dashboard's sign-in will map groups to.
DEMO_USERS = (
    OidcUser("ana", "oidc-ana", "ana@starfall.example", "Ana Reyes", ("studio-qa",)),
    OidcUser("ben", "oidc-ben", "ben@starfall.example", "Ben Okafor", ("studio-leads",)),
    OidcUser("cy", "oidc-cy", "cy@elsewhere.example", "Cy Lindqvist"),
)
DEMO_CLIENT_ID = "convai-dashboard"
DEMO_CLIENT_SECRET = "sandbox-secret"
# allauth's openid_connect provider calls back at /accounts/oidc/<provider_id>/login/callback/;
# the dashboard's provider_id is "studio".
DEMO_REDIRECT_URI = "http://127.0.0.1:8000/accounts/oidc/studio/login/callback/"
