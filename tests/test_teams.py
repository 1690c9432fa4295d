"""A team's admins manage its members, roles, invitations and keys from the team's page; each
change is in its audit log, and a role changed takes effect on the reader's next request,
whatever is cached."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from convai_dashboard.accounts.models import (
    ApiKey,
    AuditEntry,
    CharacterAccess,
    Invitation,
    Membership,
    Role,
    Team,
)
from convai_dashboard.accounts.teams import personal_team
from convai_dashboard.history.models import ReviewStatus
from tests.factories import (
    make_character,
    make_interaction,
    make_key,
    make_member,
    make_session,
    make_user,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def team(sandbox):
    """Starfall: an admin with the key and a character with one session; a reviewer."""
    admin = make_user("admin")
    team = Team.objects.create(name="Starfall")
    Membership.objects.create(team=team, user=admin, role=Role.ADMIN)
    key = make_key(admin, team=team, label="Studio")
    character = make_character(admin, key)
    session = make_session(character, transcript_fetched_at=timezone.now())
    make_interaction(session, ("User", "Hello?"), ("Character", "Who goes there?"))
    make_member(team, "rita", Role.REVIEWER)
    return team


def member(username: str) -> Membership:
    return Membership.objects.select_related("team").get(user__username=username)


def test_a_role_changed_takes_effect_on_the_next_request_whatever_is_cached(team):
    rita = client_of(User.objects.get(username="rita"))
    character = team.accesses.get().character_id
    session = f"/characters/{character}/sessions/session-1/"
    # Read once as a reviewer, so that the transcript and the rows are cached.
    page = rita.get(session).content.decode()
    assert "flag-link" in page and "status-button" in page
    admin = client_of(User.objects.get(username="admin"))
    changed = admin.post(f"/teams/{team.pk}/members/{member('rita').pk}/", {"role": "viewer"})
    assert changed.status_code == 302
    page = rita.get(session).content.decode()
    assert "flag-link" not in page and "status-button" not in page
    refused = rita.post(session + "status/", {"status": ReviewStatus.APPROVED}, **HTMX)
    assert refused.status_code == 403
    assert "Reviewing sessions needs the Reviewer role or above." in refused.content.decode()
    assert AuditEntry.objects.filter(
        team=team, what="changed rita's role from Reviewer to Viewer"
    ).exists()


def test_a_team_keeps_an_admin(team):
    admin = client_of(User.objects.get(username="admin"))
    mine = member("admin")
    page = admin.post(f"/teams/{team.pk}/members/{mine.pk}/", {"role": "lead"}, follow=True)
    assert "A team keeps at least one admin" in page.content.decode()
    admin.post(f"/teams/{team.pk}/members/{mine.pk}/", {"remove": "1"})
    assert member("admin").role == Role.ADMIN


def test_a_member_who_is_not_an_admin_never_receives_a_key(team):
    rita = client_of(User.objects.get(username="rita"))
    key = ApiKey.objects.get(team=team)
    secret = key.secret()
    for url in (
        "/",
        "/teams/",
        f"/teams/{team.pk}/",
        f"/characters/{key.accesses.get().character_id}/",
    ):
        page = rita.get(url).content.decode()
        assert secret not in page and "Studio" not in page and key.masked not in page, url
    assert rita.get("/keys/").status_code == 403
    assert rita.get(f"/teams/{team.pk}/keys/{key.pk}/edit/").status_code == 403


def test_an_admin_moves_a_key_with_what_it_proved_into_a_shared_team(sandbox):
    owner = make_user("owner")
    key = make_key(owner, label="Mine")
    make_character(owner, key)
    shared = Team.objects.create(name="Starfall")
    Membership.objects.create(team=shared, user=owner, role=Role.ADMIN)
    viewer = make_member(shared, "vic", Role.VIEWER)
    assert (
        client_of(viewer).get(f"/characters/{key.accesses.get().character_id}/").status_code == 404
    )
    moved = client_of(owner).post(
        f"/teams/{key.team_id}/keys/{key.pk}/edit/", {"team": shared.pk, "label": "Mine"}
    )
    assert moved.status_code == 302
    assert ApiKey.objects.get(pk=key.pk).team == shared
    access = CharacterAccess.objects.get()
    assert access.team == shared
    assert client_of(viewer).get(f"/characters/{access.character_id}/").status_code == 200
    assert AuditEntry.objects.filter(
        team=personal_team(owner), what__startswith="moved key"
    ).exists()
    assert AuditEntry.objects.filter(team=shared, what__startswith="moved in key").exists()


def _invite(team: Team, role: str = "reviewer") -> str:
    admin = client_of(User.objects.get(username="admin"))
    page = admin.post(f"/teams/{team.pk}/invitations/", {"role": role}).content.decode()
    link = re.search(r'<code class="invitation-link">([^<]+)</code>', page)
    assert link, page
    return link.group(1).removeprefix("http://testserver")


def test_an_invitation_makes_an_account_in_its_team_with_its_role(team):
    link = _invite(team, "viewer")
    newcomer = Client()
    assert "Join Starfall as Viewer" in newcomer.get(link).content.decode()
    joined = newcomer.post(
        link,
        {
            "username": "vendor",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert joined.status_code == 302
    assert member("vendor").team == team and member("vendor").role == Role.VIEWER
    assert "Starfall" in newcomer.get("/").content.decode()


def test_an_invitation_is_used_once(team):
    link = _invite(team)
    client_of(make_user("first")).post(link)
    again = client_of(make_user("second")).post(link)
    assert again.status_code == 410 and "used already" in again.content.decode()
    assert not Membership.objects.filter(user__username="second").exists()
    # A newcomer's account is not made either.
    newcomer = Client().post(
        link,
        {"username": "third", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    assert newcomer.status_code == 410 and not User.objects.filter(username="third").exists()


def test_an_expired_invitation_is_refused(team):
    link = _invite(team)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = client_of(make_user("late")).post(link)
    assert refused.status_code == 410 and "expired" in refused.content.decode()
    assert not Membership.objects.filter(user__username="late").exists()


def test_an_unknown_link_is_refused(team):
    refused = Client().get("/invitations/not-a-token/")
    assert refused.status_code == 410 and "not one this dashboard made" in refused.content.decode()


def test_nobody_invites_to_a_team_they_do_not_administer(team):
    rita = client_of(User.objects.get(username="rita"))
    assert rita.post(f"/teams/{team.pk}/invitations/", {"role": "admin"}).status_code == 403
    outsider = make_user("outsider")
    personal_team(outsider)
    assert (
        client_of(outsider).post(f"/teams/{team.pk}/invitations/", {"role": "viewer"}).status_code
        == 404
    )
    assert not Invitation.objects.exists()
