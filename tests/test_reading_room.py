"""The reading room in headless Chromium: the right transcript however fast the clicks, loading
that shows, search by conversation, every width, and a keyboard that never loses its place."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from convai_dashboard.history.models import ChatSession, ReviewStatus
from convai_dashboard.pages import sessions
from convai_dashboard.sandbox import ASTRONAUT_ID, SandboxServer
from tests.browser import PASSWORD, csp_violations, sign_in
from tests.factories import make_character, make_interaction, make_key, make_session

pytestmark = pytest.mark.browser

# Two real sessions of the export, neither stored until it is opened.
FIRST, SECOND = "9fc15ee9-5f69-4f4b-916b-9c71a9a8786f", "9bcc2afc-cfb6-41fa-a3ee-67c5d7a168a0"


def row(page: Page, session_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#session-list a.session-row[href*="/sessions/{session_id}/"]')


# What the page did, in order: each click on a link, each transcript swapped in (by the session
# it shows) and each URL pushed into history. Evaluated by Playwright, not by the page's CSP.
READING_LOG = """
window.__marker = 1;
window.__reading = [];
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (link) window.__reading.push(`click ${link.getAttribute("href")}`);
}, true);
document.addEventListener("htmx:afterSwap", () => {
  const facts = document.querySelector("#transcript .transcript-facts .mono");
  window.__reading.push(`swap ${facts ? facts.textContent : "no transcript"}`);
});
document.addEventListener("htmx:pushedIntoHistory", (event) => {
  window.__reading.push(`push ${event.detail.path}`);
});
"""


def slow_for(session_id: str, transcript_context: Callable[..., Any]) -> Callable[..., Any]:
    def slow(request: Any, chat: ChatSession, *args: Any, **kwargs: Any) -> Any:
        if chat.session_id == session_id:
            time.sleep(0.8)
        return transcript_context(request, chat, *args, **kwargs)

    return slow


@pytest.fixture
def astronaut(sandbox: SandboxServer) -> str:
    user = User.objects.create_user("tester", password=PASSWORD)
    make_character(user, make_key(user), name="DK Metcalf", character_id=ASTRONAUT_ID)
    return ASTRONAUT_ID


@pytest.mark.parametrize("stored", [False, True], ids=["fetched-from-convai", "stored"])
def test_two_rows_clicked_100_ms_apart_show_the_second(
    page: Page,
    astronaut: str,
    sandbox: SandboxServer,
    console_errors: list[str],
    stored: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why reading-room.js orders the answers itself: with hx-sync="#session-browser:replace" on
    the rows and on the fetching form, both cases fail on the console (htmx logs
    htmx:afterRequest and htmx:sendAbort as errors for the aborted request); with "queue last",
    the first transcript is swapped in and its URL pushed after the second click."""
    sign_in(page)
    page.goto(f"/characters/{astronaut}/")
    if stored:
        for session_id in (FIRST, SECOND):
            row(page, session_id).click()
            expect(page.locator("#transcript .transcript-facts")).to_contain_text(session_id)
            expect(page.locator("#transcript .interaction").first).to_be_visible()
        # A stored transcript does not wait for Convai: the first one's page is slow instead
        # (the live server runs in this process), so its answer comes after the second click.
        monkeypatch.setattr(
            sessions, "transcript_context", slow_for(FIRST, sessions.transcript_context)
        )
    sandbox.latency_ms = 800  # Convai is slow, and so is every page that asks it
    page.evaluate(READING_LOG)
    row(page, FIRST).click()
    page.wait_for_timeout(100)
    row(page, SECOND).click()
    expect(page).to_have_url(re.compile(rf"/sessions/{SECOND}/"))
    expect(page.locator("#transcript .transcript-facts")).to_contain_text(SECOND)
    # Long enough for the first answer to have come back: it must not replace the second.
    page.wait_for_timeout(2500)
    expect(page).to_have_url(re.compile(rf"/sessions/{SECOND}/"))
    expect(page.locator("#transcript .transcript-facts")).to_contain_text(SECOND)
    expect(row(page, SECOND)).to_have_attribute("aria-current", "true")
    log = page.evaluate("window.__reading")
    # From the second click on, nothing of the first is swapped in or pushed into history, not
    # even for a moment: not the whole page (the marker survives), not its transcript.
    after = log[max(n for n, entry in enumerate(log) if entry.startswith("click")) :]
    assert [entry for entry in after if FIRST in entry] == [], log
    assert page.evaluate("window.__marker") == 1
    # Nor is the first request aborted, which htmx would log as an error (hx-sync's way).
    assert console_errors == []


