"""Signing in with the studio's identity provider, in Chromium, against the local OpenID Connect
provider (convai_dashboard/sandbox/oidc.py) run beside the dashboard: a first sign-in lands
in the team its groups map to, a user is matched by `sub` alone, and an ID token that fails any
check is refused with a page that says which, with nothing created."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from convai_dashboard.accounts.models import Membership, Role
from convai_dashboard.sandbox.oidc import OidcServer
from convai_dashboard.sandbox.oidc_provider import OIDC_FAULTS

pytestmark = pytest.mark.browser
CALLBACK = "/accounts/oidc/studio/login/callback/"


@pytest.fixture
def oidc(live_server: Any, settings: Any) -> Iterator[OidcServer]:
    server = OidcServer(redirect_uris=(live_server.url + CALLBACK,))
    server.start()
    settings.OIDC_ISSUER = server.url
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "studio",
                    "name": "Studio SSO",
                    "client_id": server.client.client_id,
                    "secret": server.client.client_secret,
                    "settings": {"server_url": server.url, "oauth_pkce_enabled": True},
                }
            ],
        }
    }
    settings.TEAM_MAPPING = {"studio-qa": ("Starfall", Role.REVIEWER)}
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": ["'self'", server.url]}
    try:
        yield server
    finally:
        server.stop()


def sign_in_as(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_role("button", name="Sign in with Studio SSO").click()
    page.get_by_role("button", name=f"Sign in as {username}").click()


def test_a_first_sign_in_lands_in_the_team_its_group_maps_to(page: Page, oidc: OidcServer):
    sign_in_as(page, "ana")
    expect(page.locator(".site-header .who")).to_have_text(re.compile("ana"))
    expect(page.get_by_role("heading", name="Starfall Reviewer")).to_be_visible()
    account = SocialAccount.objects.get()
    assert account.uid == "oidc-ana"
    assert Membership.objects.get(user=account.user).role == Role.REVIEWER
    # Signed out and in again: the same user, found by sub.
    page.get_by_role("button", name="Sign out").click()
    sign_in_as(page, "ana")
    expect(page.locator(".site-header .who")).to_have_text(re.compile("ana"))
    assert User.objects.count() == 1


def test_a_user_no_group_maps_lands_in_no_team(page: Page, oidc: OidcServer):
    sign_in_as(page, "cy")
    expect(page.get_by_text("You are in no team yet")).to_be_visible()
    assert not Membership.objects.exists()


def test_a_user_is_matched_by_sub_never_by_email(page: Page, oidc: OidcServer):
    local = User.objects.create_user("ana-local", email="ana@starfall.example")
    sign_in_as(page, "ana")
    expect(page.get_by_role("heading", name="Starfall Reviewer")).to_be_visible()
    assert SocialAccount.objects.get().user != local
    assert not Membership.objects.filter(user=local).exists()


REFUSALS = {
    "wrong_audience": "issued for another application",
    "expired": "has expired",
    "bad_signature": "signature does not match",
    "replayed_nonce": "nonce this sign-in asked for",
    "unknown_issuer": "unknown issuer",
}


def test_every_fault_has_its_refusal():
    assert set(REFUSALS) == set(OIDC_FAULTS)


@pytest.mark.parametrize("fault", sorted(REFUSALS))
def test_a_token_that_fails_a_check_is_refused_with_nothing_created(
    page: Page, oidc: OidcServer, fault: str
):
    if fault == "replayed_nonce":
        # The replayed nonce is that of an earlier sign-in, which must have happened.
        sign_in_as(page, "cy")
        page.get_by_role("button", name="Sign out").click()
        User.objects.all().delete()
    oidc.fault = fault
    sign_in_as(page, "ana")
    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(REFUSALS[fault])
    assert not User.objects.exists() and not SocialAccount.objects.exists()
    page.goto("/")
    expect(page).to_have_url(re.compile("/login/"))
