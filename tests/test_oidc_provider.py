"""The OpenID Connect sandbox, exercised over real HTTP on loopback, its ID tokens checked with
joserfc as a relying party checks them."""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError, JoseError
from joserfc.jwk import KeySet

from convai_dashboard.sandbox.oidc import OidcServer
from convai_dashboard.sandbox.oidc_provider import OIDC_FAULTS
from convai_dashboard.sandbox.process import free_port, stop, wait_for_port

CLIENT_ID = "convai-dashboard"
CLIENT_SECRET = "sandbox-secret"
REDIRECT_URI = "http://127.0.0.1:8000/accounts/oidc/studio/login/callback/"
TIMEOUT = 5

ANA_CLAIMS: dict[str, Any] = {
    "sub": "oidc-ana",
    "email": "ana@starfall.example",
    "email_verified": True,
    "preferred_username": "ana",
    "name": "Ana Reyes",
    "groups": ["studio-qa"],
}


@dataclass(frozen=True)
class Authorization:
    code: str
    state: str
    nonce: str
    verifier: str


@pytest.fixture(scope="module")
def oidc_server() -> Iterator[OidcServer]:
    with OidcServer() as server:
        yield server


@pytest.fixture
def oidc(oidc_server: OidcServer) -> Iterator[OidcServer]:
    oidc_server.reset()
    yield oidc_server
    oidc_server.reset()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_request(challenge: str, **overrides: str) -> dict[str, str]:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid profile email groups",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return params


def sign_in(server: OidcServer, username: str = "ana") -> Authorization:
    """Clicks "Sign in as USERNAME": the form posts the authorization request back."""
    verifier, challenge = pkce_pair()
    params = authorization_request(challenge)
    response = requests.post(
        f"{server.url}/authorize",
        data={**params, "username": username},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert location._replace(query="").geturl() == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == [params["state"]]
    return Authorization(query["code"][0], params["state"], params["nonce"], verifier)


def exchange(
    server: OidcServer,
    authorization: Authorization,
    *,
    verifier: str | None = None,
    redirect_uri: str = REDIRECT_URI,
    client_auth: str = "basic",
    client_secret: str = CLIENT_SECRET,
) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": authorization.code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier or authorization.verifier,
    }
    if client_auth == "post":
        form |= {"client_id": CLIENT_ID, "client_secret": client_secret}
        return requests.post(f"{server.url}/token", data=form, timeout=TIMEOUT)
    return requests.post(
        f"{server.url}/token", data=form, auth=(CLIENT_ID, client_secret), timeout=TIMEOUT
    )


def id_token_of(server: OidcServer, username: str = "ana") -> tuple[str, Authorization]:
    authorization = sign_in(server, username)
    response = exchange(server, authorization)
    assert response.status_code == 200, response.text
    return response.json()["id_token"], authorization


def verify(server: OidcServer, id_token: str, nonce: str) -> jwt.Token:
    """Checks the token as a relying party must: signature by a key of the issuer's JWKS, then
    issuer, audience, expiry and nonce."""
    discovery = requests.get(
        f"{server.url}/.well-known/openid-configuration", timeout=TIMEOUT
    ).json()
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=TIMEOUT).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": server.url},
        aud={"essential": True, "value": CLIENT_ID},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    ).validate(token.claims)
    return token


