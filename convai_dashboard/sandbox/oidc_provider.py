"""The OpenID Connect sandbox's protocol: what each endpoint answers, and the faults it can act.

The authorization code flow only, with PKCE S256 required and ID tokens signed RS256, which is
what django-allauth's openid_connect provider speaks. A refused authorization request is answered
with a 400 page naming the problem, never with an error redirected back: an unknown client or
redirect_uri must not be redirected to (RFC 6749, section 4.1.2.1), and a sandbox's other
refusals (no PKCE, no openid scope) are best read where they happen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from convai_dashboard.sandbox.oidc_pages import refusal_page, sign_in_page
from convai_dashboard.sandbox.oidc_users import OidcClient, OidcUser
from convai_dashboard.sandbox.responses import HTML_TYPE, Response, html_response, json_response

# Each makes the ID tokens fail one check a relying party must make.
OIDC_FAULTS = ("wrong_audience", "expired", "bad_signature", "replayed_nonce", "unknown_issuer")

CODE_LIFETIME_SECONDS = 60
TOKEN_LIFETIME_SECONDS = 3600
SCOPES = ("openid", "profile", "email", "groups")
CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nonce",
    "email",
    "email_verified",
    "preferred_username",
    "name",
    "groups",
)
# The fields of an authorization request that the sign-in page carries back in its POST.
_REQUEST_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)
_CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636, section 4.1
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256, unpadded


@dataclass(frozen=True)
class OidcRequest:
    method: str
    path: str
    params: tuple[tuple[str, str], ...]  # the query string of a GET, the form body of a POST
    authorization: str | None  # the Authorization header


@dataclass(frozen=True)
class _Grant:
    """What an authorization code stands for until it is exchanged."""

    user: OidcUser
    redirect_uri: str
    nonce: str | None
    previous_nonce: str | None  # the authorization before this one asked for it
    code_challenge: str
    scope: str
    expires_at: float


class _Refused(Exception):
    """An authorization request refused with a 400 page."""


class _TokenError(Exception):
    """An OAuth error answer (RFC 6749, section 5.2) of the token or userinfo endpoint."""

    def __init__(
        self, error: str, description: str, status: int = 400, challenge: str | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.challenge = challenge  # the WWW-Authenticate header of a 401


class OidcProvider:
    """The endpoints' answers. Thread-safe: the server calls answer() from a thread a request."""

    def __init__(self, users: Sequence[OidcUser], client: OidcClient) -> None:
        self.issuer = ""  # the server's URL, set once it has bound its port
        self.fault: str | None = None
        self.users = tuple(users)
        self.client = client
        self._users_by_name = {user.username: user for user in self.users}
        self._key = RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256"}, auto_kid=True)
        # Signs the bad_signature fault's tokens under the published key's kid, so that only
        # checking the signature tells them apart.
        self._stray_key = RSAKey.generate_key(2048)
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}
        self._access_tokens: dict[str, tuple[OidcUser, float]] = {}
        self._last_nonce: str | None = None

    def reset(self) -> None:
        with self._lock:
            self.fault = None
            self._grants.clear()
            self._access_tokens.clear()
            self._last_nonce = None

    def answer(self, request: OidcRequest) -> Response:
        route = (request.method, request.path)
        if route == ("GET", "/.well-known/openid-configuration"):
            return json_response(200, self._discovery())
        if route == ("GET", "/jwks"):
            return json_response(200, KeySet([self._key]).as_dict(private=False))
        if request.path == "/authorize" and request.method in ("GET", "POST"):
            try:
                return self._authorize(request)
            except _Refused as refusal:
                return html_response(400, refusal_page(str(refusal)))
        oauth_endpoint = {
            ("POST", "/token"): self._token,
            ("GET", "/userinfo"): self._userinfo,
            ("POST", "/userinfo"): self._userinfo,
        }.get(route)
        if oauth_endpoint is not None:
            try:
                return oauth_endpoint(request)
            except _TokenError as error:
                return _error_response(error)
        return json_response(404, {"error": "not_found", "error_description": request.path})

    def _discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": list(SCOPES),
            "claims_supported": list(CLAIMS),
        }

    def _authorize(self, request: OidcRequest) -> Response:
        params = _single_valued(request.params, _Refused)
        self._check_authorization_request(params)
        fields = {name: params[name] for name in _REQUEST_FIELDS if name in params}
        if request.method == "GET":
            return html_response(200, sign_in_page(self.users, fields))
        username = params.get("username", "")
        user = self._users_by_name.get(username)
        if user is None:
            raise _Refused(f"There is no user {username!r} to sign in as.")
        code = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._grants = {c: g for c, g in self._grants.items() if g.expires_at > now}
            self._grants[code] = _Grant(
                user=user,
                redirect_uri=params["redirect_uri"],
                nonce=params.get("nonce"),
                previous_nonce=self._last_nonce,
                code_challenge=params["code_challenge"],
                scope=params["scope"],
                expires_at=now + CODE_LIFETIME_SECONDS,
            )
            self._last_nonce = params.get("nonce")
        answer = {"code": code}
        if "state" in params:
            answer["state"] = params["state"]
        redirect_uri = params["redirect_uri"]
        location = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(answer)}"
        return Response(
            302, b"", HTML_TYPE, (("Location", location), ("Cache-Control", "no-store"))
        )

    def _check_authorization_request(self, params: dict[str, str]) -> None:
        client_id = params.get("client_id", "")
        if client_id != self.client.client_id:
            raise _Refused(f"Unknown client_id {client_id!r}.")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in self.client.redirect_uris:
            raise _Refused(f"The redirect_uri {redirect_uri!r} is not registered for {client_id}.")
        if params.get("response_type") != "code":
            raise _Refused("Only response_type=code is supported.")
        if "openid" not in params.get("scope", "").split():
            raise _Refused("The scope must include openid.")
        if params.get("code_challenge_method") != "S256":
            raise _Refused("PKCE is required: code_challenge_method must be S256.")
        if not _S256_CHALLENGE.fullmatch(params.get("code_challenge", "")):
            raise _Refused("PKCE is required: code_challenge must be an S256 challenge.")

    def _token(self, request: OidcRequest) -> Response:
        params = _single_valued(request.params, _invalid_request)
        self._authenticate_client(request.authorization, params)
        if params.get("grant_type") != "authorization_code":
            raise _TokenError("unsupported_grant_type", "Only authorization_code is supported.")
        with self._lock:
            # Spent by any attempt, so that a code guessed or stolen is good for one try only.
            grant = self._grants.pop(params.get("code", ""), None)
        if grant is None:
            raise _TokenError("invalid_grant", "The code is unknown or already used.")
        if grant.expires_at <= time.time():
            raise _TokenError("invalid_grant", "The code has expired.")
        if params.get("redirect_uri") != grant.redirect_uri:
            raise _TokenError("invalid_grant", "The redirect_uri differs from the authorization's.")
        if not _verifier_matches(params.get("code_verifier", ""), grant.code_challenge):
            raise _TokenError("invalid_grant", "The code_verifier does not match the challenge.")
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self._access_tokens = {
                token: held for token, held in self._access_tokens.items() if held[1] > now
            }
            self._access_tokens[access_token] = (grant.user, now + TOKEN_LIFETIME_SECONDS)
        payload = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "scope": grant.scope,
            "id_token": self._id_token(grant),
        }
        return json_response(200, payload, (("Cache-Control", "no-store"),))

    def _authenticate_client(self, authorization: str | None, params: dict[str, str]) -> None:
        if authorization is not None and authorization.startswith("Basic "):
            if "client_secret" in params:
                raise _invalid_request("Authenticate the client one way, not two.")
            client_id, client_secret = _basic_credentials(authorization)
            challenge: str | None = 'Basic realm="oidc-sandbox"'
        else:
            client_id = params.get("client_id", "")
            client_secret = params.get("client_secret", "")
            challenge = None
        if not (
            hmac.compare_digest(client_id.encode(), self.client.client_id.encode())
            and hmac.compare_digest(client_secret.encode(), self.client.client_secret.encode())
        ):
            raise _TokenError("invalid_client", "Unknown client or wrong secret.", 401, challenge)

    def _id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client.client_id,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
            **grant.user.claims(),
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        signing_key = self._key
        fault = self.fault
        if fault == "wrong_audience":
            claims["aud"] = f"not-{self.client.client_id}"
        elif fault == "expired":
            claims["iat"] = now - 2 * TOKEN_LIFETIME_SECONDS
            claims["exp"] = now - TOKEN_LIFETIME_SECONDS
        elif fault == "bad_signature":
            signing_key = self._stray_key
        elif fault == "replayed_nonce":
            replayed = grant.previous_nonce
            if replayed is None or replayed == grant.nonce:
                # Nothing different to replay yet: any nonce but the one asked for fails alike.
                replayed = secrets.token_urlsafe(16)
            claims["nonce"] = replayed
        elif fault == "unknown_issuer":
            claims["iss"] = f"{self.issuer}/unknown"
        return jwt.encode({"alg": "RS256", "kid": self._key.kid}, claims, signing_key)

    def _userinfo(self, request: OidcRequest) -> Response:
        authorization = request.authorization or ""
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            held = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
        if held is None or held[1] <= time.time():
            raise _TokenError(
                "invalid_token",
                "A valid bearer access token is required.",
                401,
                'Bearer error="invalid_token"',
            )
        return json_response(200, held[0].claims(), (("Cache-Control", "no-store"),))


