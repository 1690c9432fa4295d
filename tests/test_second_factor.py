"""A team can require a second factor: its members give the one-time code of an authenticator
app (TOTP, allauth's MFA) after each sign-in, setting the app up the first time. Until then
every page sends them to give it."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from convai_dashboard.accounts.models import AuditEntry, Membership, Role, Team

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-password"
GATE = "/login/second-factor/"


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def signed_in(username: str) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def starfall() -> Team:
    team = Team.objects.create(name="Starfall", require_second_factor=True)
    for name, role in (("admin", Role.ADMIN), ("rita", Role.REVIEWER)):
        user = User.objects.create_user(name, password=PASSWORD)
        Membership.objects.create(team=team, user=user, role=role)
    return team


def test_a_member_sets_up_an_app_then_gives_its_code_at_each_sign_in(starfall):
    rita = signed_in("rita")
    sent = rita.get("/teams/")
    assert sent.status_code == 302 and sent["Location"] == f"{GATE}?next=/teams/"
    page = rita.get(GATE).content.decode()
    secret = re.search(r'<code class="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    assert rita.post(GATE, {"code": "000000", "next": "/teams/"}).status_code == 400
    went_on = rita.post(GATE, {"code": current_code(secret), "next": "/teams/"})
    assert went_on.status_code == 302 and went_on["Location"] == "/teams/"
    assert rita.get("/teams/").status_code == 200
    assert Authenticator.objects.filter(user__username="rita").exists()

    # The next sign-in asks for a code again, with no new secret.
    rita = signed_in("rita")
    assert rita.get("/")["Location"].startswith(GATE)
    assert "totp-secret" not in rita.get(GATE).content.decode()
    assert rita.post(GATE, {"code": current_code(secret)}).status_code == 302
    assert rita.get("/").status_code == 200
    # A code given once is refused the next time, until the app shows the next one.
    rita = signed_in("rita")
    refused = rita.post(GATE, {"code": current_code(secret)})
    assert refused.status_code == 400 and "used already" in refused.content.decode()
    cache.clear()
    assert rita.post(GATE, {"code": current_code(secret)}).status_code == 302


def test_a_team_that_does_not_require_it_asks_nothing(starfall):
    Team.objects.update(require_second_factor=False)
    assert signed_in("rita").get("/").status_code == 200


def test_an_admin_requires_it_and_the_log_says_so(starfall):
    Team.objects.update(require_second_factor=False)
    rita = Client()
    rita.force_login(User.objects.get(username="rita"))
    admin = signed_in("admin")
    assert (
        admin.post(f"/teams/{starfall.pk}/settings/", {"require_second_factor": "on"}).status_code
        == 302
    )
    assert Team.objects.get().require_second_factor
    assert AuditEntry.objects.filter(what="required a second factor (TOTP) of the members").exists()
    # Asked at sign-in: a session from before goes on until its next sign-in.
    assert rita.get("/").status_code == 200
    assert signed_in("rita").get("/")["Location"].startswith(GATE)
