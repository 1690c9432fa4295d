"""A slow Convai never holds a page for long: every page that may ask Convai answers within the
page timeout (CONVAI_PAGE_TIMEOUT) and a margin, saying what happened, while syncs, in the
background, keep the long read timeout. Timed over HTTP against the sandbox's "slow" fault."""

from __future__ import annotations

import time

import pytest

from convai_dashboard.accounts.models import CharacterAccess
from convai_dashboard.history import sync
from convai_dashboard.history.models import ConvaiCharacter, SyncStatus
from convai_dashboard.sandbox import ASTRONAUT_ID, DEMO_KEY, MUSEUM_GUIDE_ID, SHRINE_KEEPER_ID
from tests.factories import make_character, make_key, make_session

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PLAIN: dict[str, str] = {}
# A click on a session row: htmx asks for the transcript pane.
PANE = {**HTMX, "HTTP_HX_TARGET": "transcript"}
PAGE_TIMEOUT = 1.0
# Generous, for a busy shared machine: the point is that no page waits for the read timeout.
MARGIN = 3.0
STORED = "2026-10-01T00:00Z"
SESSION = "9fc15ee9-5f69-4f4b-916b-9c71a9a8786f"


@pytest.fixture
def slow(sandbox, settings):
    """Convai answers, but only after longer than a page may wait, and well within the read
    timeout: a page that used the read timeout would wait for it and take too long."""
    settings.CONVAI_PAGE_TIMEOUT = PAGE_TIMEOUT
    settings.CONVAI_READ_TIMEOUT = 20.0
    sandbox.fault, sandbox.slow_seconds = "slow", PAGE_TIMEOUT + MARGIN + 2
    return sandbox


@pytest.fixture
def held(owner, sandbox):
    """A key; a character whose list was never fetched; one whose list is stored, with a session
    whose transcript is not."""
    key = make_key(owner)
    fresh = make_character(owner, key, character_id=MUSEUM_GUIDE_ID)
    listed = make_character(owner, key, character_id=ASTRONAUT_ID, sessions_refreshed_at=STORED)
    make_session(listed, session_id=SESSION)
    return {
        "key": key.pk,
        "team": key.team_id,
        "fresh": fresh.character_id,
        "listed": listed.character_id,
    }


TRANSCRIPT = f"/characters/{{listed}}/sessions/{SESSION}/"
# (what, method, url, form data, headers, words the answer must carry) for every page that may
# ask Convai.
PAGES = [
    ("first visit", "get", "/characters/{fresh}/", {}, PLAIN, "Fetching the session list"),
    ("its fetch", "post", "/characters/{fresh}/refresh/", {}, HTMX, "did not answer within 1 s"),
    ("refresh", "post", "/characters/{fresh}/refresh/", {}, PLAIN, "did not answer within 1 s"),
    ("cold link", "get", "/characters/{fresh}/sessions/cold/", {}, PLAIN, 'name="next"'),
    ("unstored", "get", TRANSCRIPT, {}, PLAIN, "<strong>Fetching this transcript"),
    ("unstored click", "get", TRANSCRIPT, {}, PANE, "<strong>Fetching this transcript"),
    ("its fetch", "post", TRANSCRIPT + "refetch/", {}, PANE, "did not answer within 1 s"),
    ("refetch", "post", TRANSCRIPT + "refetch/", {}, PLAIN, "did not answer within 1 s"),
    (
        "add",
        "post",
        "/characters/add/",
        {"add-api_key": "{key}", "add-character_id": SHRINE_KEEPER_ID},
        PLAIN,
        "Access is granted only once Convai answers for the character",
    ),
    ("import", "post", "/characters/import/", {"import-api_key": "{key}"}, PLAIN, "Nothing was"),
    ("key", "post", "/keys/", {"label": "Second", "key": DEMO_KEY}, PLAIN, "Not verified yet"),
    (
        "key edit",
        "post",
        "/teams/{team}/keys/{key}/edit/",
        {"label": "Studio", "key": DEMO_KEY},
        PLAIN,
        "Not verified yet",
    ),
]


@pytest.mark.parametrize(
    ("method", "url", "data", "headers", "words"),
    [page[1:] for page in PAGES],
    ids=[page[0] for page in PAGES],
)
def test_no_page_waits_on_a_slow_convai_longer_than_the_page_timeout(
    owner_client, held, slow, method, url, data, headers, words
):
    form = {name: value.format(**held) for name, value in data.items()}
    start = time.monotonic()
    response = getattr(owner_client, method)(url.format(**held), form, **headers)
    elapsed = time.monotonic() - start
    if response.status_code == 302:
        response = owner_client.get(response["Location"])
    assert elapsed < PAGE_TIMEOUT + MARGIN, f"{elapsed:.1f} s"
    assert response.status_code < 500
    assert words in response.content.decode()


