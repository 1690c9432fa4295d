"""A team's viewer, reviewer and lead in headless Chromium: each signs in through the form and
does what their role allows, is offered nothing it lacks and is refused it when they ask
anyway; and none of them ever sees the team's key."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, Response, expect

from convai_dashboard.accounts.models import ApiKey, Membership, Role, Team
from convai_dashboard.history.models import ChatSession, ReviewStatus
from convai_dashboard.review.models import Flag, FlagStatus, Note, SessionTag, Tag
from convai_dashboard.sandbox import DEMO_KEY, SandboxServer
from tests.browser import PASSWORD, csp_violations, sign_in
from tests.factories import (
    make_character,
    make_flag,
    make_interaction,
    make_key,
    make_member,
    make_session,
    make_tag,
    make_user,
)

pytestmark = pytest.mark.browser

# Nothing else on a page says this: were the key's label shown, the check would see it.
KEY_LABEL = "Starfall master key"
SESSIONS = ["session-0", "session-1", "session-2"]


@dataclass
class Starfall:
    character_id: str
    key: ApiKey

    def session_url(self, session_id: str = SESSIONS[0]) -> str:
        return f"/characters/{self.character_id}/sessions/{session_id}/"


@pytest.fixture
def starfall(sandbox: SandboxServer) -> Starfall:
    """Starfall: its admin holds the sandbox's key and a character with three stored
    transcripts and one tag; a viewer, a reviewer and a lead hold no key."""
    admin = make_user("admin")
    team = Team.objects.create(name="Starfall")
    Membership.objects.create(team=team, user=admin, role=Role.ADMIN)
    key = make_key(admin, team=team, label=KEY_LABEL)
    now = timezone.now()
    character = make_character(admin, key, name="Astronaut", sessions_refreshed_at=now)
    for n, session_id in enumerate(SESSIONS):
        chat = make_session(
            character,
            session_id=session_id,
            started_at=now.replace(microsecond=0) - timezone.timedelta(hours=n),
            transcript_fetched_at=now,
        )
        make_interaction(chat, ("User", f"Hello {n}?"), ("Character", f"Stranded on Mars {n}."))
    make_tag(character, "needs-vo", created_by=admin)
    for username, role in (("vera", Role.VIEWER), ("rita", Role.REVIEWER), ("leo", Role.LEAD)):
        member = make_member(team, username, role)
        member.set_password(PASSWORD)
        member.save()
    return Starfall(character.character_id, key)


def assert_keyless(page: Page, starfall: Starfall) -> None:
    """The page as it stands holds neither the key nor its label nor its last four."""
    content = page.content()
    assert DEMO_KEY not in content, page.url
    assert KEY_LABEL not in content, page.url
    assert starfall.key.masked not in content, page.url


def assert_keys_refused(page: Page, starfall: Starfall) -> None:
    response = page.goto("/keys/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("needs the Admin role or above")
    assert_keyless(page, starfall)


def csrf_token(page: Page) -> str:
    return page.locator("input[name=csrfmiddlewaretoken]").first.input_value()


def post_as_a_form(page: Page, url: str, data: dict[str, str]) -> Response:
    """What a hand-made form would send, with the page's cookies and CSRF token."""
    return page.request.post(url, form={"csrfmiddlewaretoken": csrf_token(page), **data})


