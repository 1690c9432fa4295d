"""The SAML sandbox, exercised over real HTTP on loopback, its answers checked by python3-saml
as a service provider checks them."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from convai_dashboard.sandbox.process import free_port, stop, wait_for_port
from convai_dashboard.sandbox.saml import SamlServer
from convai_dashboard.sandbox.saml_provider import SAML_FAULTS
from convai_dashboard.sandbox.saml_users import DEMO_SP

TIMEOUT = 5
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
FIELD = re.compile(r'name="([^"]+)" value="([^"]*)"')


@pytest.fixture(scope="module")
def saml_server() -> Iterator[SamlServer]:
    with SamlServer() as server:
        yield server


@pytest.fixture
def saml(saml_server: SamlServer) -> Iterator[SamlServer]:
    saml_server.reset()
    yield saml_server
    saml_server.reset()


def sp_settings(server: SamlServer) -> dict[str, Any]:
    """A service provider as the dashboard configures python3-saml: signed assertions, a
    persistent NameID, and the identity provider read from its metadata."""
    metadata = OneLogin_Saml2_IdPMetadataParser.parse_remote(server.metadata_url)
    return {
        "strict": True,
        "idp": metadata["idp"],
        "sp": {
            "entityId": DEMO_SP.entity_id,
            "assertionConsumerService": {
                "url": DEMO_SP.acs_url,
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            },
            "NameIDFormat": PERSISTENT,
        },
        "security": {"wantAssertionsSigned": True, "wantNameId": True},
    }


def django_request(path: str, post: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "https": "off",
        "http_host": "127.0.0.1:8000",
        "script_name": "",
        "path_info": path,
        "get_data": {},
        "post_data": post or {},
    }


def form_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in FIELD.findall(page)}


def authn_request(server: SamlServer) -> tuple[OneLogin_Saml2_Auth, str]:
    """A service provider's AuthnRequest, and the URL it redirects the browser to."""
    auth = OneLogin_Saml2_Auth(django_request("/accounts/saml/studio/login/"), sp_settings(server))
    return auth, auth.login(return_to="")