def _single_valued(
    pairs: tuple[tuple[str, str], ...], refuse: Callable[[str], Exception]
) -> dict[str, str]:
    """The parameters as a dict; a repeated one is refused (RFC 6749, section 3.1)."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise refuse(f"The parameter {name} is repeated.")
        params[name] = value
    return params


def _invalid_request(description: str) -> _TokenError:
    return _TokenError("invalid_request", description)


def _basic_credentials(authorization: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(authorization.removeprefix("Basic "), validate=True).decode()
    except ValueError:
        raise _invalid_request("The Basic credentials are not base64.") from None
    client_id, separator, client_secret = decoded.partition(":")
    if not separator:
        raise _invalid_request("The Basic credentials have no colon.")
    # RFC 6749, section 2.3.1: each part is form-encoded before they are joined.
    return unquote_plus(client_id), unquote_plus(client_secret)


def _verifier_matches(verifier: str, challenge: str) -> bool:
    if not _CODE_VERIFIER.fullmatch(verifier):
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(expected, challenge)


def _error_response(error: _TokenError) -> Response:
    headers: tuple[tuple[str, str], ...] = (("Cache-Control", "no-store"),)
    if error.challenge is not None:
        headers += (("WWW-Authenticate", error.challenge),)
    return json_response(
        error.status, {"error": error.error, "error_description": error.description}, headers
    )
