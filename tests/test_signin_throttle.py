"""Sign-in throttling (django-axes): guessing a password from one address stops at the limit,
with a page that says why, on the dashboard's sign-in and the admin's; failures are logged with
the user name and address, never the password."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.utils import timezone

from convai_dashboard.accounts.signin import client_ip
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
GUESS = "hunter2-guessed-Pa55word"


@pytest.fixture(autouse=True)
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def sign_in(client, password, username="owner", url="/login/", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def signed_in(client):
    return client.get("/").status_code == 200


def test_wrong_passwords_lock_the_account_out_from_that_address(client, owner, limit):
    for _ in range(limit - 1):
        response = sign_in(client, GUESS)
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    locked = sign_in(client, GUESS)
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Sign-in locked for now" in page
    assert f"After {limit} wrong passwords in a row" in page
    assert "15 min" in page
    # Even the right password is refused until the lock expires.
    assert sign_in(client, PASSWORD).status_code == 429
    assert not signed_in(client)


def test_the_lock_holds_only_that_user_at_that_address(client, owner, limit):
    make_user("colleague")
    for _ in range(limit):
        sign_in(client, GUESS)
    assert sign_in(client, PASSWORD).status_code == 429
    colleague = Client()
    assert sign_in(colleague, PASSWORD, username="colleague").status_code == 302
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert sign_in(elsewhere, PASSWORD).status_code == 302
    assert signed_in(elsewhere)


def test_the_lock_lifts_after_the_cool_off(client, owner, limit):
    for _ in range(limit):
        sign_in(client, GUESS)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_good_sign_in_clears_the_count(client, owner, limit):
    for _ in range(limit - 1):
        sign_in(client, GUESS)
    assert sign_in(client, PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(limit - 1):
        sign_in(client, GUESS)
    assert sign_in(client, PASSWORD).status_code == 302


def test_the_admin_sign_in_is_throttled_too(client, limit):
    make_user("boss", is_staff=True, is_superuser=True)
    for _ in range(limit - 1):
        assert sign_in(client, GUESS, username="boss", url="/admin/login/").status_code == 200
    assert sign_in(client, GUESS, username="boss", url="/admin/login/").status_code == 429
    response = sign_in(client, PASSWORD, username="boss", url="/admin/login/")
    assert response.status_code == 429
    assert "Sign-in locked for now" in response.content.decode()


def test_a_failed_sign_in_is_logged_with_user_name_and_address_but_no_password(
    client, owner, caplog
):
    with caplog.at_level(logging.INFO):
        sign_in(client, GUESS, REMOTE_ADDR="192.0.2.7")
    failures = [r.getMessage() for r in caplog.records if "login failure" in r.getMessage()]
    assert len(failures) == 1
    assert 'username: "owner"' in failures[0] and 'ip_address: "192.0.2.7"' in failures[0]
    assert GUESS not in caplog.text
    # Nor in what axes stores of the attempt.
    attempt = AccessAttempt.objects.get()
    assert GUESS not in attempt.post_data and "owner" in attempt.post_data


def test_behind_the_proxy_the_address_is_the_one_the_proxy_saw():
    # The client may send an X-Forwarded-For of its own; the proxy appends what it saw last.
    forged = RequestFactory().post(
        "/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9"
    )
    assert client_ip(forged) == "198.51.100.9"
    direct = RequestFactory().post("/login/", REMOTE_ADDR="198.51.100.10")
    assert client_ip(direct) == "198.51.100.10"


def test_behind_the_proxy_forged_addresses_do_not_reset_the_count(client, owner, settings, limit):
    settings.AXES_CLIENT_IP_CALLABLE = "convai_dashboard.accounts.signin.client_ip"
    for n in range(limit):
        sign_in(client, GUESS, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.9")
    assert sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.9").status_code == (
        429
    )