def sign_in(server: SamlServer, username: str = "ana") -> tuple[str, OneLogin_Saml2_Auth]:
    """Signs in as username; returns the request's id and the service provider's reading of
    the answer the browser would post to it."""
    request, url = authn_request(server)
    page = requests.get(url, timeout=TIMEOUT)
    assert page.status_code == 200, page.text
    answer = requests.post(
        f"{server.url}/sso", data={**form_fields(page.text), "username": username}, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    assert f'action="{DEMO_SP.acs_url}"' in answer.text
    reading = OneLogin_Saml2_Auth(
        django_request("/accounts/saml/studio/acs/", form_fields(answer.text)), sp_settings(server)
    )
    reading.process_response(request_id=None)
    return request.get_last_request_id(), reading


def test_the_metadata_names_its_entity_id_sign_on_endpoint_and_certificate(saml: SamlServer):
    idp = OneLogin_Saml2_IdPMetadataParser.parse_remote(saml.metadata_url)["idp"]
    assert idp["entityId"] == saml.entity_id == f"{saml.url}/metadata"
    assert idp["singleSignOnService"] == {
        "url": f"{saml.url}/sso",
        "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
    }
    assert idp["x509cert"]


def test_the_sign_in_page_offers_each_user_and_carries_the_request_back(saml: SamlServer):
    _, url = authn_request(saml)
    page = requests.get(url, timeout=TIMEOUT).text
    for user in ("ana", "ben", "cy"):
        assert f"Sign in as {user}" in page
    assert form_fields(page)["SAMLRequest"] == dict(parse_qsl(urlsplit(url).query))["SAMLRequest"]


def test_a_sign_in_gives_a_signed_answer_with_a_persistent_name_id_and_groups(saml: SamlServer):
    request_id, reading = sign_in(saml, "ana")
    assert reading.get_errors() == [], reading.get_last_error_reason()
    assert reading.is_authenticated()
    assert reading.get_last_response_in_response_to() == request_id
    assert (reading.get_nameid(), reading.get_nameid_format()) == ("saml-ana", PERSISTENT)
    attributes = reading.get_attributes()
    assert attributes["groups"] == ["studio-qa"]
    assert attributes["urn:oid:0.9.2342.19200300.100.1.3"] == ["ana@starfall.example"]


def test_a_user_without_groups_gets_none(saml: SamlServer):
    _, reading = sign_in(saml, "cy")
    assert reading.get_errors() == []
    assert reading.get_attributes().get("groups", []) == []


CHECKS = {
    "bad_signature": "Signature validation failed",
    "wrong_audience": "is not a valid audience",
    "expired": "expired",
    "unknown_issuer": "Invalid issuer",
    "unsigned_assertion": "Assertion of the Response is not signed",
}


def test_every_fault_has_its_check() -> None:
    assert set(CHECKS) | {"replayed_response", "email_name_id"} == set(SAML_FAULTS)


@pytest.mark.parametrize("fault", sorted(CHECKS))
def test_each_fault_gives_an_answer_that_fails_its_check(saml: SamlServer, fault: str):
    saml.fault = fault
    _, reading = sign_in(saml)
    assert reading.get_errors() == ["invalid_response"]
    assert CHECKS[fault] in reading.get_last_error_reason()


def test_a_replayed_response_is_the_previous_sign_ins(saml: SamlServer):
    first_id, first = sign_in(saml, "cy")
    saml.fault = "replayed_response"
    second_id, replayed = sign_in(saml, "ana")
    # Valid in itself: only the request it answers tells it apart.
    assert replayed.get_errors() == []
    assert replayed.get_nameid() == first.get_nameid() == "saml-cy"
    assert replayed.get_last_response_in_response_to() == first_id != second_id


def test_an_email_name_id_is_the_users_address(saml: SamlServer):
    saml.fault = "email_name_id"
    _, reading = sign_in(saml, "ana")
    assert reading.get_errors() == []
    assert reading.get_nameid() == "ana@starfall.example"
    assert reading.get_nameid_format() != PERSISTENT


def test_signing_in_as_someone_not_configured_is_refused(saml: SamlServer):
    _, url = authn_request(saml)
    fields = form_fields(requests.get(url, timeout=TIMEOUT).text)
    answer = requests.post(
        f"{saml.url}/sso", data={**fields, "username": "mallory"}, timeout=TIMEOUT
    )
    assert answer.status_code == 400 and "no user &#x27;mallory&#x27;" in answer.text


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"sp": {"entityId": "urn:example:stranger"}}, "not registered here"),
        (
            {"sp": {"assertionConsumerService": {"url": "http://127.0.0.1:9/acs/"}}},
            "names no registered address",
        ),
    ],
)
def test_a_request_from_elsewhere_is_refused_with_a_page_naming_the_problem(
    saml: SamlServer, change: dict[str, Any], words: str
):
    settings = sp_settings(saml)
    for part, values in change.items():
        for key, value in values.items():
            settings[part][key] = (
                {**settings[part][key], **value} if isinstance(value, dict) else value
            )
    url = OneLogin_Saml2_Auth(django_request("/login/"), settings).login(return_to="")
    page = requests.get(url, timeout=TIMEOUT)
    assert page.status_code == 400 and words in page.text


def test_an_unreadable_request_is_refused(saml: SamlServer):
    page = requests.get(f"{saml.url}/sso", params={"SAMLRequest": "not-saml"}, timeout=TIMEOUT)
    assert page.status_code == 400 and "cannot be read" in page.text


def test_an_unknown_fault_is_refused(saml: SamlServer):
    with pytest.raises(ValueError, match="unknown fault mode"):
        saml.fault = "gremlins"


def test_it_runs_as_a_process_of_its_own() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "convai_dashboard.sandbox.saml", "--port", str(port)],
        stdout=subprocess.PIPE,
    )
    try:
        wait_for_port(port, timeout=30, process=process)
        assert process.stdout is not None
        assert process.stdout.readline().startswith(
            f"SAML sandbox at http://127.0.0.1:{port} ".encode()
        )
        metadata = requests.get(f"http://127.0.0.1:{port}/metadata", timeout=TIMEOUT)
        assert f'entityID="http://127.0.0.1:{port}/metadata"' in metadata.text
    finally:
        stop(process, timeout=10)
    assert process.returncode == 0