def test_discovery_names_its_endpoints_and_what_it_supports(oidc: OidcServer) -> None:
    response = requests.get(f"{oidc.url}/.well-known/openid-configuration", timeout=TIMEOUT)

    assert response.status_code == 200
    discovery = response.json()
    assert discovery["issuer"] == oidc.url
    for endpoint, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
    ]:
        assert discovery[endpoint] == f"{oidc.url}{path}"
    assert discovery["response_types_supported"] == ["code"]
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(discovery["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    assert "openid" in discovery["scopes_supported"]
    assert {"groups", "email", "nonce", "preferred_username"} <= set(discovery["claims_supported"])


def test_the_sign_in_page_offers_each_user_and_escapes_what_it_echoes(oidc: OidcServer) -> None:
    _, challenge = pkce_pair()
    params = authorization_request(challenge, state='"><script>alert(1)</script>')

    response = requests.get(f"{oidc.url}/authorize", params=params, timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    for username in ("ana", "ben", "cy"):
        assert f'name="username" value="{username}">Sign in as {username}</button>' in response.text
    assert "<script>" not in response.text
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in response.text


def test_a_full_code_flow_gives_an_id_token_that_verifies_against_the_jwks(
    oidc: OidcServer,
) -> None:
    authorization = sign_in(oidc, "ana")

    response = exchange(oidc, authorization)

    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    token = verify(oidc, tokens["id_token"], authorization.nonce)
    jwks = requests.get(f"{oidc.url}/jwks", timeout=TIMEOUT).json()
    assert token.header["alg"] == "RS256"
    assert token.header["kid"] == jwks["keys"][0]["kid"]
    assert "d" not in jwks["keys"][0], "the JWKS must not publish the private key"
    assert token.claims["exp"] > token.claims["iat"]
    assert {name: token.claims[name] for name in ANA_CLAIMS} == ANA_CLAIMS


def test_userinfo_tells_the_same_claims_for_the_access_token(oidc: OidcServer) -> None:
    authorization = sign_in(oidc, "ana")
    access_token = exchange(oidc, authorization).json()["access_token"]

    response = requests.get(
        f"{oidc.url}/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=TIMEOUT,
    )

    assert response.status_code == 200
    assert response.json() == ANA_CLAIMS


def test_a_user_without_groups_gets_an_empty_list(oidc: OidcServer) -> None:
    id_token, authorization = id_token_of(oidc, "cy")

    claims = verify(oidc, id_token, authorization.nonce).claims

    assert claims["email"] == "cy@elsewhere.example"
    assert claims["groups"] == []


@pytest.mark.parametrize("token", [None, "Bearer not-a-token", "Basic Y29udmFpOnNlY3JldA=="])
def test_userinfo_refuses_a_missing_or_unknown_token(oidc: OidcServer, token: str | None) -> None:
    headers = {} if token is None else {"Authorization": token}

    response = requests.get(f"{oidc.url}/userinfo", headers=headers, timeout=TIMEOUT)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("client_auth", ["basic", "post"])
def test_it_accepts_both_ways_of_sending_the_client_secret(
    oidc: OidcServer, client_auth: str
) -> None:
    authorization = sign_in(oidc)

    response = exchange(oidc, authorization, client_auth=client_auth)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("client_auth", ["basic", "post"])
def test_a_wrong_client_secret_is_refused(oidc: OidcServer, client_auth: str) -> None:
    authorization = sign_in(oidc)

    response = exchange(oidc, authorization, client_auth=client_auth, client_secret="guess")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_wrong_code_verifier_is_refused(oidc: OidcServer) -> None:
    authorization = sign_in(oidc)
    other_verifier, _ = pkce_pair()

    response = exchange(oidc, authorization, verifier=other_verifier)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "id_token" not in response.json()


def test_a_code_works_once(oidc: OidcServer) -> None:
    authorization = sign_in(oidc)

    first = exchange(oidc, authorization)
    second = exchange(oidc, authorization)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_a_code_is_exchanged_only_at_the_redirect_uri_it_was_issued_for(
    oidc: OidcServer,
) -> None:
    authorization = sign_in(oidc)

    response = exchange(oidc, authorization, redirect_uri="http://127.0.0.1:8000/elsewhere/")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ({"redirect_uri": "http://127.0.0.1:9999/steal/"}, "http://127.0.0.1:9999/steal/"),
        ({"redirect_uri": REDIRECT_URI + "extra"}, "is not registered"),
        ({"client_id": "someone-else"}, "Unknown client_id &#x27;someone-else&#x27;"),
        ({"code_challenge_method": "plain"}, "PKCE is required"),
        ({"code_challenge": ""}, "PKCE is required"),
        ({"response_type": "token"}, "response_type=code"),
        ({"scope": "profile"}, "openid"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_bad_authorization_request_is_refused_with_a_page_naming_the_problem(
    oidc: OidcServer, override: dict[str, str], problem: str, method: str
) -> None:
    _, challenge = pkce_pair()
    params = authorization_request(challenge, **override)
    if method == "GET":
        response = requests.get(
            f"{oidc.url}/authorize", params=params, allow_redirects=False, timeout=TIMEOUT
        )
    else:
        response = requests.post(
            f"{oidc.url}/authorize",
            data={**params, "username": "ana"},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert problem in response.text


def test_signing_in_as_someone_not_configured_is_refused(oidc: OidcServer) -> None:
    _, challenge = pkce_pair()

    response = requests.post(
        f"{oidc.url}/authorize",
        data={**authorization_request(challenge), "username": "mallory"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )

    assert response.status_code == 400
    assert "mallory" in response.text


# Each fault, the error a relying party's check raises, and the claim it names.
FAULT_CHECKS: dict[str, tuple[type[JoseError], str | None]] = {
    "wrong_audience": (InvalidClaimError, "aud"),
    "expired": (ExpiredTokenError, "exp"),
    "bad_signature": (BadSignatureError, None),
    "replayed_nonce": (InvalidClaimError, "nonce"),
    "unknown_issuer": (InvalidClaimError, "iss"),
}


def test_every_fault_has_its_check() -> None:
    assert set(FAULT_CHECKS) == set(OIDC_FAULTS)


@pytest.mark.parametrize("fault", FAULT_CHECKS)
def test_each_fault_gives_an_id_token_that_fails_its_check(oidc: OidcServer, fault: str) -> None:
    error, claim = FAULT_CHECKS[fault]
    oidc.fault = fault
    id_token, authorization = id_token_of(oidc)

    with pytest.raises(error) as raised:
        verify(oidc, id_token, authorization.nonce)

    if claim is not None:
        assert getattr(raised.value, "claim", None) == claim


def test_a_replayed_nonce_is_the_previous_authorizations(oidc: OidcServer) -> None:
    _, earlier = id_token_of(oidc)
    oidc.fault = "replayed_nonce"

    id_token, _ = id_token_of(oidc)

    assert jwt.decode(id_token, _published_keys(oidc)).claims["nonce"] == earlier.nonce


def test_a_bad_signature_names_the_published_key(oidc: OidcServer) -> None:
    # Under another kid a client would fail for want of a key, never reaching the signature.
    oidc.fault = "bad_signature"

    id_token, _ = id_token_of(oidc)

    kid = _published_keys(oidc).keys[0].kid
    assert jws.extract_compact(id_token.encode()).headers()["kid"] == kid


def test_an_unknown_fault_is_refused(oidc: OidcServer) -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        oidc.fault = "everything"


def test_it_runs_as_a_process_of_its_own() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "convai_dashboard.sandbox.oidc", "--port", str(port)],
        stdout=subprocess.PIPE,
    )
    try:
        wait_for_port(port, timeout=30, process=process)
        assert process.stdout is not None
        assert process.stdout.readline().startswith(
            f"OpenID Connect sandbox at http://127.0.0.1:{port} ".encode()
        )
        discovery = requests.get(
            f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=TIMEOUT
        ).json()
        assert discovery["issuer"] == f"http://127.0.0.1:{port}"
    finally:
        stop(process, timeout=10)
    assert process.returncode == 0


def _published_keys(server: OidcServer) -> KeySet:
    return KeySet.import_key_set(requests.get(f"{server.url}/jwks", timeout=TIMEOUT).json())