def test_a_viewer_reads_searches_and_exports_and_is_offered_no_review(
    page: Page, starfall: Starfall, console_errors: list[str]
) -> None:
    sign_in(page, "vera")
    assert_keyless(page, starfall)

    # The list: three sessions, with no checkbox, no bulk-tag form and no sync.
    page.goto(f"/characters/{starfall.character_id}/")
    rows = page.locator("#session-list a.session-row")
    expect(rows).to_have_count(3)
    expect(page.get_by_role("button", name="Refresh from Convai")).to_be_visible()
    expect(page.locator("#session-list .select-session")).to_have_count(0)
    expect(page.locator("#bulk-tag")).to_have_count(0)
    expect(page.get_by_role("button", name="Sync all transcripts")).to_have_count(0)
    assert_keyless(page, starfall)

    # A transcript: its status is read, not set; no line can be flagged, no note written, no
    # tag put on.
    rows.first.click()
    expect(page).to_have_url(re.compile(rf"{starfall.session_url()}$"))
    transcript = page.locator("#transcript")
    expect(transcript.locator(".bubble-character .text")).to_have_text("Stranded on Mars 0.")
    expect(page.locator("#review-status")).to_contain_text("Review status: Unreviewed")
    expect(page.locator("#review-status .status-button")).to_have_count(0)
    expect(transcript.get_by_role("link", name="Flag", exact=True)).to_have_count(0)
    expect(transcript.locator(".note-add")).to_have_count(0)
    expect(transcript.locator(".tag-add")).to_have_count(0)
    assert_keyless(page, starfall)

    # The review keys do nothing, and break nothing, for a reader who may not review.
    transcript.locator(".bubble").first.focus()
    for key in ("ArrowDown", "f", "a", "n"):
        page.keyboard.press(key)
    expect(transcript.locator(".flag-form")).to_have_count(0)
    expect(page.locator("#review-status")).to_contain_text("Review status: Unreviewed")
    # Nor does the list of shortcuts offer them.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("?")
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_contain_text("Next unreviewed session")
    expect(shortcuts).not_to_contain_text("Flag the focused line")
    expect(shortcuts).not_to_contain_text("Set the open session to Approved")
    page.keyboard.press("Escape")

    # Asked anyway, with the page's own CSRF token: refused, with the role it needs.
    for url, data in (
        (starfall.session_url() + "status/", {"status": ReviewStatus.APPROVED}),
        (starfall.session_url() + "notes/", {"text": "A viewer's note."}),
    ):
        refused = post_as_a_form(page, url, data)
        assert refused.status == 403, url
        assert "Reviewing sessions needs the Reviewer role or above." in refused.text(), url
    assert ChatSession.objects.get(session_id=SESSIONS[0]).review_status == (
        ReviewStatus.UNREVIEWED
    )
    assert not Note.objects.exists()

    # A search of this character's transcripts finds the line.
    page.get_by_label("Search this character's transcripts").fill("stranded")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/search/\?.*q=stranded"))
    expect(page.locator(".hit mark").first).to_have_text("Stranded")
    assert_keyless(page, starfall)

    # An export of the transcript, as a reviewer would have it.
    page.goto(starfall.session_url())
    assert_keyless(page, starfall)
    with page.expect_download() as download:
        page.get_by_role("link", name="Markdown script").click()
    script = download.value.path().read_text()
    assert "Stranded on Mars 0" in script
    assert DEMO_KEY not in script and KEY_LABEL not in script

    assert csp_violations(console_errors) == [], console_errors
    assert console_errors == []
    assert_keys_refused(page, starfall)


def test_a_reviewer_sets_statuses_flags_notes_and_tags_but_settles_nothing(
    page: Page, starfall: Starfall, console_errors: list[str]
) -> None:
    sign_in(page, "rita")
    assert_keyless(page, starfall)
    page.goto(starfall.session_url())
    transcript = page.locator("#transcript")
    expect(transcript.locator(".bubble-character .text")).to_have_text("Stranded on Mars 0.")
    # The list offers no bulk tagging and no sync.
    expect(page.locator("#session-list a.session-row")).to_have_count(3)
    expect(page.locator("#session-list .select-session")).to_have_count(0)
    expect(page.locator("#bulk-tag")).to_have_count(0)
    expect(page.get_by_role("button", name="Sync all transcripts")).to_have_count(0)
    assert_keyless(page, starfall)

    # The list of shortcuts offers the review keys.
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text(
        "Flag the focused line"
    )
    page.keyboard.press("Escape")

    # A status, by its button and from the keyboard.
    status = page.locator("#review-status")
    status.get_by_role("button", name="In review").click()
    expect(status.locator("[aria-pressed=true]")).to_have_text("In review")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("n")
    expect(status.locator("[aria-pressed=true]")).to_have_text("Needs changes")
    expect(page.locator("#session-list .session-row[aria-current] .row-status")).to_have_text(
        "Needs changes"
    )
    assert ChatSession.objects.get(session_id=SESSIONS[0]).review_status == (
        ReviewStatus.NEEDS_CHANGES
    )
    assert_keyless(page, starfall)

    # A line flagged, with a rewrite.
    line = transcript.locator(".bubble-character")
    line.get_by_role("link", name="Flag", exact=True).click()
    form = transcript.locator(".flag-form")
    form.get_by_label("Category").select_option("tone")
    form.get_by_label("Comment").fill("Too calm for a man alone on Mars.")
    form.get_by_label("Suggested rewrite").fill("Stranded. On Mars. Alone.")
    form.get_by_role("button", name="Save flag").click()
    flag = transcript.locator(".flag")
    expect(flag).to_contain_text("Stranded. On Mars. Alone.")
    expect(flag.locator(".flag-status")).to_have_text("Rewritten")
    assert_keyless(page, starfall)

    # Its edit form offers only what a reviewer may set: no approval, no won't-fix.
    flag.get_by_role("link", name="Edit or change status").click()
    offered = transcript.locator(".flag-form").get_by_label("Status").locator("option")
    expect(offered).to_have_text(["Open", "Rewritten"])
    assert_keyless(page, starfall)
    saved = Flag.objects.get()
    refused = post_as_a_form(
        page, f"/characters/{starfall.character_id}/flags/{saved.pk}/", {"status": "approved"}
    )
    assert refused.status == 403
    assert "Approving rewrites and marking flags won&#x27;t-fix needs the Lead role" in (
        refused.text()
    )
    transcript.locator(".flag-form").get_by_role("link", name="Cancel").click()
    expect(transcript.locator(".flag .flag-status")).to_have_text("Rewritten")
    assert Flag.objects.get().status == FlagStatus.REWRITTEN

    # A note and a tag, beside the transcript.
    transcript.get_by_text("Tags, notes and activity").click()
    transcript.get_by_label("Add a note").fill("The rewrite needs a new VO take.")
    transcript.get_by_role("button", name="Add note").click()
    expect(transcript.locator(".note-text")).to_have_text("The rewrite needs a new VO take.")
    transcript.locator("#tag-choice").select_option(label="needs-vo")
    transcript.locator(".tag-add").get_by_role("button", name="Add").click()
    expect(transcript.locator(".tag-list .tag")).to_have_text("needs-vo")
    expect(page.locator("#session-list .session-row[aria-current] .row-tags")).to_have_text(
        "needs-vo"
    )
    assert SessionTag.objects.filter(session__session_id=SESSIONS[0]).count() == 1
    # A new tag is a lead's to make: not offered, and refused when asked.
    expect(transcript.locator("#tag-name")).to_have_count(0)
    refused = post_as_a_form(page, starfall.session_url() + "tags/", {"name": "new-take"})
    assert refused.status == 403
    assert "Creating, deleting and bulk-applying tags needs the Lead role" in refused.text()
    assert not Tag.objects.filter(name="new-take").exists()
    assert Note.objects.get().author.username == "rita"
    assert_keyless(page, starfall)

    assert csp_violations(console_errors) == [], console_errors
    assert console_errors == []
    assert_keys_refused(page, starfall)


