"""django-allauth's OpenID Connect provider, with the two checks of the ID token it leaves out.

allauth does not send a nonce, and does not check an ID token's signature when it fetched the
token from the provider itself (the specification allows that over TLS). An identity provider
on an internal network may be reached over plain HTTP, through a proxy that rewrites answers,
so here every ID token must be signed by a key of the provider's JWKS, and carry the nonce its
own sign-in asked for: a token from another sign-in, replayed, is refused.

It takes the place of allauth's own provider (same id, settings and URLs), which is not in
INSTALLED_APPS.
"""

from __future__ import annotations

import secrets
from typing import Any

import jwt
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import HttpRequest

# Why a token is refused, as the error page says it, by the check that failed.
_REFUSALS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "The identity provider's ID token has expired."),
    (jwt.InvalidAudienceError, "The ID token was issued for another application."),
    (jwt.InvalidIssuerError, "The ID token was issued by an unknown issuer."),
    (jwt.InvalidSignatureError, "The ID token's signature does not match the provider's keys."),
]


def _nonce_key(state_id: str) -> str:
    return f"sso-nonce-{state_id}"


class VerifiedAdapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app: Any, id_token: str) -> dict[str, Any]:
        try:
            claims = jwtkit.verify_and_decode(
                credential=id_token,
                keys_url=self.openid_config["jwks_uri"],
                issuer=self.openid_config["issuer"],
                audience=app.client_id,
                lookup_kid=jwtkit.lookup_kid_jwk,
                verify_signature=True,
            )
        except OAuth2Error as error:
            for kind, said in _REFUSALS:
                if isinstance(error.__cause__, kind):
                    raise OAuth2Error(said) from error
            raise OAuth2Error(f"The ID token could not be read: {error.__cause__}") from error
        state_id = self.request.GET.get("state", "")
        asked = self.request.session.pop(_nonce_key(state_id), None)
        if not asked or not secrets.compare_digest(str(claims.get("nonce", "")), asked):
            raise OAuth2Error(
                "The ID token does not carry the nonce this sign-in asked for: it may be "
                "replayed from another sign-in."
            )
        return claims


class StudioProvider(OpenIDConnectProvider):
    oauth2_adapter_class = VerifiedAdapter

    def redirect(
        self,
        request: HttpRequest,
        process: Any,
        next_url: str | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> Any:
        nonce, state_id = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
        request.session[_nonce_key(state_id)] = nonce
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        return super().redirect(
            request,
            process,
            next_url,
            data,
            auth_params={**auth_params, "nonce": nonce},
            state_id=state_id,
            **kwargs,
        )


provider_classes = [StudioProvider]
