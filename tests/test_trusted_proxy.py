"""Signing in through a trusted proxy's header (accounts/proxy.py): ignored unless
DJANGO_TRUSTED_USER_HEADER names it; when on, the header alone says who is signed in.

The "on" side runs the dashboard as a process of its own with the variable set, as a deployment
would, and asks it over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.contrib.auth.models import User

from convai_dashboard.sandbox.process import free_port

ROOT = Path(__file__).resolve().parent.parent
HEADER = "X-Forwarded-User"
GROUPS = "X-Forwarded-Groups"


def test_the_header_is_ignored_when_no_proxy_is_named(client, db):
    User.objects.create_user("lead")
    page = client.get("/", HTTP_X_FORWARDED_USER="lead", HTTP_REMOTE_USER="lead")
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    assert 'name="password"' in client.get("/login/").content.decode()


@pytest.fixture(scope="module")
def proxied_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("proxied")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return {
        **base,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{folder / 'proxied.sqlite3'}",
        "DJANGO_TRUSTED_USER_HEADER": HEADER,
        "DJANGO_TRUSTED_GROUPS_HEADER": GROUPS,
        "DJANGO_TEAM_MAPPING": "studio-qa=Starfall:reviewer, @vendor.example=Localisation:viewer",
    }


@pytest.fixture(scope="module")
def proxied(proxied_env: dict[str, str]) -> Iterator[str]:
    """The dashboard, with DJANGO_TRUSTED_USER_HEADER set, at the URL this yields."""
    env = proxied_env
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "no server"
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def who(page: requests.Response) -> str | None:
    found = re.search(r'<span class="who">([^<]*)</span>', page.text)
    return found.group(1) if found else None


def test_the_proxys_user_is_signed_in_and_made_on_their_first_request(proxied):
    browser = requests.Session()
    page = browser.get(f"{proxied}/", headers={HEADER: "qa-tester"})
    assert page.status_code == 200 and who(page) == "qa-tester"
    # No group maps to a team: no team, and the page says to ask an admin.
    assert "You are in no team yet" in page.text and "Ask an admin" in page.text


def test_the_proxys_groups_place_a_new_user_in_their_team_with_its_role(proxied):
    browser = requests.Session()
    page = browser.get(f"{proxied}/", headers={HEADER: "qa-lead", GROUPS: "staff, studio-qa"})
    assert "Starfall" in page.text and "Reviewer" in page.text
    assert "You are in no team yet" not in page.text
    # Read at the first sign-in only: a group the proxy names later changes nothing.
    page = browser.get(f"{proxied}/", headers={HEADER: "writer-2", GROUPS: "staff"})
    assert "You are in no team yet" in page.text
    page = browser.get(f"{proxied}/", headers={HEADER: "writer-2", GROUPS: "studio-qa"})
    assert "You are in no team yet" in page.text


def test_a_request_without_the_header_is_signed_in_as_nobody(proxied):
    browser = requests.Session()
    assert who(browser.get(f"{proxied}/", headers={HEADER: "writer"})) == "writer"
    # The same session, past the proxy: no one, and the sign-in page says to come through it.
    page = browser.get(f"{proxied}/")
    assert page.url.startswith(f"{proxied}/login/") and who(page) is None
    assert HEADER in page.text and 'name="password"' not in page.text
    # Nor does an empty header name anyone.
    assert who(browser.get(f"{proxied}/", headers={HEADER: ""})) is None


def test_the_header_decides_who_even_within_one_session(proxied):
    browser = requests.Session()
    assert who(browser.get(f"{proxied}/", headers={HEADER: "first"})) == "first"
    assert who(browser.get(f"{proxied}/", headers={HEADER: "second"})) == "second"


def test_no_password_form_is_offered_behind_the_proxy(proxied):
    page = requests.get(f"{proxied}/login/")
    assert page.status_code == 200 and 'name="password"' not in page.text
    # A password posted anyway signs nobody in: there is no form behind the page.
    assert who(requests.post(f"{proxied}/login/", data={"username": "x", "password": "y"})) is None


# A session a password signed in, made as Django's login would make it, before the proxy.
PASSWORD_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
user = User.objects.create_user("old-admin", password="a-long-old-password")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "convai_dashboard.accounts.backends.PasswordBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.save()
print(session.session_key)
"""


def test_a_passwords_session_is_not_signed_in_past_the_proxy(proxied, proxied_env):
    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PASSWORD_SESSION],
        cwd=ROOT,
        env={**proxied_env, "DJANGO_TRUSTED_USER_HEADER": ""},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    browser = requests.Session()
    browser.cookies.set("sessionid", made.stdout.split()[-1])
    page = browser.get(f"{proxied}/")
    assert page.url.startswith(f"{proxied}/login/") and who(page) is None
