"""One history per Convai character, shared by every user whose own key Convai accepts for it."""

from __future__ import annotations

import pytest

from convai_dashboard.accounts.models import CharacterAccess
from convai_dashboard.history.models import ChatSession, ConvaiCharacter, SyncRun
from convai_dashboard.sandbox import ASTRONAUT_ID, DEMO_KEY, OTHER_KEY
from tests.factories import make_character, make_interaction, make_key, make_session, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SESSION = "9fc15ee9-5f69-4f4b-916b-9c71a9a8786f"


def add(client, key, character_id=ASTRONAUT_ID):
    return client.post(
        "/characters/add/", {"add-api_key": key.pk, "add-character_id": character_id}
    )


def test_two_holders_of_one_character_share_one_history(
    owner_client, owner, colleague_client, colleague, sandbox
):
    assert add(owner_client, make_key(owner)).status_code == 302
    assert add(colleague_client, make_key(colleague)).status_code == 302
    # The first visit fills the list once (its "fetching" form, sent by htmx); the second
    # holder reads what is stored.
    owner_client.post(f"/characters/{ASTRONAUT_ID}/refresh/", **HTMX)
    lists = [r for r in sandbox.requests if r.path == "/character/chatHistory/list"]
    page = colleague_client.get(f"/characters/{ASTRONAUT_ID}/").content.decode()
    assert "79 sessions stored" in page and "Fetching the session list" not in page
    assert [r for r in sandbox.requests if r.path == "/character/chatHistory/list"] == lists
    assert ConvaiCharacter.objects.count() == 1
    assert ChatSession.objects.count() == 79
    owner_client.post(f"/characters/{ASTRONAUT_ID}/sessions/{SESSION}/refetch/", **HTMX)
    for client in (owner_client, colleague_client):
        page = client.get(f"/characters/{ASTRONAUT_ID}/sessions/{SESSION}/").content.decode()
        assert "stranded on an asteroid" in page and "<strong>Fetching this transcript" not in page
    # The transcript was fetched once, for both.
    details = [r for r in sandbox.requests if r.path == "/character/chatHistory/details"]
    assert len(details) == 1


def test_a_sync_started_by_either_holder_shows_to_both(
    owner_client, owner, colleague_client, colleague
):
    character = make_character(owner, make_key(owner), sessions_refreshed_at="2026-10-01T00:00Z")
    make_character(colleague, make_key(colleague))
    colleague_client.post(f"/characters/{ASTRONAUT_ID}/sync/")
    run = SyncRun.objects.get()
    assert run.character == character and run.requested_by == colleague
    for client in (owner_client, colleague_client):
        status = client.get(f"/characters/{ASTRONAUT_ID}/sync/status/", **HTMX).content.decode()
        assert "Syncing all transcripts" in status and "started by colleague" in status
    # Starting it again, from the other holder, joins the same run.
    owner_client.post(f"/characters/{ASTRONAUT_ID}/sync/")
    assert SyncRun.objects.count() == 1


@pytest.mark.parametrize(
    ("secret", "fault", "words"),
    [
        (OTHER_KEY, None, "belongs to the account of this API key"),
        (DEMO_KEY, "error_503_html", "Nothing was added"),
        (DEMO_KEY, "slow", "Nothing was added"),
    ],
    ids=["refused", "unreachable", "slow"],
)
def test_typing_a_held_id_grants_nothing_unless_convai_accepts_it(
    owner, outsider_client, outsider, sandbox, secret, fault, words
):
    character = make_character(owner, make_key(owner))
    session = make_session(character, session_id=SESSION)
    make_interaction(session, ("User", "secret plot"))
    key = make_key(outsider, secret=secret)
    sandbox.fault = fault
    response = add(outsider_client, key)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not CharacterAccess.objects.for_user(outsider).exists()
    for url in (f"/characters/{ASTRONAUT_ID}/", f"/characters/{ASTRONAUT_ID}/sessions/{SESSION}/"):
        assert outsider_client.get(url).status_code == 404
    assert "secret plot" not in outsider_client.get("/search/", {"q": "secret"}).content.decode()


def test_a_holder_whose_key_is_refused_loses_access_until_a_working_key_confirms_it(
    owner_client, owner, sandbox
):
    key = make_key(owner)
    character = make_character(owner, key, sessions_refreshed_at="2026-10-01T00:00Z")
    make_session(character, session_id=SESSION)
    # Convai stops accepting the key (it was revoked in Convai's dashboard).
    key.set_secret("revoked-key-0000")
    key.save()
    response = owner_client.post(f"/characters/{ASTRONAUT_ID}/refresh/", follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert "your access is suspended" in page
    assert "Invalid API key provided." in page  # the reason, shown on the characters page
    assert owner_client.get(f"/characters/{ASTRONAUT_ID}/").status_code == 404
    # The history is kept, and a working key brings the same history back.
    working = make_key(owner, label="New key")
    assert add(owner_client, working).status_code == 302
    access = CharacterAccess.objects.for_user(owner).get()
    assert access.is_active and access.api_key == working and access.suspension_reason == ""
    assert owner_client.get(f"/characters/{ASTRONAUT_ID}/sessions/{SESSION}/").status_code == 200


def test_a_refused_holder_is_suspended_while_the_others_keep_reading(
    owner_client, owner, colleague_client, colleague, sandbox
):
    key = make_key(owner)
    character = make_character(owner, key, sessions_refreshed_at="2026-10-01T00:00Z")
    make_character(colleague, make_key(colleague))
    key.set_secret("revoked-key-0000")
    key.save()
    # The owner's refresh goes on with the colleague's key: the list is refreshed for both.
    owner_client.post(f"/characters/{ASTRONAUT_ID}/refresh/")
    character.refresh_from_db()
    assert character.session_count == 79
    assert not CharacterAccess.objects.for_user(owner).get().is_active
    assert colleague_client.get(f"/characters/{ASTRONAUT_ID}/").status_code == 200


def test_ten_holders_keep_one_copy(sandbox):
    holders = [make_user(f"tester{n}") for n in range(10)]
    for user in holders:
        make_character(user, make_key(user))
    character = ConvaiCharacter.objects.get()
    make_session(character, session_id=SESSION)
    assert ConvaiCharacter.objects.count() == 1 and ChatSession.objects.count() == 1
    assert CharacterAccess.objects.filter(character_id=ASTRONAUT_ID).count() == 10
