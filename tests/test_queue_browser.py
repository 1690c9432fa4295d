"""A reviewer works a review queue in headless Chromium, from the keyboard: start, flag a line,
give a verdict and get the next session, to the end of the queue, on one page whose address
stays the work page's."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from convai_dashboard.accounts.models import Membership, Role, Team
from convai_dashboard.history.models import ChatSession
from convai_dashboard.review import queues
from convai_dashboard.review.models import Flag, Queue, QueueReview
from convai_dashboard.sandbox import SandboxServer
from tests.browser import PASSWORD, csp_violations, sign_in
from tests.factories import (
    make_character,
    make_interaction,
    make_key,
    make_member,
    make_session,
    make_tag,
    make_user,
)

pytestmark = pytest.mark.browser

SESSIONS = ["session-0", "session-1", "session-2"]


@pytest.fixture
def work_url(sandbox: SandboxServer) -> str:
    """Starfall's queue of three stored transcripts, assigned to its reviewer rita; the URL
    of her work page."""
    admin = make_user("admin")
    team = Team.objects.create(name="Starfall")
    Membership.objects.create(team=team, user=admin, role=Role.ADMIN)
    now = timezone.now()
    character = make_character(
        admin, make_key(admin, team=team), name="Astronaut", sessions_refreshed_at=now
    )
    for n, session_id in enumerate(SESSIONS):
        chat = make_session(
            character,
            session_id=session_id,
            started_at=now.replace(microsecond=0) - timezone.timedelta(hours=n),
            transcript_fetched_at=now,
        )
        make_interaction(chat, ("User", f"Hello {n}?"), ("Character", f"Stranded on Mars {n}."))
    make_tag(character, "needs-vo", created_by=admin)
    rita = make_member(team, "rita", Role.REVIEWER)
    rita.set_password(PASSWORD)
    rita.save()
    queue = Queue.objects.create(team=team, name="Mars week", created_by=admin)
    queue.reviewers.add(rita)
    queues.add_sessions(queue, [ChatSession.objects.get(session_id=s).pk for s in SESSIONS])
    return f"/teams/{team.pk}/queues/{queue.pk}/work/"


def verdicts() -> dict[str, str]:
    return dict(QueueReview.objects.values_list("item__session__session_id", "status"))


def test_a_reviewer_works_a_queue_to_its_end_from_the_keyboard(
    page: Page, work_url: str, console_errors: list[str]
) -> None:
    sign_in(page, "rita")

    # The header counts the sessions waiting for her; My work lists the queue.
    badge = page.locator(".site-header nav .badge")
    expect(badge).to_have_text("3")
    expect(badge).to_have_attribute("aria-label", "3 sessions waiting")
    page.get_by_role("link", name=re.compile(r"^My work")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    expect(page.get_by_role("row", name=re.compile("Mars week"))).to_contain_text(
        "0 done · 3 waiting"
    )

    page.goto(work_url)
    page.evaluate("window.__marker = 1")
    work = page.locator("#queue-work")
    expect(work.locator(".queue-left")).to_contain_text("3 sessions waiting for you")
    expect(work.locator("#transcript")).to_have_count(0)

    # s starts: the first session is held for her, its transcript beside the verdict.
    page.keyboard.press("s")
    heading = work.locator("#transcript-heading")
    facts = work.locator("#transcript .transcript-facts")
    expect(facts).to_contain_text(SESSIONS[0])
    expect(work.locator(".queue-hold")).to_contain_text("Held for you until")
    expect(page).to_have_url(re.compile(rf"{work_url}$"))
    first_heading = heading.inner_text()

    # Arrow keys move through its lines; f flags the focused one.
    work.locator("#transcript .bubble").first.focus()
    page.keyboard.press("ArrowDown")
    expect(work.locator("#transcript .bubble:focus")).to_contain_text("Stranded on Mars 0.")
    page.keyboard.press("f")
    form = work.locator("#transcript .flag-form")
    expect(form).to_be_visible()
    form.get_by_label("Comment").fill("Too calm: he is alone and afraid.")  # "a" and "n" typed
    form.get_by_role("button", name="Save flag").click()
    expect(work.locator("#transcript .flag")).to_contain_text("Too calm: he is alone and afraid.")
    assert Flag.objects.get().line.text == "Stranded on Mars 0."
    assert verdicts() == {}, "typing in the flag form gave a verdict"

    # A tag, beside the transcript: the page has no list whose row it would update.
    work.get_by_text("Tags, notes and activity").click()
    work.locator("#tag-choice").select_option(label="needs-vo")
    work.locator(".tag-add").get_by_role("button", name="Add").click()
    expect(work.locator(".tag-list .tag")).to_have_text("needs-vo")

    # a: approved, and the next session opens in its place.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("a")
    expect(facts).to_contain_text(SESSIONS[1])
    expect(heading).not_to_have_text(first_heading)
    expect(work.locator(".queue-left")).to_contain_text("2 sessions waiting for you")
    expect(page).to_have_url(re.compile(rf"{work_url}$"))
    assert verdicts() == {SESSIONS[0]: "approved"}

    # n: needs changes, and the last one.
    page.keyboard.press("n")
    expect(facts).to_contain_text(SESSIONS[2])
    assert verdicts() == {SESSIONS[0]: "approved", SESSIONS[1]: "needs_changes"}
    page.keyboard.press("a")
    expect(work.get_by_text("The end of the queue.")).to_be_visible()
    expect(work.locator("#transcript")).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"{work_url}$"))
    assert verdicts() == {
        SESSIONS[0]: "approved",
        SESSIONS[1]: "needs_changes",
        SESSIONS[2]: "approved",
    }
    # With one review wanted, each verdict is the session's status at once.
    statuses = dict(ChatSession.objects.values_list("session_id", "review_status"))
    assert statuses == {
        SESSIONS[0]: "approved",
        SESSIONS[1]: "needs_changes",
        SESSIONS[2]: "approved",
    }

    # A page of its own, loaded once; and nothing waits for her now.
    assert page.evaluate("window.__marker") == 1, "the loop reloaded the page"
    page.reload()
    expect(page.locator(".site-header nav .badge")).to_have_count(0)
    assert csp_violations(console_errors) == [], console_errors
    assert console_errors == []