def test_a_transcript_fetched_from_convai_says_so_while_it_waits(
    page: Page, astronaut: str, sandbox: SandboxServer, settings: Any
) -> None:
    sign_in(page)
    page.goto(f"/characters/{astronaut}/")
    # The list is fetched on this first visit: only the transcript's fetch is to be slow.
    expect(row(page, FIRST)).to_be_visible()
    # Long enough for a busy machine's browser to see the fetch under way (the label is there
    # only while Convai has not answered), and within what a page waits.
    settings.CONVAI_PAGE_TIMEOUT = 10.0
    sandbox.latency_ms = 3000
    row(page, FIRST).click()
    pane = page.locator("#transcript")
    # The click's answer comes at once, saying that the transcript is being fetched; then the
    # pane waits for Convai, and says what it waits for.
    expect(pane.locator("progress")).to_be_visible()
    expect(pane).to_have_attribute("aria-busy", "true")
    expect(pane).to_have_attribute("data-loading-label", "Fetching this transcript from Convai…")
    expect(page.locator("#transcript .transcript-facts")).to_contain_text(FIRST, timeout=20_000)
    expect(pane).not_to_have_attribute("aria-busy", "true")


@pytest.fixture
def long_read(transactional_db: None) -> tuple[str, list[str]]:
    user = User.objects.create_user("tester", password=PASSWORD)
    now = timezone.now().replace(microsecond=0)
    character = make_character(user, name="DK", sessions_refreshed_at=now)
    ids = []
    for n in range(3):
        chat = make_session(
            character,
            session_id=f"talk-{n}",
            started_at=now - timedelta(hours=n),
            transcript_fetched_at=now,
        )
        for m in range(20):
            make_interaction(chat, ("User", f"Line {m} of {n}"), ("Character", f"Answer {m}."))
            make_interaction(chat, ("Character", f"And more {m}."))
        make_interaction(chat, ("User", "Where is the asteroid?"), ("Character", "The asteroid."))
        ids.append(chat.session_id)
    return character.character_id, ids


def test_moving_between_sessions_keeps_the_url_the_pane_and_history_in_step(
    page: Page, long_read: tuple[str, list[str]], console_errors: list[str]
) -> None:
    character_id, ids = long_read
    sign_in(page)
    page.goto(f"/characters/{character_id}/sessions/{ids[0]}/?sort=newest")
    expect(page).to_have_title(re.compile(r"^Session of .* · DK · "))
    page.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(rf"/sessions/{ids[1]}/\?sort=newest"))
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#transcript .transcript-facts")).to_contain_text(ids[2])
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/sessions/{ids[1]}/"))
    expect(page.locator("#transcript .transcript-facts")).to_contain_text(ids[1])
    page.go_forward()
    expect(page.locator("#transcript .transcript-facts")).to_contain_text(ids[2])
    # The head stays in view, and says where the reader is.
    position = page.locator("#transcript .position")
    page.locator("#transcript .interaction").nth(30).scroll_into_view_if_needed()
    expect(position).to_have_text(re.compile(r"Interaction (2\d|3\d) of 41"))
    expect(page.locator("#transcript .transcript-head")).to_be_in_viewport()
    assert console_errors == []


def test_compact_mode_is_remembered_and_drops_repeated_speakers(
    page: Page, long_read: tuple[str, list[str]]
) -> None:
    character_id, ids = long_read
    sign_in(page)
    page.goto(f"/characters/{character_id}/sessions/{ids[0]}/")
    labels = page.locator("#transcript .bubble .speaker")
    full = [labels.nth(n).bounding_box()["height"] for n in range(3)]  # type: ignore[index]
    page.get_by_role("button", name="Compact").click()
    expect(page.locator("#transcript.compact")).to_be_visible()
    # "Answer 0." then "And more 0.": the second is the same speaker going on.
    expect(page.locator("#transcript .bubble.continues").first).to_contain_text("And more 0.")
    page.goto(f"/characters/{character_id}/sessions/{ids[1]}/")
    expect(page.locator("#transcript.compact")).to_be_visible()
    assert all(height > 0 for height in full)


