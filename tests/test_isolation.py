"""Every URL with an owner: the owner gets it, an outsider gets a 404, whatever the method."""

from __future__ import annotations

import pytest

from convai_dashboard.accounts.models import ApiKey, Character
from convai_dashboard.history.models import ChatSession
from tests.conftest import make_character, make_interaction, make_key, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(owner):
    key = make_key(owner, label="Owner-only key")
    character = make_character(
        owner, key, name="Owner-only character", sessions_refreshed_at="2026-10-01T00:00Z"
    )
    session = make_session(
        character, session_id="owned-session", transcript_fetched_at="2026-10-01T00:00Z"
    )
    make_interaction(session, ("User", "secret plot"), ("Character", "spoilers"))
    return {"key": key.pk, "char": character.character_id, "sid": session.session_id}


# (method, url) of every page that belongs to a user.
OWNED_URLS = [
    ("get", "/keys/{key}/edit/"),
    ("post", "/keys/{key}/edit/"),
    ("get", "/keys/{key}/delete/"),
    ("post", "/keys/{key}/delete/"),
    ("get", "/characters/{char}/"),
    ("post", "/characters/{char}/refresh/"),
    ("get", "/characters/{char}/remove/"),
    ("post", "/characters/{char}/remove/"),
    ("get", "/characters/{char}/sessions/{sid}/"),
    ("post", "/characters/{char}/sessions/{sid}/refetch/"),
    ("post", "/characters/{char}/sync/"),
    ("get", "/characters/{char}/sync/status/"),
    ("post", "/characters/{char}/sync/cancel/"),
]


@pytest.mark.parametrize(("method", "url"), OWNED_URLS)
def test_an_outsider_gets_a_404_and_changes_nothing(outsider_client, owned, method, url):
    response = getattr(outsider_client, method)(url.format(**owned), {"label": "hijack"})
    assert response.status_code == 404
    assert ApiKey.objects.filter(label="Owner-only key").exists()
    assert Character.objects.exists() and ChatSession.objects.exists()


@pytest.mark.parametrize(("method", "url"), [u for u in OWNED_URLS if u[0] == "get"])
def test_the_owner_gets_the_page(owner_client, owned, method, url):
    assert owner_client.get(url.format(**owned), follow=True).status_code == 200


def test_lists_show_only_the_users_own_things(outsider_client, owned):
    for url in ["/", "/keys/"]:
        page = outsider_client.get(url).content.decode()
        assert "Owner-only character" not in page and "Owner-only key" not in page


def test_an_outsider_cannot_reach_a_session_through_their_own_character(
    outsider_client, outsider, owned
):
    theirs = make_character(outsider, sessions_refreshed_at="2026-10-01T00:00Z")
    response = outsider_client.get(f"/characters/{theirs.character_id}/sessions/{owned['sid']}/")
    assert response.status_code == 404


def test_a_colleague_with_the_same_character_reads_their_own_copy_at_the_same_url(
    outsider_client, outsider, owned
):
    theirs = make_character(outsider, name="Their copy", sessions_refreshed_at="2026-10-01T00:00Z")
    session = make_session(
        theirs, session_id=owned["sid"], transcript_fetched_at="2026-10-01T00:00Z"
    )
    make_interaction(session, ("User", "their own line"))
    page = outsider_client.get(f"/characters/{owned['char']}/sessions/{owned['sid']}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "their own line" in text and "secret plot" not in text