def test_pages_that_only_show_what_is_stored_ask_convai_nothing(owner_client, held, slow):
    for url in (
        f"/characters/{held['fresh']}/",
        f"/characters/{held['listed']}/sessions/{SESSION}/",
    ):
        owner_client.get(url)
    assert slow.requests == []


def test_a_cold_link_to_a_session_fetches_the_list_then_opens_the_session(
    owner_client, owner, sandbox
):
    make_character(owner, make_key(owner), character_id=ASTRONAUT_ID)
    url = f"/characters/{ASTRONAUT_ID}/sessions/{SESSION}/?sort=oldest"
    # The list was never fetched, so the session is not stored yet: the page fetches the list,
    # and comes back here once it is stored.
    page = owner_client.get(url)
    assert page.status_code == 200
    assert "The session you asked for opens once the list is stored" in page.content.decode()
    fetched = owner_client.post(f"/characters/{ASTRONAUT_ID}/refresh/", {"next": url}, **HTMX)
    assert fetched["HX-Redirect"] == url
    assert "<strong>Fetching this transcript from Convai" in owner_client.get(url).content.decode()
    # Without JavaScript too.
    again = owner_client.post(f"/characters/{ASTRONAUT_ID}/refresh/", {"next": url})
    assert again["Location"] == url
    # Once the list is stored, a session Convai does not list is a 404.
    assert owner_client.get(f"/characters/{ASTRONAUT_ID}/sessions/nowhere/").status_code == 404
    # Only a page of this site is led back to.
    elsewhere = owner_client.post(
        f"/characters/{ASTRONAUT_ID}/refresh/", {"next": "https://elsewhere.example/"}
    )
    assert elsewhere["Location"] == f"/characters/{ASTRONAUT_ID}/"


def test_a_sync_waits_longer_than_a_page_does(owner, owner_client, held, sandbox, settings):
    settings.CONVAI_PAGE_TIMEOUT = 0.5
    settings.CONVAI_READ_TIMEOUT = 5.0
    # The list answers in 1.5 s: too slow for a page, in time for a sync.
    sandbox.fault, sandbox.slow_seconds, sandbox.fault_count = "slow", 1.5, 1
    page = owner_client.post(f"/characters/{MUSEUM_GUIDE_ID}/refresh/", **HTMX).content.decode()
    assert "did not answer within 0.5 seconds" in page
    assert "“Sync all transcripts” fetches the list in the background" in page
    sandbox.fault, sandbox.slow_seconds, sandbox.fault_count = "slow", 1.5, 1
    character = ConvaiCharacter.objects.get(character_id=MUSEUM_GUIDE_ID)
    run, _ = sync.claim(character, owner)
    run = sync.run(run, concurrency=4)
    assert run.status == SyncStatus.DONE, run.stop_reason
    assert character.sessions.count() > 0


def test_adding_under_a_slow_convai_skips_the_name_rather_than_wait_twice(
    owner_client, owner, sandbox, settings
):
    settings.CONVAI_PAGE_TIMEOUT = PAGE_TIMEOUT
    # Each answer takes most of what a page waits: the history answers, the name would not.
    sandbox.latency_ms = 700
    key = make_key(owner)
    response = owner_client.post(
        "/characters/add/", {"add-api_key": key.pk, "add-character_id": ASTRONAUT_ID}, follow=True
    )
    assert "Name not asked for: Convai was slow to answer." in response.content.decode()
    assert CharacterAccess.objects.for_user(owner).get().character_id == ASTRONAUT_ID
    assert [r.path for r in sandbox.requests] == ["/character/chatHistory/list"]


def test_a_page_asks_a_failing_convai_once(owner_client, held, sandbox, settings):
    settings.CONVAI_PAGE_TIMEOUT = PAGE_TIMEOUT
    # Each 503 takes most of what a page waits: retried, they would hold it several times over.
    sandbox.fault, sandbox.latency_ms = "error_503_html", 700
    start = time.monotonic()
    page = owner_client.post(f"/characters/{held['fresh']}/refresh/", **HTMX).content.decode()
    elapsed = time.monotonic() - start
    assert "Convai is having trouble (HTTP 503)" in page
    assert len(sandbox.requests) == 1 and elapsed < PAGE_TIMEOUT + MARGIN, f"{elapsed:.1f} s"
