"""A session's row of the list is one template: the row a full page renders, the row an htmx
fragment of the list brings and the row an out-of-band update puts in place look the same in
the browser, once htmx and the page's scripts have settled."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from convai_dashboard.history.models import ChatSession
from convai_dashboard.review.models import Tag
from tests.browser import PASSWORD, sign_in
from tests.factories import make_character, make_interaction, make_session

pytestmark = pytest.mark.browser


@pytest.fixture
def listed(transactional_db: None) -> tuple[str, list[ChatSession]]:
    user = User.objects.create_user("tester", password=PASSWORD)
    now = timezone.now()
    character = make_character(user, name="DK", sessions_refreshed_at=now)
    Tag.objects.create(character=character, name="needs-vo")
    sessions = []
    for n in range(2):
        # Days old, so that the age in a row's tooltip cannot change between two looks.
        chat = make_session(
            character,
            session_id=f"session-{n}",
            started_at=now - timezone.timedelta(days=3 + n),
            transcript_fetched_at=now,
            first_player_line=f"Hello {n} <b>bold</b>",
        )
        make_interaction(chat, ("User", f"Hello {n} <b>bold</b>"), ("Character", f"Line {n}."))
        sessions.append(chat)
    return character.character_id, sessions


def row_html(page: Page, session: ChatSession) -> str:
    """The row as it is once htmx has settled: until then a swapped element keeps the old
    one's attributes."""
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    row = page.locator(f"#row-{session.pk} > .session-row")
    expect(row).to_have_attribute("aria-current", "true")
    return row.evaluate("element => element.outerHTML")


def test_the_row_is_the_same_rendered_in_full_as_a_fragment_and_out_of_band(
    page: Page, listed: tuple[str, list[ChatSession]], console_errors: list[str]
) -> None:
    character_id, (first, second) = listed
    sign_in(page)
    page.goto(f"/characters/{character_id}/?sort=newest")
    checkbox = page.locator(f"#session-list input[value='{first.session_id}']")
    checkbox.check()

    # Out of band: opening the session marks its row read; approving it and tagging it set
    # its status and its tags. The checkbox beside the row keeps its state.
    page.locator(f"#row-{first.pk} > .session-row").click()
    expect(page.locator("#transcript-heading")).to_be_visible()
    expect(page.locator(f"#row-{first.pk} .unread-dot")).to_be_hidden()
    page.get_by_role("button", name="Approved").click()
    expect(page.locator(f"#row-{first.pk} .row-status")).to_have_text("Approved")
    page.locator(".session-review > summary").click()
    page.locator("#session-tags select[name=tag]").select_option(label="needs-vo")
    page.locator("#session-tags").get_by_role("button", name="Add").click()
    expect(page.locator(f"#row-{first.pk} .row-tags")).to_have_text("needs-vo")
    expect(checkbox).to_be_checked()
    out_of_band = row_html(page, first)

    # An htmx fragment of the list, as a finished sync asks for it: the whole list swapped.
    with page.expect_response(lambda response: "sort=newest" in response.url):
        page.evaluate("htmx.trigger(document.body, 'sync-finished')")
    expect(checkbox).not_to_be_checked()
    fragment = row_html(page, first)

    # The full page of the open session, with the same list.
    assert page.url.endswith(f"/sessions/{first.session_id}/?sort=newest")
    page.reload()
    full = row_html(page, first)

    assert "aria-current" in full and "needs-vo" in full and "status-approved" in full
    assert "swap-oob" not in out_of_band
    assert out_of_band == fragment == full
    # The other row, untouched, is still unread, and its text still text.
    expect(page.locator(f"#row-{second.pk} .unread-dot")).to_be_visible()
    expect(page.locator(f"#row-{second.pk} .session-first")).to_have_text("Hello 1 <b>bold</b>")
    assert console_errors == []
