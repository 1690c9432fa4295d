"""Review as a team: statuses, flags with rewrites, tags, notes, unread marks and the activity
log, through the views as full pages and as htmx fragments; shared by the character's holders,
and hidden from everyone else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from convai_dashboard.history import fetch
from convai_dashboard.history.models import ChatSession, Line, ReviewStatus
from convai_dashboard.review.models import (
    Activity,
    Flag,
    FlagCategory,
    FlagStatus,
    Note,
    Reading,
    SessionTag,
    Tag,
    TagColour,
)
from convai_dashboard.sandbox import ASTRONAUT_ID
from tests.factories import (
    make_access,
    make_character,
    make_flag,
    make_interaction,
    make_key,
    make_note,
    make_session,
    make_tag,
    put_tag,
)
from tests.markup import is_unread, row_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = "2026-10-01T00:00Z"


@pytest.fixture
def held(owner, colleague):
    """A character the owner and a colleague both hold, with one stored session."""
    character = make_character(owner, make_key(owner), sessions_refreshed_at=DAY)
    make_access(colleague, make_key(colleague), character_id=character.character_id)
    session = make_session(character, session_id="s1", transcript_fetched_at=DAY)
    make_interaction(session, ("User", "Who are you?"), ("Character", "A wide receiver, lost."))
    make_interaction(session, ("User", "Why here?"), ("Character", "Gold. Always the gold."))
    return character, session


def url(name: str, character, *args) -> str:
    return reverse(name, args=[character.character_id, *args])


def session_url(character, session, suffix: str = "") -> str:
    return url("session", character, session.session_id) + suffix


def character_line(session) -> Line:
    return Line.objects.filter(session=session, speaker="Character").order_by("pk").first()


# --- status -------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_setting_a_status_records_who_and_when(owner_client, owner, held, headers):
    character, session = held
    response = owner_client.post(
        url("session_status", character, session.session_id),
        {"status": ReviewStatus.APPROVED, "list_query": "memory=yes"},
        **headers,
    )
    session.refresh_from_db()
    assert (session.review_status, session.reviewed_by) == (ReviewStatus.APPROVED, owner)
    assert session.reviewed_at is not None
    assert Activity.objects.get(session=session).summary == "set the status to Approved"
    if headers:
        page = response.content.decode()
        assert page.lstrip().startswith('<form id="review-status"')
        assert 'aria-pressed="true"' in page
        row = row_of(page, session)  # the row, out of band, as the list shows it
        assert 'data-hx-swap-oob="outerHTML:' in row and "status-approved" in row
        assert "?memory=yes" in row
        assert "set the status to Approved" in page  # the activity log, out of band
    else:
        assert response.status_code == 302
        assert response["Location"] == session_url(character, session, "?memory=yes")


def test_an_unknown_status_is_refused(owner_client, held):
    character, session = held
    response = owner_client.post(
        url("session_status", character, session.session_id), {"status": "done"}, **HTMX
    )
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.review_status == ReviewStatus.UNREVIEWED


def test_the_list_filters_by_status_and_shows_it(owner_client, owner, held):
    character, _session = held
    other = make_session(character, session_id="s2", transcript_fetched_at=DAY)
    ChatSession.objects.filter(pk=other.pk).update(review_status=ReviewStatus.NEEDS_CHANGES)
    page = owner_client.get(url("character", character), {"status": "needs_changes"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "/sessions/s2/" in text and "/sessions/s1/" not in text
    assert "Needs changes" in text


# --- unread marks --------------------------------------------------------------------------


def test_a_session_is_unread_for_each_user_until_they_open_it(
    owner_client, colleague_client, owner, colleague, held
):
    character, session = held

    def unread(client) -> bool:
        text = client.get(url("character", character)).content.decode()
        return is_unread(row_of(text, session))

    assert unread(owner_client) and unread(colleague_client)
    owner_client.get(session_url(character, session), **HTMX)
    assert not unread(owner_client)
    assert unread(colleague_client), "unread marks belong to each user"
    assert Reading.objects.filter(user=owner).count() == 1


def test_a_row_shows_its_open_flags_and_its_tags_by_name(owner_client, held):
    character, session = held
    other = make_session(character, session_id="s2", transcript_fetched_at=DAY)
    lines = list(Line.objects.filter(session=session))
    make_flag(lines[0])
    make_flag(lines[1])
    make_flag(lines[2], status=FlagStatus.APPROVED)
    put_tag(session, make_tag(character, "zany", colour=TagColour.RED))
    put_tag(session, make_tag(character, "alpha"))
    text = owner_client.get(url("character", character)).content.decode()
    row = row_of(text, session)
    assert "2 open flags" in row
    assert row.index("alpha") < row.index("zany") and 'class="tag tag-red">zany' in row
    other_row = row_of(text, other)
    assert "tag tag-" not in other_row and "open flag" not in other_row


def test_a_transcript_shows_its_tags_and_activity(owner_client, held):
    character, session = held
    put_tag(session, make_tag(character, "needs-vo"))
    make_tag(character, "unused")
    owner_client.post(url("session_status", character, "s1"), {"status": ReviewStatus.APPROVED})
    text = owner_client.get(session_url(character, session)).content.decode()
    summary = text[text.index("Tags, notes and activity") :]
    summary = summary[: summary.index("</summary>")]
    assert "needs-vo" in summary and "unused" not in summary
    assert "Activity (1)" in text and "set the status to Approved" in text


# --- flags --------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_line_is_flagged_with_a_rewrite(owner_client, owner, held, headers):
    character, session = held
    line = character_line(session)
    form = owner_client.get(url("flag_new", character, session.session_id, line.pk), **headers)
    assert form.status_code == 200 and "Suggested rewrite" in form.content.decode()
    response = owner_client.post(
        url("flag_new", character, session.session_id, line.pk),
        {
            "category": FlagCategory.OUT_OF_CHARACTER,
            "comment": "He would never say 'lost'.",
            "rewrite": "A wide receiver. Stranded, not lost.",
            "list_query": "sort=oldest",
        },
        **headers,
    )
    flag = Flag.objects.get()
    assert (flag.line, flag.session, flag.character, flag.author) == (
        line,
        session,
        character,
        owner,
    )
    assert flag.status == FlagStatus.REWRITTEN  # it came with its rewrite
    if headers:
        text = response.content.decode()
        assert text.lstrip().startswith(f'<div class="line-review" id="review-{line.pk}"')
        assert "Stranded, not lost." in text and "owner" in text
    else:
        assert response["Location"] == session_url(
            character, session, f"?sort=oldest#{line.anchor}"
        )
    page = owner_client.get(session_url(character, session)).content.decode()
    assert "He would never say" in page and "Out of character" in page


def test_a_flag_without_a_rewrite_is_open_and_needs_a_category(owner_client, held):
    character, session = held
    line = character_line(session)
    target = url("flag_new", character, session.session_id, line.pk)
    assert owner_client.post(target, {"category": "nonsense"}, **HTMX).status_code == 400
    owner_client.post(target, {"category": FlagCategory.TONE, "comment": "Flat."}, **HTMX)
    assert Flag.objects.get().status == FlagStatus.OPEN


def test_another_holder_sees_the_flag_with_its_author(colleague_client, owner, held):
    character, session = held
    make_flag(character_line(session), owner, comment="Check the tone.")
    page = colleague_client.get(session_url(character, session)).content.decode()
    assert "Check the tone." in page and "<strong>owner</strong>" in page


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_flag_is_edited_in_place(colleague_client, colleague, owner, held, headers):
    character, session = held
    flag = make_flag(character_line(session), owner)
    edit = url("flag_edit", character, flag.pk)
    assert colleague_client.get(edit, **headers).status_code == 200
    response = colleague_client.post(
        edit,
        {"status": FlagStatus.APPROVED, "comment": flag.comment, "rewrite": "Better line."},
        **headers,
    )
    flag.refresh_from_db()
    assert (flag.status, flag.rewrite, flag.updated_by) == (
        FlagStatus.APPROVED,
        "Better line.",
        colleague,
    )
    assert flag.author == owner, "the author stays who flagged it"
    if headers:
        assert response.content.decode().lstrip().startswith('<article class="flag flag-approved"')
    summary = Activity.objects.get(kind="flag_changed").summary
    assert "edited the rewrite" in summary and "marked it Approved" in summary


def test_writing_a_rewrite_on_an_open_flag_makes_it_rewritten(owner_client, owner, held):
    character, session = held
    flag = make_flag(character_line(session), owner)
    owner_client.post(
        url("flag_edit", character, flag.pk),
        {"status": FlagStatus.OPEN, "comment": flag.comment, "rewrite": "Tighter."},
        **HTMX,
    )
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN, "an explicit status wins"


# --- tags ---------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_session_is_tagged_with_a_new_tag_and_untagged(owner_client, owner, held, headers):
    character, session = held
    owner_client.post(
        url("session_tag", character, session.session_id),
        {"name": "  needs   VO ", "colour": "green"},
        **headers,
    )
    tag = Tag.objects.get()
    assert (tag.name, tag.colour, tag.character) == ("needs VO", "green", character)
    assert SessionTag.objects.filter(session=session, tag=tag, added_by=owner).exists()
    listed = owner_client.get(url("character", character), {"tag": "needs VO"}).content.decode()
    assert "/sessions/s1/" in listed
    response = owner_client.post(
        url("session_untag", character, session.session_id, tag.pk), **headers
    )
    assert response.status_code == (200 if headers else 302)
    assert not SessionTag.objects.exists() and Tag.objects.exists()
    kinds = list(Activity.objects.values_list("kind", flat=True))
    assert kinds == ["tag_added", "tag_removed"]


def test_tagging_with_nothing_chosen_says_so(owner_client, held):
    character, session = held
    response = owner_client.post(url("session_tag", character, session.session_id), {}, **HTMX)
    assert response.status_code == 400
    assert "Choose a tag, or name a new one." in response.content.decode()


def test_bulk_tagging_every_matching_session_is_one_statement(
    owner_client, owner, held, django_assert_max_num_queries, monkeypatch
):
    # As after a bulk tag of thousands: PostgreSQL's statistics of tags are refreshed too.
    monkeypatch.setattr("convai_dashboard.review.actions.ANALYZE_AFTER", 0)
    character, _ = held
    for n in range(2, 40):
        make_session(character, session_id=f"s{n}", in_memory=n % 2 == 0)
    tag = make_tag(character)
    with django_assert_max_num_queries(12):  # the same for 40 sessions as for 100,000
        response = owner_client.post(
            url("tags_apply", character),
            {"tag": tag.pk, "scope": "matching", "filters": "memory=yes"},
        )
    assert response.status_code == 302
    tagged = set(SessionTag.objects.values_list("session__session_id", flat=True))
    assert tagged == {f"s{n}" for n in range(2, 40) if n % 2 == 0}
    assert Activity.objects.filter(kind="tag_added").count() == len(tagged)
    # Tagging again adds nothing and logs nothing.
    owner_client.post(
        url("tags_apply", character), {"tag": tag.pk, "scope": "matching", "filters": ""}
    )
    assert SessionTag.objects.count() == 39


def test_bulk_tagging_the_ticked_sessions(owner_client, held):
    character, session = held
    other = make_session(character, session_id="s2")
    make_session(character, session_id="s3")
    tag = make_tag(character)
    response = owner_client.post(
        url("tags_apply", character),
        {"tag": tag.pk, "scope": "selected", "session": ["s1", "s2", "not-a-session"]},
        **HTMX,
    )
    assert "Tagged 2 more session(s)" in response.content.decode()
    assert set(SessionTag.objects.values_list("session", flat=True)) == {session.pk, other.pk}


def test_deleting_a_tag_asks_first_and_says_what_goes(owner_client, held):
    character, session = held
    tag = make_tag(character)
    put_tag(session, tag)
    page = owner_client.get(url("tag_delete", character, tag.pk)).content.decode()
    assert "It is on 1 session" in page and "Nothing else is deleted" in page
    assert Tag.objects.exists()
    owner_client.post(url("tag_delete", character, tag.pk))
    assert not Tag.objects.exists() and not SessionTag.objects.exists()
    assert ChatSession.objects.filter(pk=session.pk).exists()


# --- notes --------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_note_keeps_its_line_breaks_and_is_never_html(owner_client, owner, held, headers):
    character, session = held
    text = "First <b>point</b>\nSecond <script>alert(1)</script>"
    owner_client.post(url("session_note", character, session.session_id), {"text": text}, **headers)
    assert Note.objects.get().text == text
    page = owner_client.get(session_url(character, session)).content.decode()
    assert "First &lt;b&gt;point&lt;/b&gt;<br>Second &lt;script&gt;" in page
    assert "<script>alert(1)" not in page


def test_an_empty_note_is_refused(owner_client, held):
    character, session = held
    response = owner_client.post(
        url("session_note", character, session.session_id), {"text": "   "}, **HTMX
    )
    assert response.status_code == 400 and "A note needs some text." in response.content.decode()
    assert not Note.objects.exists()


# --- the backlog --------------------------------------------------------------------------


def test_the_backlog_lists_flags_in_context_and_filters(owner_client, owner, colleague, held):
    character, session = held
    line = character_line(session)
    make_flag(line, owner, category=FlagCategory.LORE, comment="Wrong asteroid.")
    make_flag(line, colleague, category=FlagCategory.TONE, comment="Too flat.")
    for path in (reverse("backlog"), url("character_backlog", character)):
        page = owner_client.get(path).content.decode()
        assert "Wrong asteroid." in page and "Too flat." in page
        assert "Who are you?" in page, "the turn before the line, for context"
        assert f"#{line.anchor}" in page
    filtered = owner_client.get(reverse("backlog"), {"category": "lore"}, **HTMX)
    text = filtered.content.decode()
    assert text.lstrip().startswith('<section id="results"')
    assert "Wrong asteroid." in text and "Too flat." not in text
    by_author = owner_client.get(reverse("backlog"), {"author": "colleague"}).content.decode()
    assert "Too flat." in by_author and "Wrong asteroid." not in by_author
    for sort in ("newest", "oldest", "updated", "category", "status"):
        assert owner_client.get(reverse("backlog"), {"sort": sort}).status_code == 200
    assert (
        owner_client.get(
            reverse("backlog"), {"since": "2026-12-31", "until": "2026-01-01"}
        ).status_code
        == 400
    )


# --- who sees what ------------------------------------------------------------------------


@pytest.fixture
def reviewed(held, owner):
    character, session = held
    line = character_line(session)
    flag = make_flag(line, owner, comment="Secret review comment.")
    tag = make_tag(character)
    put_tag(session, tag, owner)
    make_note(session, owner, text="Secret note.")
    return {
        "char": character.character_id,
        "sid": session.session_id,
        "line": line.pk,
        "flag": flag.pk,
        "tag": tag.pk,
    }


# Every review URL, swept as an outsider and as a suspended holder: tests/test_isolation.py.


def test_the_backlog_of_all_characters_shows_only_held_ones(outsider_client, reviewed):
    assert "Secret review comment." not in outsider_client.get("/flags/").content.decode()


def test_a_flag_of_another_character_cannot_be_edited_through_ones_own(
    outsider_client, outsider, reviewed
):
    theirs = make_character(outsider, character_id="theirs")
    response = outsider_client.post(
        f"/characters/{theirs.character_id}/flags/{reviewed['flag']}/",
        {"status": "wont_fix"},
    )
    assert response.status_code == 404
    assert Flag.objects.get().status == FlagStatus.OPEN


# --- nothing is lost ----------------------------------------------------------------------


def test_review_data_stays_on_the_same_lines_through_resyncs(owner_client, owner, sandbox):
    character = make_character(owner, make_key(owner), character_id=ASTRONAUT_ID)
    fetch.refresh_sessions(character, owner)
    session = character.sessions.get(session_id="9fc15ee9-5f69-4f4b-916b-9c71a9a8786f")
    fetch.fetch_transcript(session, owner)
    line = Line.objects.filter(session=session, speaker="Character").order_by("pk")[3]
    flag = make_flag(line, owner, rewrite="Better.")
    tag = make_tag(character)
    put_tag(session, tag, owner)
    make_note(session, owner)
    owner_client.post(
        url("session_status", character, session.session_id), {"status": "needs_changes"}
    )
    owner_client.get(session_url(character, session))  # read
    before = (line.pk, line.text, line.anchor)

    for _ in range(2):
        fetch.refresh_sessions(character, owner)
        fetch.fetch_transcript(session, owner)
        owner_client.post(url("refetch_transcript", character, session.session_id))
    # Convai no longer lists it (as a refresh marks it): it stays, with everything on it.
    ChatSession.objects.filter(pk=session.pk).update(on_convai=False)
    fetch.fetch_transcript(session, owner)

    flag.refresh_from_db()
    line.refresh_from_db()
    session.refresh_from_db()
    assert (flag.line_id, line.text, line.anchor) == before
    assert flag.rewrite == "Better." and flag.line.text == before[1]
    assert session.review_status == ReviewStatus.NEEDS_CHANGES
    assert SessionTag.objects.filter(session=session, tag=tag).exists()
    assert Note.objects.filter(session=session).exists()
    assert Reading.objects.filter(session=session, user=owner).exists()


@pytest.mark.parametrize("few_tagged", [1, 10_000], ids=["walked", "looked-up"])
def test_the_tag_filter_lists_the_same_sessions_whichever_way_it_reads_them(
    owner_client, held, monkeypatch, few_tagged
):
    # FEW_TAGGED decides between walking the list and looking the tagged sessions up.
    monkeypatch.setattr("convai_dashboard.review.queries.FEW_TAGGED", few_tagged)
    character, _ = held
    tag = make_tag(character)
    for n in range(2, 12):
        session = make_session(character, session_id=f"s{n}", in_memory=n % 3 == 0)
        if n % 2 == 0:
            put_tag(session, tag)
    for query, expected in (
        ({"tag": tag.name}, {"s2", "s4", "s6", "s8", "s10"}),
        ({"tag": tag.name, "memory": "yes"}, {"s6"}),
    ):
        page = owner_client.get(url("character", character), query).content.decode()
        listed = {sid for sid in (f"s{n}" for n in range(1, 12)) if f"/sessions/{sid}/" in page}
        assert listed == expected
        assert f"<strong>{len(expected)}</strong> of 11 sessions match" in page
