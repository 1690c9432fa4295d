"""The review loop in headless Chromium, from the keyboard: flag a line, write its rewrite,
approve, move on; and no shortcut fires while the reviewer types."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from convai_dashboard.history.models import ChatSession, ReviewStatus
from convai_dashboard.review.models import Flag, FlagStatus
from tests.browser import PASSWORD, csp_violations, sign_in
from tests.factories import make_character, make_interaction, make_session

pytestmark = pytest.mark.browser


@pytest.fixture
def three_sessions(transactional_db: None) -> tuple[str, list[str]]:
    user = User.objects.create_user("tester", password=PASSWORD)
    now = timezone.now()
    character = make_character(user, name="DK", sessions_refreshed_at=now)
    ids = []
    for n in range(3):
        session_id = f"session-{n}"
        chat = make_session(
            character,
            session_id=session_id,
            started_at=now.replace(microsecond=0) - timezone.timedelta(hours=n),
            transcript_fetched_at=now,
        )
        make_interaction(chat, ("User", f"Hello {n}"), ("Character", f"Stranded line {n}."))
        make_interaction(chat, ("User", f"Bye {n}"), ("Character", f"Farewell {n}."))
        ids.append(session_id)
    return character.character_id, ids


def test_flag_rewrite_approve_and_move_on_from_the_keyboard(
    page: Page, three_sessions: tuple[str, list[str]], console_errors: list[str]
) -> None:
    character_id, ids = three_sessions
    sign_in(page)
    page.goto(f"/characters/{character_id}/sessions/{ids[0]}/")
    page.evaluate("window.__marker = 1")

    # ? lists the keys; Escape closes the list.
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()

    # Arrow keys move through the lines of the transcript; f flags the focused one.
    page.locator("#transcript .bubble").first.focus()
    page.keyboard.press("ArrowDown")
    focused = page.locator("#transcript .bubble:focus")
    expect(focused).to_contain_text("Stranded line 0.")
    page.keyboard.press("f")
    form = page.locator("#transcript .flag-form")
    expect(form).to_be_visible()
    # Typing in the form fires no shortcut: "j", "a" and "n" are just letters here.
    form.get_by_label("Category").select_option("tone")
    form.get_by_label("Comment").fill("Too jaunty: he is alone and afraid.")
    form.get_by_label("Suggested rewrite").fill("Just a stranded man now, and afraid.")
    expect(page).to_have_url(re.compile(rf"/sessions/{ids[0]}/$"))
    form.get_by_role("button", name="Save flag").click()
    flag = page.locator("#transcript .flag")
    expect(flag).to_contain_text("Just a stranded man now, and afraid.")
    expect(flag).to_contain_text("Rewritten")
    saved = Flag.objects.get()
    assert saved.line.text == "Stranded line 0." and saved.status == FlagStatus.REWRITTEN

    # a approves; the row in the list says so at once.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("a")
    expect(page.locator("#review-status [aria-pressed=true]")).to_have_text("Approved")
    expect(page.locator(f"#session-list .session-row[href*='{ids[0]}'] .row-status")).to_have_text(
        "Approved"
    )
    assert ChatSession.objects.get(session_id=ids[0]).review_status == ReviewStatus.APPROVED

    # j moves to the next session in the list; the URL and the highlighted row follow.
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"/sessions/{ids[1]}/"))
    expect(page.locator("#transcript .transcript-facts")).to_contain_text(ids[1])
    expect(page.locator(f".session-row[href*='{ids[1]}']")).to_have_attribute(
        "aria-current", "true"
    )
    # n marks it as needing changes; k goes back; u finds the one left unreviewed.
    page.keyboard.press("n")
    expect(page.locator("#review-status [aria-pressed=true]")).to_have_text("Needs changes")
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(rf"/sessions/{ids[0]}/"))
    page.keyboard.press("u")
    expect(page).to_have_url(re.compile(rf"/sessions/{ids[2]}/"))

    # / goes to search, and typing there moves nowhere.
    page.keyboard.press("/")
    expect(page.locator("#search-character")).to_be_focused()
    page.keyboard.type("jkan")
    expect(page).to_have_url(re.compile(rf"/sessions/{ids[2]}/"))
    assert ChatSession.objects.get(session_id=ids[2]).review_status == ReviewStatus.UNREVIEWED

    assert page.evaluate("window.__marker") == 1, "the loop reloaded the page"
    assert csp_violations(console_errors) == [], console_errors
    assert console_errors == []
