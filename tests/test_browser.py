"""End-to-end checks in headless Chromium: the htmx flows, history handling and the CSP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from convai_dashboard.sandbox import ASTRONAUT_ID, DEMO_KEY, SandboxServer
from tests.browser import HOSTILE, PASSWORD, SESSION_ID, csp_violations, sign_in
from tests.factories import make_character, make_interaction, make_key, make_session

pytestmark = pytest.mark.browser


def session_row(page: Page, session_id: str) -> Locator:
    return page.locator(f'#session-list a.session-row[href*="/sessions/{session_id}/"]')


def test_add_key_and_character_then_read_a_transcript(
    page: Page, sandbox: SandboxServer, console_errors: list[str]
) -> None:
    User.objects.create_user("tester", password=PASSWORD)
    sign_in(page)

    # A new user is in no team: they make one of their own, and administer it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    page.get_by_label("Name").fill("Tester's studio")
    page.get_by_role("button", name="Make the team").click()
    expect(page.locator(".message-success")).to_contain_text("you are its admin")

    # API keys: add the sandbox's key; only its last four characters ever come back.
    page.get_by_role("link", name="API keys").click()
    expect(page).to_have_url(re.compile(r"/keys/$"))
    page.get_by_label("Label").fill("Sandbox")
    page.get_by_label("API key").fill(DEMO_KEY)
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator(".message-success")).to_contain_text("“Sandbox” added and verified")
    expect(page.locator("table.table code")).to_have_text(f"…{DEMO_KEY[-4:]}")
    assert DEMO_KEY not in page.content()
    assert page.get_by_label("API key").input_value() == ""

    # Characters: add the astronaut by ID under that key.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Characters").click()
    adding = page.get_by_role("region", name="Add a character")
    adding.get_by_label("API key").select_option(
        label=f"Sandbox (…{DEMO_KEY[-4:]}), Tester's studio"
    )
    adding.get_by_label("Character ID").fill(ASTRONAUT_ID)
    page.get_by_role("button", name="Check and add").click()

    # The character page, with its list fetched from Convai on the first visit.
    expect(page).to_have_url(re.compile(rf"/characters/{ASTRONAUT_ID}/$"))
    character_url = page.url
    expect(page.locator(".message-success")).to_contain_text("added.")
    expect(page.locator("#session-list .list-summary")).to_contain_text("79 sessions stored")
    expect(page.locator("#transcript")).to_contain_text("Select a session")

    # Open one session: htmx swaps the transcript in beside the list and pushes its URL.
    page.evaluate("window.__marker = 1")
    session_row(page, SESSION_ID).click()
    session_url = re.compile(rf"/characters/{ASTRONAUT_ID}/sessions/{SESSION_ID}/$")
    expect(page).to_have_url(session_url)
    transcript = page.locator("#transcript")
    expect(transcript.locator(".transcript-facts")).to_contain_text(SESSION_ID)
    assert page.evaluate("window.__marker") == 1, "opening a session reloaded the whole page"
    expect(page.locator("#session-list .list-summary")).to_contain_text("79 sessions stored")
    expect(session_row(page, SESSION_ID)).to_have_attribute("aria-current", "true")
    player = transcript.locator(".bubble-player .text").first
    expect(player).to_have_text("Hello. Who are you?")
    expect(transcript.locator(".bubble-character .text").first).to_have_text(
        "Hello? ! Can you hear me?!"
    )

    # Deep link: a reload serves the same transcript as a whole page.
    page.reload()
    assert page.evaluate("typeof window.__marker") == "undefined"
    expect(page).to_have_url(session_url)
    expect(transcript.locator(".bubble-player .text").first).to_have_text("Hello. Who are you?")
    expect(session_row(page, SESSION_ID)).to_have_attribute("aria-current", "true")

    # Back: the character page again, list shown, no transcript open.
    page.go_back()
    expect(page).to_have_url(character_url)
    expect(page.locator("#session-list .list-summary")).to_contain_text("79 sessions stored")
    expect(session_row(page, SESSION_ID)).to_be_visible()
    expect(page.locator("#transcript")).to_contain_text("Select a session")
    expect(page.locator("#transcript .bubble")).to_have_count(0)

    assert csp_violations(console_errors) == [], console_errors
    assert console_errors == []


def test_hostile_transcript_text_is_shown_not_run(
    page: Page, sandbox: SandboxServer, console_errors: list[str]
) -> None:
    user = User.objects.create_user("tester", password=PASSWORD)
    now = timezone.now()
    character = make_character(user, make_key(user), name="Astronaut", sessions_refreshed_at=now)
    chat = make_session(character, session_id="hostile-1", transcript_fetched_at=now)
    make_interaction(chat, ("User", HOSTILE), ("Character", "I only speak plain text."))
    make_session(character, session_id="plain-2", transcript_fetched_at=now)

    sign_in(page)
    page.goto(f"/characters/{character.character_id}/")
    page.evaluate("window.__marker = 1")
    session_row(page, "hostile-1").click()  # through htmx: the swapped-in fragment
    expect(page.locator("#transcript .bubble-player .text")).to_have_text(HOSTILE)
    assert page.evaluate("window.__marker") == 1
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#transcript script, #transcript img").count() == 0

    page.reload()  # and as a whole page
    expect(page.locator("#transcript .bubble-player .text")).to_have_text(HOSTILE)
    expect(page.locator("#transcript .bubble-character .text")).to_have_text(
        "I only speak plain text."
    )
    assert page.evaluate("typeof window.__pwned") == "undefined"

    assert csp_violations(console_errors) == [], console_errors
    assert console_errors == []


def test_session_list_pager_swaps_through_htmx(
    page: Page, sandbox: SandboxServer, settings: Any, console_errors: list[str]
) -> None:
    settings.SESSIONS_PER_PAGE = 10
    user = User.objects.create_user("tester", password=PASSWORD)
    character = make_character(user, make_key(user), name="Astronaut")

    sign_in(page)
    page.goto(
        f"/characters/{character.character_id}/"
    )  # first visit fetches the list from the sandbox
    character_url = page.url
    summary = page.locator("#session-list .list-summary")
    expect(summary).to_contain_text("79 sessions stored")
    rows = page.locator("#session-list a.session-row")
    expect(rows).to_have_count(10)
    first_on_page_one = rows.first.get_attribute("href")

    page.evaluate("window.__marker = 1")
    page.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"\?after=[^&]+$"))
    assert page.evaluate("window.__marker") == 1, "the pager reloaded the whole page"
    expect(rows).to_have_count(10)
    assert rows.first.get_attribute("href") != first_on_page_one
    # Rows keep the list's position in their link, so a deep link restores the same list.
    expect(rows.first).to_have_attribute("href", re.compile(r"\?after="))
    expect(page.get_by_role("link", name="← Previous")).to_be_visible()

    # Back: htmx restores the first page from the server, still without a full load.
    page.go_back()
    expect(page).to_have_url(character_url)
    expect(rows.first).to_have_attribute("href", first_on_page_one or "")
    assert page.evaluate("window.__marker") == 1

    assert csp_violations(console_errors) == [], console_errors


def test_filters_narrow_the_list_in_place(
    page: Page, sandbox: SandboxServer, console_errors: list[str]
) -> None:
    user = User.objects.create_user("tester", password=PASSWORD)
    now = timezone.now()
    character = make_character(user, name="Smith", sessions_refreshed_at=now)
    make_session(character, session_id="kept-in-memory", in_memory=True)
    make_session(character, session_id="forgotten")

    sign_in(page)
    page.goto(f"/characters/{character.character_id}/")
    page.evaluate("window.__marker = 1")
    page.get_by_text("Filters and sort").click()
    page.get_by_label("Long-term memory").select_option("yes")
    expect(page).to_have_url(re.compile(r"memory=yes"))
    expect(page.locator("#session-list a.session-row")).to_have_count(1)
    expect(page.locator("#session-list .list-summary")).to_contain_text("1 of 2 sessions match")
    assert page.evaluate("window.__marker") == 1
    page.reload()
    expect(page.locator("#session-list a.session-row")).to_have_count(1)
    assert console_errors == []


def test_a_search_hit_opens_its_line_in_the_transcript(
    page: Page, sandbox: SandboxServer, console_errors: list[str]
) -> None:
    user = User.objects.create_user("tester", password=PASSWORD)
    now = timezone.now()
    character = make_character(user, name="Brunhild", sessions_refreshed_at=now)
    chat = make_session(character, session_id="forge-talk", transcript_fetched_at=now)
    for n in range(30):
        make_interaction(chat, ("User", f"Small talk {n}"), ("Character", f"Indeed, {n}."))
    make_interaction(chat, ("User", "Tell me about the Dragon of Ashfall"), ("Character", "Hush."))

    sign_in(page)
    page.goto("/search/")
    page.evaluate("window.__marker = 1")
    page.get_by_label("Search").fill('"dragon of ashfall"')
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"q=%22dragon"))
    hit = page.locator(".hit")
    expect(hit).to_have_count(1)
    expect(hit.locator("mark")).to_have_text("Dragon of Ashfall")
    assert page.evaluate("window.__marker") == 1, "searching reloaded the whole page"

    hit.get_by_role("link", name="Open in the transcript").click()
    target = page.locator(".bubble:target")
    expect(target).to_contain_text("Tell me about the Dragon of Ashfall")
    expect(target.locator("mark")).to_have_text("Dragon of Ashfall")
    expect(target).to_be_in_viewport()
    assert console_errors == []