def test_a_lead_approves_a_rewrite_bulk_tags_and_may_sync(
    page: Page, starfall: Starfall, console_errors: list[str]
) -> None:
    # The reviewer's flag, with its rewrite.
    line = ChatSession.objects.get(session_id=SESSIONS[0]).lines.get(speaker="Character")
    flag = make_flag(
        line,
        User.objects.get(username="rita"),
        rewrite="Stranded. On Mars. Alone.",
        status=FlagStatus.REWRITTEN,
    )
    sign_in(page, "leo")
    assert_keyless(page, starfall)

    # The list: the sync is offered, and each row can be ticked to tag many at once.
    page.goto(f"/characters/{starfall.character_id}/")
    expect(page.get_by_role("button", name="Sync all transcripts")).to_be_enabled()
    boxes = page.locator("#session-list .select-session")
    expect(boxes).to_have_count(3)
    assert_keyless(page, starfall)
    boxes.nth(1).check()
    boxes.nth(2).check()
    bulk = page.locator("#bulk-tag")
    bulk.get_by_label("Tag").select_option(label="needs-vo")
    bulk.get_by_role("button", name="Tag selected").click()
    expect(page.locator("#session-list .alert-ok")).to_have_text(
        "Tagged 2 more session(s) “needs-vo”."
    )
    expect(page.locator("#session-list .row-tags .tag")).to_have_count(2)
    tagged = SessionTag.objects.values_list("session__session_id", flat=True)
    assert sorted(tagged) == SESSIONS[1:]
    assert_keyless(page, starfall)

    # The reviewer's rewrite, approved from its edit form.
    page.goto(starfall.session_url())
    shown = page.locator(f"#flag-{flag.pk}")
    expect(shown).to_contain_text("Stranded. On Mars. Alone.")
    assert_keyless(page, starfall)
    shown.get_by_role("link", name="Edit or change status").click()
    form = page.locator(f"form#flag-{flag.pk}")
    expect(form.get_by_label("Status").locator("option")).to_have_text(
        ["Open", "Rewritten", "Approved", "Won't fix"]
    )
    form.get_by_label("Status").select_option(label="Approved")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(f"article#flag-{flag.pk} .flag-status")).to_have_text("Approved")
    assert Flag.objects.get().status == FlagStatus.APPROVED
    assert_keyless(page, starfall)

    assert csp_violations(console_errors) == [], console_errors
    assert console_errors == []
    assert_keys_refused(page, starfall)