def test_local_times_and_the_theme_are_remembered(
    browser: Browser, live_server, long_read: tuple[str, list[str]]
) -> None:
    character_id, ids = long_read
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Tokyo")
    page = context.new_page()
    sign_in(page)
    page.goto(f"/characters/{character_id}/sessions/{ids[0]}/")
    utc = page.locator("#transcript-heading time").text_content()
    page.get_by_role("button", name="Show local times").click()
    local = page.locator("#transcript-heading time").text_content()
    assert utc and local and utc != local and "UTC" not in local
    page.get_by_label("Theme").select_option("dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    context.close()


def test_a_narrow_screen_shows_the_list_or_the_transcript(
    browser: Browser, live_server, long_read: tuple[str, list[str]]
) -> None:
    character_id, ids = long_read
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    sign_in(page)
    page.goto(f"/characters/{character_id}/?sort=oldest")
    expect(page.locator("#transcript")).to_be_hidden()
    row(page, ids[1]).click()
    expect(page.locator("#transcript .transcript-facts")).to_contain_text(ids[1])
    expect(page.locator("#session-list")).to_be_hidden()
    page.get_by_role("link", name="← Sessions").click()
    expect(page).to_have_url(re.compile(r"\?sort=oldest$"))
    expect(page.locator("#session-list")).to_be_visible()
    # The header wraps inside its bar: nothing of it is off the screen.
    sign_out = page.get_by_role("button", name="Sign out").bounding_box()
    assert sign_out is not None and sign_out["x"] + sign_out["width"] <= 390
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_rows_start_time_keeps_its_line_beside_a_review_badge(
    browser: Browser, live_server, long_read: tuple[str, list[str]], width: int
) -> None:
    character_id, ids = long_read
    ChatSession.objects.filter(session_id=ids[1]).update(review_status=ReviewStatus.NEEDS_CHANGES)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 800}
    )
    page = context.new_page()
    sign_in(page)
    page.goto(f"/characters/{character_id}/")
    heights = [
        row(page, session_id).locator(".session-start time").bounding_box()["height"]
        for session_id in ids
    ]
    # One line each: the badged row's time is as tall as the others'.
    assert heights[1] == heights[0] == heights[2], heights
    context.close()


def test_search_groups_hits_by_conversation_and_finds_its_way_back(
    page: Page, long_read: tuple[str, list[str]], console_errors: list[str]
) -> None:
    sign_in(page)
    page.goto("/search/?q=asteroid")
    heading = page.locator("#results-heading")
    # Both lines of each exchange match: one exchange each, in three conversations.
    expect(heading).to_contain_text("6 hits in 3 sessions")
    expect(page.locator(".hit-group")).to_have_count(3)
    expect(page.locator(".hit")).to_have_count(3)
    page.locator(".hit-group").first.get_by_role("link", name="Open in the transcript").click()
    expect(page.locator("#transcript .match-nav")).to_contain_text("Match 1 of 2")
    page.locator("#transcript .match-next").click()
    expect(page.locator("#transcript .match-nav")).to_contain_text("Match 2 of 2")
    page.get_by_role("link", name="← Back to results").click()
    expect(page).to_have_url(re.compile(r"/search/\?q=asteroid$"))
    # The header's Search keeps the query.
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Search")
    ).to_have_attribute("href", "/search/?q=asteroid")
    assert csp_violations(console_errors) == []


def test_more_results_append_and_the_keyboard_goes_on_from_the_first_new_one(
    page: Page, long_read: tuple[str, list[str]], settings
) -> None:
    settings.SEARCH_HITS_PER_PAGE = 2
    sign_in(page)
    page.goto("/search/?q=answer")
    groups = page.locator(".hit-group")
    before = groups.count()
    page.get_by_role("link", name="More results").click()
    expect(groups).not_to_have_count(before)
    focused = page.locator(".hit-group h3:focus")
    expect(focused).to_have_count(1)


def test_the_keyboard_never_drops_to_the_page(
    page: Page, long_read: tuple[str, list[str]], settings
) -> None:
    settings.SESSIONS_PER_PAGE = 2
    character_id, ids = long_read
    sign_in(page)
    page.goto(f"/characters/{character_id}/")
    # The transcript is one skip link away.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to transcript")

    def focused_id() -> str:
        return page.evaluate("document.activeElement.id || document.activeElement.tagName")

    # Open a session from its row: focus goes to the transcript's heading.
    row(page, ids[0]).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#transcript .transcript-facts")).to_contain_text(ids[0])
    expect(page.locator("#transcript-heading")).to_be_focused()
    # Paging: to the list's heading.
    page.get_by_role("navigation", name="Session pages").get_by_role("link", name="Next →").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#sessions-heading")).to_be_focused()
    # A sort change: the filters stay open, say the sort, and the select keeps focus.
    page.locator("#session-list summary").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Sort").select_option("oldest")
    expect(page.locator("#session-list details[open] summary")).to_contain_text("Oldest first")
    # Waits in Playwright's own world: a polled function would be eval, which the CSP forbids.
    expect(page.locator(":focus")).to_have_count(1)
    assert focused_id() != "BODY"
    # Starting a sync: to its line.
    page.get_by_role("button", name="Sync all transcripts").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#sync-heading")).to_be_focused()
    assert page.evaluate("document.querySelectorAll('[id]').length") == page.evaluate(
        "new Set([...document.querySelectorAll('[id]')].map(e => e.id)).size"
    ), "every id is unique"
