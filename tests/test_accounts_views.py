"""Signing in, API keys and characters, through Django's test client on a real database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from convai_dashboard.accounts.models import ApiKey, CharacterAccess
from convai_dashboard.accounts.teams import personal_team
from convai_dashboard.history.models import ChatSession
from convai_dashboard.sandbox import (
    ASTRONAUT_ID,
    CHAT_ONLY_CHARACTER_ID,
    CHAT_ONLY_KEY,
    DEMO_CHARACTER_IDS,
    DEMO_KEY,
    OTHER_KEY,
)
from tests.factories import make_character, make_key, make_session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/", "/keys/", "/characters/1/", "/teams/1/", "/teams/1/keys/1/edit/"]
)
def test_every_page_but_sign_in_needs_a_signed_in_user(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_user_signs_in_and_out(client, owner):
    response = client.post("/login/", {"username": "owner", "password": "pw-for-tests-only"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_there_is_no_sign_up(client):
    assert client.get("/signup/").status_code in (302, 404)
    assert b"Sign up" not in client.get("/login/").content


def test_a_checked_key_is_stored_encrypted_and_shown_masked(owner_client, owner, sandbox):
    response = owner_client.post("/keys/", {"label": "Studio", "key": DEMO_KEY}, follow=True)
    assert response.status_code == 200
    key = ApiKey.objects.for_user(owner).get()
    assert key.verified_at is not None
    assert DEMO_KEY not in key.encrypted_key
    assert key.secret() == DEMO_KEY
    page = owner_client.get("/keys/").content.decode()
    assert f"…{DEMO_KEY[-4:]}" in page
    assert DEMO_KEY not in page
    assert sandbox.requests[-1].path == "/character/list"


def test_a_wrong_key_is_refused_with_convais_words(owner_client, owner, sandbox):
    response = owner_client.post("/keys/", {"label": "Oops", "key": "wrong-key-123"})
    assert response.status_code == 400
    assert "Invalid API key provided." in response.content.decode()
    assert "wrong-key-123" not in response.content.decode()
    assert not ApiKey.objects.exists()


def test_a_key_whose_plan_cannot_list_characters_is_still_accepted(owner_client, owner, sandbox):
    response = owner_client.post("/keys/", {"label": "Small plan", "key": CHAT_ONLY_KEY})
    assert response.status_code == 302
    key = ApiKey.objects.for_user(owner).get()
    assert "would not list" in key.verification_note
    assert key.verified_at is not None, "Convai knew the key: it refused only the endpoint"


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("wrong_shape", "not in the expected shape"),
        ("garbage", "not JSON"),
        ("error_200", "Something went wrong on our side"),
        ("detail_error", "something is off"),
    ],
)
def test_a_key_is_verified_only_when_convai_accepted_it(owner_client, owner, sandbox, fault, words):
    sandbox.fault = fault
    response = owner_client.post("/keys/", {"label": "Unsure", "key": DEMO_KEY}, follow=True)
    key = ApiKey.objects.for_user(owner).get()
    assert key.verified_at is None
    assert key.verification_note.startswith("Not verified: ") and words in key.verification_note
    page = response.content.decode()
    assert "Not verified" in page and "verified with Convai" not in page


def test_a_key_is_saved_unverified_when_convai_is_down(owner_client, owner, sandbox):
    sandbox.fault = "error_503_html"
    response = owner_client.post("/keys/", {"label": "Later", "key": DEMO_KEY}, follow=True)
    key = ApiKey.objects.for_user(owner).get()
    assert key.verified_at is None
    assert "Not verified yet" in response.content.decode()


@pytest.mark.parametrize("bad", ["has space", "line\nbreak", 'quote"', ""])
def test_a_key_that_is_not_a_token_is_refused_before_calling_convai(owner_client, sandbox, bad):
    response = owner_client.post("/keys/", {"label": "x", "key": bad})
    assert response.status_code == 400
    assert sandbox.requests == []


@pytest.mark.parametrize("bad", ["..", ".hidden", "-rf", "a/b", "a b", "x" * 129])
def test_a_character_id_no_page_could_link_to_is_refused_before_calling_convai(
    owner_client, owner, sandbox, bad
):
    key = make_key(owner)
    response = owner_client.post(
        "/characters/add/", {"add-api_key": key.pk, "add-character_id": bad}
    )
    assert response.status_code == 400
    assert sandbox.requests == []


def test_a_key_can_be_relabelled_without_retyping_it(owner_client, owner, sandbox):
    key = make_key(owner)
    response = owner_client.post(
        f"/teams/{key.team_id}/keys/{key.pk}/edit/", {"label": "Renamed", "key": ""}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.label, key.secret()) == ("Renamed", DEMO_KEY)
    assert sandbox.requests == []


def test_deleting_a_key_suspends_what_it_proved_and_keeps_the_history(owner_client, owner):
    key = make_key(owner)
    character = make_character(owner, key)
    make_session(character)
    assert (
        "suspends your access"
        in owner_client.get(f"/teams/{key.team_id}/keys/{key.pk}/delete/").content.decode()
    )
    assert owner_client.post(f"/teams/{key.team_id}/keys/{key.pk}/delete/").status_code == 302
    access = CharacterAccess.objects.for_user(owner).get()
    assert access.api_key is None and not access.is_active
    assert "was deleted" in access.suspension_reason
    assert ChatSession.objects.filter(character=character).exists()
    assert owner_client.get(f"/characters/{character.character_id}/").status_code == 404


def test_a_character_is_added_by_id_and_named_by_convai(owner_client, owner, sandbox):
    key = make_key(owner)
    response = owner_client.post(
        "/characters/add/", {"add-api_key": key.pk, "add-character_id": ASTRONAUT_ID}
    )
    access = CharacterAccess.objects.for_user(owner).get()
    assert response["Location"] == reverse("character", args=[access.character_id])
    assert access.name and access.name != ASTRONAUT_ID
    assert access.is_active and access.confirmed_at is not None
    # Access is proven by the chat history itself answering for this key.
    assert "/character/chatHistory/list" in [r.path for r in sandbox.requests]


def test_a_character_without_the_character_api_is_added_by_bare_id(owner_client, owner, sandbox):
    key = make_key(owner, secret=CHAT_ONLY_KEY)
    owner_client.post(
        "/characters/add/", {"add-api_key": key.pk, "add-character_id": CHAT_ONLY_CHARACTER_ID}
    )
    access = CharacterAccess.objects.for_user(owner).get()
    assert access.name == ""
    assert access.display_name == CHAT_ONLY_CHARACTER_ID


def test_a_character_of_another_account_is_refused(owner_client, owner, sandbox):
    key = make_key(owner, secret=OTHER_KEY)
    response = owner_client.post(
        "/characters/add/", {"add-api_key": key.pk, "add-character_id": ASTRONAUT_ID}
    )
    assert response.status_code == 400
    assert "belongs to the account of this API key" in response.content.decode()
    assert not CharacterAccess.objects.exists()


def test_an_unknown_character_is_refused_with_convais_words(owner_client, owner, sandbox):
    key = make_key(owner)
    response = owner_client.post(
        "/characters/add/", {"add-api_key": key.pk, "add-character_id": "f" * 32}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"would not give access to character {'f' * 32}" in page
    assert "Convai said: &quot;" in page
    assert not CharacterAccess.objects.exists()


def test_adding_while_convai_is_down_keeps_what_was_typed(owner_client, owner, sandbox):
    key = make_key(owner)
    sandbox.fault = "error_500_html"
    response = owner_client.post(
        "/characters/add/", {"add-api_key": key.pk, "add-character_id": ASTRONAUT_ID}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was added" in page and "HTTP 500" in page
    assert f'value="{ASTRONAUT_ID}"' in page


def test_all_characters_of_a_key_are_imported_once(owner_client, owner, sandbox):
    key = make_key(owner)
    owner_client.post("/characters/import/", {"import-api_key": key.pk})
    owner_client.post("/characters/import/", {"import-api_key": key.pk})
    ids = set(CharacterAccess.objects.for_user(owner).values_list("character_id", flat=True))
    assert set(DEMO_CHARACTER_IDS) <= ids
    assert CharacterAccess.objects.for_user(owner).count() == len(ids)


def test_removing_a_character_drops_the_access_and_keeps_the_history(
    owner_client, owner, colleague
):
    character = make_character(owner)
    make_character(colleague)
    make_session(character)
    page = owner_client.get(
        f"/teams/{personal_team(owner).pk}/characters/{character.character_id}/remove/"
    ).content.decode()
    assert "Nothing is deleted" in page and "1 other team" in page
    assert "The review work on it" in page
    assert (
        owner_client.post(
            f"/teams/{personal_team(owner).pk}/characters/{character.character_id}/remove/"
        ).status_code
        == 302
    )
    assert not CharacterAccess.objects.for_user(owner).exists()
    assert ChatSession.objects.filter(character=character).exists()


def test_another_users_key_cannot_be_chosen_for_a_character(owner_client, outsider, sandbox):
    their_key = make_key(outsider)
    response = owner_client.post(
        "/characters/add/", {"add-api_key": their_key.pk, "add-character_id": ASTRONAUT_ID}
    )
    assert response.status_code == 400
    assert not CharacterAccess.objects.exists()


def test_a_page_reads_the_readers_preferences_once(owner_client):
    owner_client.post(reverse("preferences"), {"theme": "dark", "next": reverse("keys")})
    with CaptureQueriesContext(connection) as queries:
        page = owner_client.get(reverse("keys"))
    assert b'data-theme="dark"' in page.content and b'data-times="utc"' in page.content
    # Read where the page first shows them, however many times it shows them.
    assert len([q for q in queries if "accounts_preferences" in q["sql"]]) == 1
