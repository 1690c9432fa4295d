"""Settings come from the environment; production refuses to start without its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SECRET_KEY": "x" * 60 + "-a-long-random-production-secret",
    "CONVAI_KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DJANGO_ALLOWED_HOSTS": "dashboard.studio.internal",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CONVAI_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_passes_the_deploy_check_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "CONVAI_KEY_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_a_secret(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert f"{missing} is required when DJANGO_DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be one of"),
        ("CONVAI_READ_TIMEOUT", "soon", "CONVAI_READ_TIMEOUT must be a number"),
        ("CONVAI_RETRIES", "-2", "CONVAI_RETRIES must be at least 0"),
        ("CONVAI_KEY_ENCRYPTION_KEYS", "not-a-fernet-key", "not a Fernet key"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name, value, words):
    result = manage(
        "shell",
        "-c",
        "from convai_dashboard.accounts import crypto; crypto.encrypt('k')",
        **{**PRODUCTION, name: value},
    )
    assert result.returncode != 0
    assert words in result.stderr


def test_start_up_stops_on_an_encryption_key_that_is_not_a_fernet_key_without_showing_it():
    good = PRODUCTION["CONVAI_KEY_ENCRYPTION_KEYS"]
    result = manage("check", **{**PRODUCTION, "CONVAI_KEY_ENCRYPTION_KEYS": f"{good},hunter2-oops"})
    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert "value 2 of 2 is not a Fernet key" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout and good not in result.stderr


def test_migrate_runs_the_same_check(tmp_path):
    env = {**PRODUCTION, "CONVAI_KEY_ENCRYPTION_KEYS": "not-a-key"}
    result = manage("migrate", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **env)
    assert result.returncode != 0 and "accounts.E001" in result.stderr


def test_development_needs_nothing_but_debug():
    assert manage("check", DJANGO_DEBUG="1").returncode == 0


@pytest.mark.parametrize(("value", "backend"), [("off", "DummyCache"), ("on", "LocMemCache")])
def test_every_cache_can_be_turned_off_for_measuring(value, backend):
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.core.cache import caches; print(type(caches['default']).__name__)",
        DJANGO_DEBUG="1",
        DASHBOARD_CACHE=value,
    )
    assert result.stdout.strip() == backend, result.stderr


SAML_SETTINGS = (
    "from django.conf import settings; app = settings.SOCIALACCOUNT_PROVIDERS['saml']['APPS'][0]; "
    "print(app['name'], app['settings']['idp'], app['settings']['advanced']); "
    "print(settings.SECURE_CSP['form-action'])"
)


def test_saml_is_configured_by_its_metadata_url_with_signed_assertions_required():
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        SAML_SETTINGS,
        DJANGO_DEBUG="1",
        DJANGO_SAML_METADATA_URL="https://idp.studio.example/saml/metadata",
        DJANGO_SAML_NAME="Okta",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Okta {'metadata_url': 'https://idp.studio.example/saml/")
    assert "'want_assertion_signed': True" in result.stdout
    assert "'name_id_format': 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'" in (
        result.stdout
    )
    # The sign-in's form answers with a redirect to the identity provider.
    assert "'https://idp.studio.example'" in result.stdout.splitlines()[-1]


def test_saml_by_its_sign_on_url_needs_the_entity_id_and_certificate():
    result = manage("check", DJANGO_DEBUG="1", DJANGO_SAML_SSO_URL="https://idp.example/sso")
    assert result.returncode != 0
    assert "DJANGO_SAML_SSO_URL needs DJANGO_SAML_ENTITY_ID and DJANGO_SAML_CERTIFICATE" in (
        result.stderr
    )
