"""Signing in with the studio's SAML identity provider, in Chromium, against the local one
(convai_dashboard/sandbox/saml.py, pysaml2's IdP) run beside the dashboard: a first sign-in
lands in the team its groups map to, a user is matched by the persistent NameID alone, and an
answer that fails any check is refused with a page that says which, with nothing created."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.core.cache import cache
from playwright.sync_api import Page, expect

from convai_dashboard.accounts.models import Membership, Role
from convai_dashboard.accounts.sso.saml.config import saml_app
from convai_dashboard.sandbox.saml import SamlServer
from convai_dashboard.sandbox.saml_provider import SAML_FAULTS
from convai_dashboard.sandbox.saml_users import ServiceProvider

pytestmark = pytest.mark.browser
PREFIX = "/accounts/saml/studio/"


@pytest.fixture
def saml(live_server: Any, settings: Any) -> Iterator[SamlServer]:
    sp = ServiceProvider(live_server.url + PREFIX + "metadata/", live_server.url + PREFIX + "acs/")
    server = SamlServer(sp=sp)
    server.start()
    settings.SAML_ENABLED = True
    settings.SAML_NAME = "Studio SAML"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "saml": {
            "APPS": [
                saml_app("Studio SAML", {"metadata_url": server.metadata_url, "entity_id": None})
            ]
        }
    }
    settings.TEAM_MAPPING = {"studio-qa": ("Starfall", Role.REVIEWER)}
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": ["'self'", server.url]}
    try:
        yield server
    finally:
        server.stop()
        # allauth keeps the identity provider's metadata in the cache; the next test's has
        # another key.
        cache.clear()


def sign_in_as(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_role("button", name="Sign in with Studio SAML").click()
    page.get_by_role("button", name=f"Sign in as {username}").click()


def test_a_first_sign_in_lands_in_the_team_its_group_maps_to(page: Page, saml: SamlServer):
    sign_in_as(page, "ana")
    expect(page.locator(".site-header .who")).to_have_text(re.compile("ana"))
    expect(page.get_by_role("heading", name="Starfall Reviewer")).to_be_visible()
    account = SocialAccount.objects.get()
    assert (account.provider, account.uid) == ("saml", "saml-ana")
    assert Membership.objects.get(user=account.user).role == Role.REVIEWER
    # Signed out and in again: the same user, found by the NameID.
    page.get_by_role("button", name="Sign out").click()
    sign_in_as(page, "ana")
    expect(page.locator(".site-header .who")).to_have_text(re.compile("ana"))
    assert User.objects.count() == 1


def test_a_user_no_group_maps_lands_in_no_team(page: Page, saml: SamlServer):
    sign_in_as(page, "cy")
    expect(page.get_by_text("You are in no team yet")).to_be_visible()
    assert not Membership.objects.exists()


def test_a_user_is_matched_by_name_id_never_by_email(page: Page, saml: SamlServer):
    local = User.objects.create_user("ana", email="ana@starfall.example")
    sign_in_as(page, "ana")
    expect(page.get_by_role("heading", name="Starfall Reviewer")).to_be_visible()
    assert SocialAccount.objects.get().user != local
    assert not Membership.objects.filter(user=local).exists()


def test_it_signs_in_with_the_identity_provider_given_by_hand(
    page: Page, saml: SamlServer, settings: Any
):
    # DJANGO_SAML_ENTITY_ID, DJANGO_SAML_SSO_URL and DJANGO_SAML_CERTIFICATE, for an identity
    # provider whose metadata is a file to download (Google Workspace's).
    idp = {"entity_id": saml.entity_id, "sso_url": saml.sso_url, "x509cert": saml.certificate}
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": [saml_app("Studio SAML", idp)]}}
    sign_in_as(page, "ana")
    expect(page.get_by_role("heading", name="Starfall Reviewer")).to_be_visible()


REFUSALS = {
    "bad_signature": "Signature validation failed",
    "wrong_audience": "is not a valid audience",
    "expired": "expired",
    "unknown_issuer": "Invalid issuer",
    "replayed_response": "may be replayed from another sign-in",
    "unsigned_assertion": "Assertion of the Response is not signed",
    "email_name_id": "did not name you by a persistent NameID",
}


def test_every_fault_has_its_refusal():
    assert set(REFUSALS) == set(SAML_FAULTS)


@pytest.mark.parametrize("fault", sorted(REFUSALS))
def test_an_answer_that_fails_a_check_is_refused_with_nothing_created(
    page: Page, saml: SamlServer, fault: str
):
    if fault == "replayed_response":
        # The replayed answer is that of an earlier sign-in, which must have happened.
        sign_in_as(page, "cy")
        page.get_by_role("button", name="Sign out").click()
        User.objects.all().delete()
    saml.fault = fault
    sign_in_as(page, "ana")
    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(REFUSALS[fault])
    assert not User.objects.exists() and not SocialAccount.objects.exists()
    page.goto("/")
    expect(page).to_have_url(re.compile("/login/"))
