"""Signing in with a password can be turned off once single sign-on is on
(DJANGO_PASSWORD_SIGN_IN): no password form is offered, none is accepted, the admin's
included."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.urls import clear_url_caches

from convai_dashboard import urls as root_urls

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-password"


@pytest.fixture
def passwords_off(settings) -> Iterator[None]:
    settings.PASSWORD_SIGN_IN = False
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    importlib.reload(root_urls)
    clear_url_caches()
    yield
    settings.PASSWORD_SIGN_IN = True
    importlib.reload(root_urls)
    clear_url_caches()


def test_the_sign_in_page_offers_the_provider_and_a_password(client, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    page = client.get("/login/").content.decode()
    assert "Sign in with Studio SSO" in page and 'name="password"' in page


def test_with_passwords_off_no_password_signs_anyone_in(client, passwords_off):
    User.objects.create_user("lead", password=PASSWORD)
    page = client.get("/login/").content.decode()
    assert "Sign in with Studio SSO" in page and 'name="password"' not in page
    client.post("/login/", {"username": "lead", "password": PASSWORD})
    assert client.get("/")["Location"].startswith("/login/")
    admin = client.get("/admin/login/?next=/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/login/")


def test_saml_is_off_unless_configured(client):
    page = client.get("/login/").content.decode()
    assert "SAML" not in page
    assert client.post("/accounts/saml/studio/login/").status_code == 404


def test_the_sign_in_page_offers_saml_beside_the_other_provider(client, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    settings.SAML_ENABLED = True
    page = client.get("/login/").content.decode()
    assert "Sign in with Studio SSO" in page and "Sign in with Studio SAML" in page
    assert 'action="/accounts/saml/studio/login/"' in page
