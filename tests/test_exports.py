"""The review exports, each through its view and parsed back field by field: the session list
and the flags as CSV, a session as JSON and as a Markdown script, the rewrites as chat examples,
and a line as a bug report. Hostile text stays text in every one of them, the lists stream in
bounded memory, and nobody reads the review data of a character they do not hold."""

from __future__ import annotations

import csv
import io
import json
import re
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from markdown_it import MarkdownIt
from markdown_it.token import Token

from convai_dashboard.history.models import ChatSession, ReviewStatus
from convai_dashboard.pages.exports import SessionLinks
from convai_dashboard.review.exports import common, csv_rows
from convai_dashboard.review.models import FlagCategory, FlagStatus, SessionTag
from convai_dashboard.sandbox import MUSEUM_GUIDE_ID, SHRINE_KEEPER_ID
from tests.factories import (
    make_character,
    make_flag,
    make_interaction,
    make_note,
    make_session,
    make_tag,
    put_tag,
)

pytestmark = pytest.mark.django_db


START = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SESSION = "/characters/{char}/sessions/{sid}/"
# Texts a player, a game or a reviewer could send to turn an export into something else.
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
MARKDOWN_ATTACKS = [
    "# A heading",
    "Title\n=====",
    "- a list item",
    "1. an ordered item",
    "> a quote",
    "[a link](http://evil.example/)",
    "![an image](http://evil.example/x.png)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<http://evil.example/>",
    "`code` and ```fence```",
    "| a | b |\n| --- | --- |\n| c | d |",
    "***",
    "~~struck~~ and **bold** and _em_",
    "&lt;b&gt; is not a tag",
    "back\\slash at the end\\",
]


def lines_of(session: ChatSession) -> dict[str, Any]:
    """The session's lines by their text."""
    lines = session.lines.select_related("interaction", "session", "character")
    return {line.text: line for line in lines}


@pytest.fixture
def story(owner, colleague):
    """DK Metcalf's session, reviewed: a trigger, an event, a blank player side, a third
    speaker, two flags (one rewritten), a tag, a note and a status."""
    character = make_character(owner, name="DK Metcalf")
    make_character(colleague, name="DK Metcalf")
    chat = make_session(character, session_id="s-1", started_at=START, in_memory=True)
    make_interaction(
        chat, ("User", "Open the hatch"), ("Character", "It groans open."), is_trigger_input=True
    )
    make_interaction(chat, ("User", "Hello there"), ("Character", "Hi. I'm DK."))
    make_interaction(
        chat, ("User", "[An Event has occurred]: the lights fail"), ("Character", "Who's there?")
    )
    make_interaction(chat, ("User", ""), ("Character", "Anyone?"), ("Radio", "Mayday, mayday."))
    ChatSession.objects.filter(pk=chat.pk).update(
        interaction_count=4,
        transcript_fetched_at=START,
        review_status=ReviewStatus.NEEDS_CHANGES,
        reviewed_by=owner,
        reviewed_at=START + timedelta(days=1),
    )
    chat.refresh_from_db()
    said = lines_of(chat)
    rewritten = make_flag(
        said["Hi. I'm DK."],
        colleague,
        category=FlagCategory.OUT_OF_CHARACTER,
        comment="He never says his name like that.",
        rewrite="Name's Metcalf. Commander Metcalf.",
        status=FlagStatus.REWRITTEN,
        created_at=START + timedelta(days=2),
    )
    opened = make_flag(said["Anyone?"], owner, created_at=START + timedelta(days=3))
    put_tag(chat, make_tag(character, "needs-vo"))
    put_tag(chat, make_tag(character, "lore"))
    make_note(chat, owner, text="Check the ending.", created_at=START + timedelta(days=4))
    return {"character": character, "session": chat, "said": said, "flags": [rewritten, opened]}


def download(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def parsed_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def permalink(line: Any) -> str:
    """What a line's permalink must be (the line loaded with lines_of)."""
    session = SESSION.format(char=line.character.character_id, sid=line.session.session_id)
    return f"http://testserver{session}#{line.anchor}"


# --- the session list as CSV ---------------------------------------------------------------


def test_the_session_list_csv_has_a_row_per_session_with_its_review(owner_client, story):
    character = story["character"]
    make_session(character, session_id="s-2", started_at=START - timedelta(days=1))
    text = download(owner_client, f"/characters/{character.character_id}/sessions.csv")

    rows = parsed_csv(text)
    assert list(rows[0]) == list(csv_rows.SESSION_COLUMNS)
    assert rows == [
        {
            "session_id": "s-1",
            "started_at_utc": "2026-10-01 12:00:00",
            "in_memory": "yes",
            "interactions": "4",
            "flags": "2",
            "open_flags": "1",
            "status": "needs_changes",
            "tags": "lore; needs-vo",
            "link": "http://testserver" + SESSION.format(char=character.character_id, sid="s-1"),
        },
        {
            "session_id": "s-2",
            "started_at_utc": "2026-09-30 12:00:00",
            "in_memory": "no",
            # Not stored yet: the count is not known.
            "interactions": "",
            "flags": "0",
            "open_flags": "0",
            "status": "unreviewed",
            "tags": "",
            "link": "http://testserver" + SESSION.format(char=character.character_id, sid="s-2"),
        },
    ]


def test_the_session_list_csv_follows_the_status_and_tag_filters(owner_client, story):
    character = story["character"]
    make_session(character, session_id="s-2")
    tagged = make_session(character, session_id="s-3")
    put_tag(tagged, character.tags.get(name="lore"))
    url = f"/characters/{character.character_id}/sessions.csv"

    def exported(query: str) -> list[str]:
        return [row["session_id"] for row in parsed_csv(download(owner_client, f"{url}?{query}"))]

    assert exported("status=needs_changes") == ["s-1"]
    assert exported("status=unreviewed") == ["s-3", "s-2"]
    assert sorted(exported("tag=lore")) == ["s-1", "s-3"]
    assert exported("tag=lore&memory=yes") == ["s-1"]
    assert exported("tag=needs-vo&status=unreviewed") == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["e", "d", "c", "b", "a"]),
        ("oldest", ["a", "b", "c", "d", "e"]),
        ("longest", ["c", "e", "d", "b", "a"]),
    ],
)
def test_the_session_list_csv_comes_whole_in_the_lists_sort_across_chunks(
    owner_client, owner, monkeypatch, sort, expected
):
    # Chunks of two, and ties on the sort's field: each chunk must go on from the one before.
    monkeypatch.setattr(common, "CHUNK", 2)
    character = make_character(owner)
    for session_id, count in [("a", 1), ("b", 2), ("c", 9), ("d", 2), ("e", 2)]:
        make_session(
            character,
            session_id=session_id,
            interaction_count=count,
            transcript_fetched_at=START,
            started_at=START if session_id != "a" else START - timedelta(hours=1),
        )
    put_tag(character.sessions.get(session_id="d"), make_tag(character))
    text = download(owner_client, f"/characters/{character.character_id}/sessions.csv?sort={sort}")
    rows = parsed_csv(text)
    assert [row["session_id"] for row in rows] == expected
    # Each chunk's tags are its own.
    assert [row["session_id"] for row in rows if row["tags"] == "needs-vo"] == ["d"]


def test_the_session_list_csv_ignores_the_pages_position(owner_client, owner):
    character = make_character(owner)
    for n in range(3):
        make_session(character, session_id=f"s-{n}", started_at=START + timedelta(hours=n))
    url = f"/characters/{character.character_id}/sessions.csv?last=1"
    assert len(parsed_csv(download(owner_client, url))) == 3


def test_an_export_with_filters_that_are_not_valid_answers_400_with_the_reason(owner_client, story):
    character = story["character"].character_id
    for url in (
        f"/characters/{character}/sessions.csv?start_from=yesterday",
        f"/characters/{character}/sessions.csv?tag=no-such-tag",
        f"/characters/{character}/flags/export.csv?category=nonsense",
        "/flags/rewrites.jsonl?since=2026-10-05&until=2026-10-01",
    ):
        response = owner_client.get(url)
        assert response.status_code == 400, url
        assert "not valid" in response.content.decode()


# --- a session as JSON ---------------------------------------------------------------------


def test_a_session_exports_as_json_in_the_apis_shape_with_its_review(owner_client, story):
    character, said = story["character"], story["said"]
    url = SESSION.format(char=character.character_id, sid="s-1") + "export.json"
    document = json.loads(download(owner_client, url))

    assert document["character"] == {"id": character.character_id, "name": "DK Metcalf"}
    assert document["session"] == {
        "id": "s-1",
        "started_at": "2026-10-01T12:00:00+00:00",
        "in_memory": True,
        "on_convai": True,
        "transcript_fetched_at": "2026-10-01T12:00:00+00:00",
        "link": "http://testserver" + SESSION.format(char=character.character_id, sid="s-1"),
        "cut": [],
    }
    # Exactly what Convai's chatHistory/details answers.
    assert document["transcript"] == [
        {
            "timestamp": "2026-10-01 12:00:00.000000",
            "interaction": [
                {"speaker": "User", "message": "Open the hatch"},
                {"speaker": "Character", "message": "It groans open."},
            ],
            "is_trigger_input": True,
        },
        {
            "timestamp": "2026-10-01 12:00:01.000000",
            "interaction": [
                {"speaker": "User", "message": "Hello there"},
                {"speaker": "Character", "message": "Hi. I'm DK."},
            ],
            "is_trigger_input": False,
        },
        {
            "timestamp": "2026-10-01 12:00:02.000000",
            "interaction": [
                {"speaker": "User", "message": "[An Event has occurred]: the lights fail"},
                {"speaker": "Character", "message": "Who's there?"},
            ],
            "is_trigger_input": False,
        },
        {
            "timestamp": "2026-10-01 12:00:03.000000",
            "interaction": [
                {"speaker": "User", "message": ""},
                {"speaker": "Character", "message": "Anyone?"},
                {"speaker": "Radio", "message": "Mayday, mayday."},
            ],
            "is_trigger_input": False,
        },
    ]
    rewritten, opened = story["flags"]
    review = document["review"]
    assert review["status"] == "needs_changes"
    assert review["reviewed_by"] == "owner"
    assert review["reviewed_at"] == "2026-10-02T12:00:00+00:00"
    assert review["tags"] == ["lore", "needs-vo"]
    assert review["notes"] == [
        {"author": "owner", "created_at": "2026-10-05T12:00:00+00:00", "text": "Check the ending."}
    ]
    assert review["flags"] == [
        {
            "id": rewritten.pk,
            "interaction": 1,
            "turn": 1,
            "speaker": "Character",
            "message": "Hi. I'm DK.",
            "category": "out_of_character",
            "comment": "He never says his name like that.",
            "rewrite": "Name's Metcalf. Commander Metcalf.",
            "status": "rewritten",
            "author": "colleague",
            "created_at": "2026-10-03T12:00:00+00:00",
            "updated_by": "colleague",
            "updated_at": rewritten.updated_at.isoformat(),
            "permalink": permalink(said["Hi. I'm DK."]),
        },
        {
            "id": opened.pk,
            "interaction": 3,
            "turn": 1,
            "speaker": "Character",
            "message": "Anyone?",
            "category": "tone",
            "comment": "Too stiff for him.",
            "rewrite": "",
            "status": "open",
            "author": "owner",
            "created_at": "2026-10-04T12:00:00+00:00",
            "updated_by": "owner",
            "updated_at": opened.updated_at.isoformat(),
            "permalink": permalink(said["Anyone?"]),
        },
    ]


def test_a_session_json_reads_the_store_with_one_query_of_each_kind(
    owner_client, story, django_assert_max_num_queries
):
    url = SESSION.format(char=story["character"].character_id, sid="s-1") + "export.json"
    # Four for the signed-in user and their access, the session, then interactions, lines,
    # flags, tags and notes: one query each, however long the session.
    with django_assert_max_num_queries(4 + 1 + 5):
        owner_client.get(url)


# --- a session as a Markdown script --------------------------------------------------------

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# Tokens that only the export's own layout may make.
STRUCTURE = {
    "heading_open",
    "link_open",
    "image",
    "html_block",
    "html_inline",
    "bullet_list_open",
    "ordered_list_open",
    "list_item_open",
    "code_inline",
    "code_block",
    "fence",
    "hr",
    "table_open",
    "s_open",
}


def structure(text: str) -> list[tuple[str, str]]:
    """(token type, its text or target) of every piece of Markdown structure in the text."""
    found = []

    def walk(tokens: list[Token], heading: bool = False) -> None:
        for i, token in enumerate(tokens):
            if token.type in STRUCTURE:
                detail = token.attrGet("href") or token.attrGet("src") or ""
                if token.type == "heading_open":
                    detail = "".join(child.content for child in tokens[i + 1].children or [])
                found.append((token.type, str(detail)))
            walk(token.children or [])

    walk(PARSER.parse(text))
    return found


def shown_text(text: str) -> str:
    """The text a reader sees once the Markdown is rendered, a line per line break or block."""
    blocks = []
    for token in PARSER.parse(text):
        if token.type == "inline":
            blocks.append(
                "".join(
                    child.content if child.type == "text" else "\n"
                    for child in token.children or []
                    if child.type in ("text", "softbreak", "hardbreak")
                )
            )
    return "\n".join(blocks) + "\n"


def test_a_session_exports_as_a_markdown_script_for_writers(owner_client, story):
    character = story["character"]
    url = SESSION.format(char=character.character_id, sid="s-1") + "export.md"
    script = download(owner_client, url)
    link = "http://testserver" + SESSION.format(char=character.character_id, sid="s-1")

    assert structure(script) == [
        ("heading_open", "DK Metcalf: session s-1"),
        ("link_open", link),
        ("heading_open", "Notes"),
        ("heading_open", "Script"),
    ]
    shown = shown_text(script)
    for expected in [
        "Started 2026-10-01 12:00:00 UTC, in long-term memory, 4 interactions",
        "Review status: Needs changes, set by owner on 2026-10-02 12:00:00 UTC",
        "Tags: lore, needs-vo",
        "owner, 2026-10-05 12:00:00 UTC:\nCheck the ending.",
        "Game trigger (12:00:00): Open the hatch\n"
        "DK Metcalf (12:00:00): It groans open.\n"
        "Player (12:00:01): Hello there\n"
        "DK Metcalf (12:00:01): Hi. I'm DK.\n"
        "Flag: Out of character (Rewritten), by colleague on 2026-10-03 12:00:00 UTC\n"
        "He never says his name like that.\n"
        "Rewrite: Name's Metcalf. Commander Metcalf.\n"
        "Game event (12:00:02): [An Event has occurred]: the lights fail\n"
        "DK Metcalf (12:00:02): Who's there?\n"
        # The blank player side is left out.
        "DK Metcalf (12:00:03): Anyone?\n"
        "Flag: Tone (Open), by owner on 2026-10-04 12:00:00 UTC\n"
        "Too stiff for him.\n"
        "Radio (12:00:03): Mayday, mayday.\n",
    ]:
        assert expected in shown
    # Each flag is quoted under its line.
    tokens = [token.type for token in PARSER.parse(script)]
    assert tokens.count("blockquote_open") == 2


@pytest.mark.parametrize("attack", MARKDOWN_ATTACKS)
def test_text_from_convai_and_reviewers_stays_text_in_the_markdown_script(
    owner_client, owner, attack
):
    character = make_character(owner, name=attack.replace("\n", " "))
    chat = make_session(character, session_id="s-1")
    make_interaction(chat, ("User", attack), ("Character", attack), (attack, attack))
    line = chat.lines.get(speaker="Character")
    make_flag(line, owner, comment=attack, rewrite=attack)
    put_tag(chat, make_tag(character, attack[:40].replace("\n", " ")))
    make_note(chat, owner, text=attack)
    url = SESSION.format(char=character.character_id, sid="s-1") + "export.md"
    script = download(owner_client, url)

    link = "http://testserver" + SESSION.format(char=character.character_id, sid="s-1")
    assert [kind for kind, _ in structure(script)] == [
        "heading_open",
        "link_open",
        "heading_open",
        "heading_open",
    ]
    assert ("link_open", link) in structure(script)
    shown = shown_text(script)
    for line_of_attack in attack.splitlines():
        # Each line of it is shown as it was written (its outer spaces aside), and at least
        # six times: the heading, speakers, lines, comment, rewrite, tag and note.
        assert shown.count(line_of_attack.strip()) >= 6, shown
    rendered = PARSER.render(script)
    assert "<script" not in rendered
    assert "<img" not in rendered


# --- the backlog's flags as CSV ------------------------------------------------------------


def test_the_flags_csv_has_every_field_a_writers_tool_needs(owner_client, story):
    character = story["character"]
    text = download(owner_client, f"/characters/{character.character_id}/flags/export.csv")
    rewritten, opened = story["flags"]
    said = story["said"]

    rows = parsed_csv(text)
    assert list(rows[0]) == list(csv_rows.FLAG_COLUMNS)
    # The backlog's default sort: newest first.
    assert rows == [
        {
            "flag_id": str(opened.pk),
            "character": "DK Metcalf",
            "character_id": character.character_id,
            "session_id": "s-1",
            "line_time_utc": "2026-10-01 12:00:03",
            "speaker": "DK Metcalf",
            "original_line": "Anyone?",
            "category": "tone",
            "comment": "Too stiff for him.",
            "rewrite": "",
            "status": "open",
            "author": "owner",
            "flagged_at_utc": "2026-10-04 12:00:00",
            "permalink": permalink(said["Anyone?"]),
        },
        {
            "flag_id": str(rewritten.pk),
            "character": "DK Metcalf",
            "character_id": character.character_id,
            "session_id": "s-1",
            "line_time_utc": "2026-10-01 12:00:01",
            "speaker": "DK Metcalf",
            "original_line": "Hi. I'm DK.",
            "category": "out_of_character",
            "comment": "He never says his name like that.",
            "rewrite": "Name's Metcalf. Commander Metcalf.",
            "status": "rewritten",
            "author": "colleague",
            "flagged_at_utc": "2026-10-03 12:00:00",
            "permalink": permalink(said["Hi. I'm DK."]),
        },
    ]


def test_the_flags_csv_follows_the_backlogs_filters_and_sort(owner_client, story):
    character = story["character"].character_id
    url = f"/characters/{character}/flags/export.csv"

    def exported(query: str) -> list[str]:
        return [
            row["original_line"] for row in parsed_csv(download(owner_client, f"{url}?{query}"))
        ]

    assert exported("category=out_of_character") == ["Hi. I'm DK."]
    assert exported("status=open") == ["Anyone?"]
    assert exported("author=colleague") == ["Hi. I'm DK."]
    assert exported("sort=oldest") == ["Hi. I'm DK.", "Anyone?"]
    assert exported("since=2026-10-04") == ["Anyone?"]
    assert exported("until=2026-10-03") == ["Hi. I'm DK."]


def test_the_flags_csv_of_all_characters_has_only_those_the_user_holds(
    owner_client, owner, outsider, story
):
    museum = make_character(owner, character_id=MUSEUM_GUIDE_ID, name="Museum guide")
    tour = make_session(museum, session_id="tour")
    make_interaction(tour, ("User", "Where are the fossils?"), ("Character", "Room 3."))
    make_flag(tour.lines.get(text="Room 3."), owner, category=FlagCategory.LORE)
    elsewhere = make_character(outsider, character_id=SHRINE_KEEPER_ID, name="Shrine keeper")
    secret = make_session(elsewhere, session_id="secret")
    make_interaction(secret, ("User", "Hi"), ("Character", "Not yours to read."))
    make_flag(secret.lines.get(text="Not yours to read."), outsider)

    rows = parsed_csv(download(owner_client, "/flags/export.csv"))
    assert sorted(row["original_line"] for row in rows) == ["Anyone?", "Hi. I'm DK.", "Room 3."]
    assert {row["character"] for row in rows} == {"DK Metcalf", "Museum guide"}
    rows = parsed_csv(download(owner_client, "/flags/export.csv?category=lore"))
    assert [(row["character"], row["session_id"]) for row in rows] == [("Museum guide", "tour")]


def test_the_flags_csv_comes_whole_in_the_backlogs_sort_across_chunks(
    owner_client, owner, monkeypatch
):
    monkeypatch.setattr(common, "CHUNK", 2)
    character = make_character(owner)
    chat = make_session(character)
    make_interaction(chat, *[("Character", f"line {n}") for n in range(7)])
    for n in range(7):
        # Ties in every field but the last of the sort.
        make_flag(
            chat.lines.get(text=f"line {n}"),
            owner,
            category=FlagCategory.LORE if n % 2 else FlagCategory.TONE,
            created_at=START + timedelta(days=n // 3),
        )
    url = f"/characters/{character.character_id}/flags/export.csv?sort=category"
    rows = parsed_csv(download(owner_client, url))
    assert [row["original_line"] for row in rows] == [
        "line 5",
        "line 3",
        "line 1",
        "line 6",
        "line 4",
        "line 2",
        "line 0",
    ]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_gets_a_quote(formula):
    assert common.cell(formula) == "'" + formula


@pytest.mark.parametrize("text", ["Hello", "", "a=b", "1-2", " =1", "'quoted", "ünïcödé"])
def test_other_cells_stay_as_they_are(text):
    assert common.cell(text) == text


@pytest.mark.parametrize("formula", FORMULAS)
def test_no_text_from_convai_or_reviewers_becomes_a_formula_in_either_csv(
    owner_client, owner, formula
):
    character = make_character(owner, name=formula)
    chat = make_session(character, session_id=formula, transcript_fetched_at=START)
    make_interaction(chat, (formula, formula), ("Character", formula))
    make_flag(chat.lines.get(speaker="Character"), owner, comment=formula, rewrite=formula)
    put_tag(chat, make_tag(character, formula))
    sessions_csv = download(owner_client, f"/characters/{character.character_id}/sessions.csv")
    flags_csv = download(owner_client, f"/characters/{character.character_id}/flags/export.csv")

    session, flag = parsed_csv(sessions_csv)[0], parsed_csv(flags_csv)[0]
    assert session["session_id"] == session["tags"] == "'" + formula
    for column in ("character", "session_id", "original_line", "comment", "rewrite", "speaker"):
        assert flag[column] == "'" + formula, column
    for text in (sessions_csv, flags_csv):
        for row in csv.reader(io.StringIO(text, newline="")):
            assert not any(value.startswith(tuple("=+-@\t\r")) for value in row)


def test_the_lists_read_the_store_with_a_few_queries_a_chunk_never_one_a_row(
    owner_client, owner, django_assert_max_num_queries
):
    character = make_character(owner)
    tag = make_tag(character)
    for n in range(30):
        chat = make_session(character, session_id=f"s-{n}", started_at=START + timedelta(hours=n))
        put_tag(chat, tag)
        make_interaction(chat, ("User", "Hi"), ("Character", "Hello."))
        make_flag(chat.lines.get(text="Hello."), owner, rewrite="Well met.", status="approved")
    # Four for the signed-in user and their access, then each export's own: sessions, flag
    # counts and tags; flags with their lines, sessions and authors; those flags, and the
    # lines of their sessions.
    for path, most in (
        ("sessions.csv", 4 + 3),
        ("flags/export.csv", 4 + 1),
        ("flags/rewrites.jsonl", 4 + 2),
    ):
        with django_assert_max_num_queries(most):
            rows = download(owner_client, f"/characters/{character.character_id}/{path}")
        assert rows.count("\n") >= 30


def test_a_session_not_stored_yet_exports_its_list_entry_and_review(owner_client, owner):
    character = make_character(owner, name="Guide")
    chat = make_session(character, session_id="s-1")
    make_note(chat, owner, text="Fetch this one.")
    base = SESSION.format(char=character.character_id, sid="s-1")
    document = json.loads(download(owner_client, base + "export.json"))
    assert document["transcript"] == []
    assert document["session"]["transcript_fetched_at"] is None
    assert document["review"]["notes"][0]["text"] == "Fetch this one."
    assert "The transcript is not stored yet." in download(owner_client, base + "export.md")


# --- rewrites as chat examples -------------------------------------------------------------


def test_rewrites_export_as_chat_examples_of_the_turns_before_then_the_rewrite(owner_client, story):
    text = download(owner_client, "/flags/rewrites.jsonl")
    examples = [json.loads(line) for line in text.splitlines()]
    # The open flag has no rewrite to learn from.
    assert examples == [
        {
            "messages": [
                {"role": "user", "content": "Open the hatch"},
                {"role": "assistant", "content": "It groans open.", "weight": 0},
                {"role": "user", "content": "Hello there"},
                {"role": "assistant", "content": "Name's Metcalf. Commander Metcalf."},
            ]
        }
    ]
    assert text.endswith("\n")


def test_rewrites_bring_events_triggers_and_other_speakers_as_user_turns(
    owner_client, story, monkeypatch
):
    monkeypatch.setattr(common, "CHUNK", 2)
    said = story["said"]
    make_flag(
        said["Anyone?"],
        story["flags"][1].author,
        rewrite="Hello? Anyone out there?",
        status=FlagStatus.APPROVED,
        created_at=START + timedelta(days=5),
    )
    # A later line's flag: the example holds every turn before it, blank ones left out.
    chat = story["session"]
    make_interaction(chat, ("User", "Over"), ("Character", "Copy that."))
    make_flag(
        chat.lines.get(text="Copy that."),
        None,
        rewrite="Copy, Radio.",
        status=FlagStatus.APPROVED,
        created_at=START + timedelta(days=6),
    )
    url = f"/characters/{story['character'].character_id}/flags/rewrites.jsonl?sort=oldest"
    examples = [json.loads(line) for line in download(owner_client, url).splitlines()]

    assert [example["messages"][-1]["content"] for example in examples] == [
        "Name's Metcalf. Commander Metcalf.",
        "Hello? Anyone out there?",
        "Copy, Radio.",
    ]
    assert examples[2]["messages"] == [
        {"role": "user", "content": "Open the hatch"},
        {"role": "assistant", "content": "It groans open.", "weight": 0},
        {"role": "user", "content": "Hello there"},
        {"role": "assistant", "content": "Hi. I'm DK.", "weight": 0},
        {"role": "user", "content": "[An Event has occurred]: the lights fail"},
        {"role": "assistant", "content": "Who's there?", "weight": 0},
        {"role": "assistant", "content": "Anyone?", "weight": 0},
        {"role": "user", "content": "Mayday, mayday.", "name": "Radio"},
        {"role": "user", "content": "Over"},
        {"role": "assistant", "content": "Copy, Radio."},
    ]


def test_only_rewrites_a_writer_stands_behind_of_character_lines_are_examples(owner_client, story):
    said, author = story["said"], story["flags"][0].author
    for status in (FlagStatus.OPEN, FlagStatus.WONT_FIX):
        make_flag(said["Who's there?"], author, rewrite="Not this one.", status=status)
    make_flag(said["Who's there?"], author, rewrite="   ", status=FlagStatus.APPROVED)
    make_flag(said["Hello there"], author, rewrite="Not a player's line.", status="approved")
    make_flag(said["Mayday, mayday."], author, rewrite="Nor the radio's.", status="approved")
    text = download(owner_client, "/flags/rewrites.jsonl")
    assert [json.loads(line)["messages"][-1]["content"] for line in text.splitlines()] == [
        "Name's Metcalf. Commander Metcalf."
    ]
    # The backlog's filters apply on top.
    assert download(owner_client, "/flags/rewrites.jsonl?category=tone") == ""


def test_a_third_speakers_name_is_made_one_that_openai_accepts(owner_client, owner):
    character = make_character(owner)
    chat = make_session(character)
    make_interaction(chat, ("Guard Captain (Night)", "Halt!"), ("Character", "Easy."))
    make_flag(chat.lines.get(text="Easy."), owner, rewrite="Easy, friend.", status="rewritten")
    example = json.loads(download(owner_client, "/flags/rewrites.jsonl"))
    assert example["messages"][0] == {
        "role": "user",
        "content": "Halt!",
        "name": "Guard_Captain_Night",
    }


# --- a line as a bug report ----------------------------------------------------------------


def test_a_line_copies_as_a_bug_report_with_its_context_permalink_and_flags(owner_client, story):
    line = story["said"]["Hi. I'm DK."]
    url = reverse("bug_report", args=[story["character"].character_id, "s-1", line.pk])
    response = owner_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline;")
    report = response.content.decode()

    assert structure(report) == [
        ("heading_open", "DK Metcalf, session s-1"),
        ("link_open", permalink(line)),
    ]
    shown = shown_text(report)
    assert "DK Metcalf at 2026-10-01 12:00:01 UTC:\nHi. I'm DK." in shown
    # Two turns before and two after.
    assert (
        "DK Metcalf (12:00:00): It groans open.\n"
        "Player (12:00:01): Hello there\n"
        "DK Metcalf (12:00:01, this line): Hi. I'm DK.\n"
        "Game event (12:00:02): [An Event has occurred]: the lights fail\n"
        "DK Metcalf (12:00:02): Who's there?\n" in shown
    )
    assert "Open the hatch" not in shown
    assert "Anyone?" not in shown
    assert f"Permalink: {permalink(line)}" in shown
    assert (
        "Flag: Out of character (Rewritten), by colleague on 2026-10-03 12:00:00 UTC\n"
        "He never says his name like that.\n"
        "Rewrite: Name's Metcalf. Commander Metcalf." in shown
    )


def test_a_bug_report_at_the_start_of_a_session_has_only_what_follows(owner_client, story):
    line = story["said"]["Open the hatch"]
    url = reverse("bug_report", args=[story["character"].character_id, "s-1", line.pk])
    shown = shown_text(download(owner_client, url))
    assert (
        "Game trigger (12:00:00, this line): Open the hatch\n"
        "DK Metcalf (12:00:00): It groans open.\n"
        "Player (12:00:01): Hello there\n" in shown
    )
    assert "Hi. I'm DK." not in shown
    assert "Flag:" not in shown


# One line of each kind, and the label every page and export gives its speaker.
LABELLED = [
    (("User", "Open the hatch"), {"is_trigger_input": True}, "Game trigger"),
    (("User", "[An Event has occurred]: the lights fail"), {}, "Game event"),
    (("User", "Hello there"), {}, "Player"),
    (("Character", "Hi. I'm DK."), {}, "DK Metcalf"),
    (("Radio", "Mayday, mayday."), {}, "Radio"),
    (("", "Static."), {}, "Other speaker"),
]


def test_a_line_is_labelled_alike_in_the_transcript_the_backlog_and_every_export(
    owner_client, owner
):
    character = make_character(owner, name="DK Metcalf", sessions_refreshed_at=START)
    chat = make_session(character, session_id="s-1", started_at=START)
    for turn, options, _ in LABELLED:
        make_interaction(chat, turn, **options)
    said = lines_of(chat)
    for n, (turn, _, _) in enumerate(LABELLED):
        make_flag(said[turn[1]], owner, created_at=START + timedelta(days=1, seconds=n))
    labels = [label for _, _, label in LABELLED]
    character_id = character.character_id
    speakers = re.compile(r'class="speaker">([^<]*)<')

    transcript = download(owner_client, SESSION.format(char=character_id, sid="s-1"))
    assert [label.strip() for label in speakers.findall(transcript)] == labels
    backlog = download(owner_client, f"/characters/{character_id}/flags/?sort=oldest")
    # Each flag shows its line among the turns around it.
    assert set(labels) <= set(speakers.findall(backlog))
    flags = parsed_csv(download(owner_client, "/flags/export.csv?sort=oldest"))
    assert [row["speaker"] for row in flags] == labels
    script = shown_text(
        download(owner_client, SESSION.format(char=character_id, sid="s-1") + "export.md")
    )
    for n, (turn, _, label) in enumerate(LABELLED):
        assert f"{label} (12:00:0{n}): {turn[1]}" in script
        report = download(
            owner_client, reverse("bug_report", args=[character_id, "s-1", said[turn[1]].pk])
        )
        assert f"{label} at 2026-10-01 12:00:0{n} UTC" in shown_text(report)


@pytest.mark.parametrize("attack", MARKDOWN_ATTACKS)
def test_text_from_convai_and_reviewers_stays_text_in_a_bug_report(owner_client, owner, attack):
    character = make_character(owner, name="Guide")
    chat = make_session(character, session_id="s-1")
    make_interaction(chat, ("User", attack), (attack, attack))
    make_interaction(chat, ("Character", attack))
    line = chat.lines.get(speaker="Character")
    make_flag(line, owner, comment=attack, rewrite=attack)
    url = reverse("bug_report", args=[character.character_id, "s-1", line.pk])
    report = download(owner_client, url)

    assert structure(report) == [
        ("heading_open", "Guide, session s-1"),
        ("link_open", permalink(line)),
    ]
    shown = shown_text(report)
    for line_of_attack in attack.splitlines():
        assert shown.count(line_of_attack.strip()) >= 6, shown
    assert "<script" not in PARSER.render(report)


# --- file names, types and access ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type", "filename"),
    [
        ("/characters/{char}/sessions.csv", "text/csv", "dk-metcalf-sessions-{today}.csv"),
        ("/characters/{char}/flags/export.csv", "text/csv", "dk-metcalf-flags-{today}.csv"),
        ("/flags/export.csv", "text/csv", "all-characters-flags-{today}.csv"),
        (
            "/characters/{char}/flags/rewrites.jsonl",
            "application/x-ndjson",
            "dk-metcalf-rewrites-{today}.jsonl",
        ),
        ("/flags/rewrites.jsonl", "application/x-ndjson", "all-characters-rewrites-{today}.jsonl"),
        (SESSION + "export.json", "application/json", "dk-metcalf-session-s-1.json"),
        (SESSION + "export.md", "text/markdown", "dk-metcalf-session-s-1.md"),
    ],
)
def test_each_export_downloads_with_a_sensible_file_name(
    owner_client, story, path, content_type, filename
):
    today = datetime.now(UTC).date().isoformat()
    response = owner_client.get(path.format(char=story["character"].character_id, sid="s-1"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"] == (
        f'attachment; filename="{filename.format(today=today)}"'
    )


def test_a_character_named_in_another_script_gets_a_file_name_of_its_id(owner_client, owner):
    character = make_character(owner, name="宇宙飛行士")
    response = owner_client.get(f"/characters/{character.character_id}/sessions.csv")
    assert f'filename="{character.character_id}-sessions-' in response["Content-Disposition"]


EXPORT_URLS = [
    "/characters/{char}/sessions.csv",
    "/characters/{char}/flags/export.csv",
    "/characters/{char}/flags/rewrites.jsonl",
    SESSION + "export.json",
    SESSION + "export.md",
    SESSION + "lines/{line}/report.md",
]


@pytest.mark.parametrize("path", EXPORT_URLS)
def test_an_outsider_gets_a_404_for_every_export_of_a_character(outsider_client, story, path):
    line = story["said"]["Hi. I'm DK."]
    url = path.format(char=story["character"].character_id, sid="s-1", line=line.pk)
    assert outsider_client.get(url).status_code == 404


@pytest.mark.parametrize("path", EXPORT_URLS)
def test_a_colleague_who_holds_the_character_exports_the_same_review(
    colleague_client, owner_client, story, path
):
    line = story["said"]["Hi. I'm DK."]
    url = path.format(char=story["character"].character_id, sid="s-1", line=line.pk)
    assert download(colleague_client, url) == download(owner_client, url)


def test_an_outsiders_export_of_all_flags_has_none_of_the_characters(outsider_client, story):
    assert len(parsed_csv(download(outsider_client, "/flags/export.csv"))) == 0
    assert download(outsider_client, "/flags/rewrites.jsonl") == ""


def test_a_session_or_line_of_another_character_is_a_404_even_to_its_holder(
    owner_client, owner, story
):
    museum = make_character(owner, character_id=MUSEUM_GUIDE_ID, name="Museum guide")
    tour = make_session(museum, session_id="tour")
    make_interaction(tour, ("User", "Where are the fossils?"), ("Character", "Room 3."))
    theirs = tour.lines.get(text="Room 3.")
    ours = story["character"].character_id
    for url in (
        SESSION.format(char=ours, sid="tour") + "export.json",
        SESSION.format(char=ours, sid="tour") + "export.md",
        SESSION.format(char=ours, sid="tour") + f"lines/{theirs.pk}/report.md",
        SESSION.format(char=ours, sid="s-1") + f"lines/{theirs.pk}/report.md",
        SESSION.format(char=MUSEUM_GUIDE_ID, sid="tour")
        + f"lines/{story['said']['Hello there'].pk}/report.md",
    ):
        assert owner_client.get(url).status_code == 404, url


@pytest.mark.parametrize("path", [*EXPORT_URLS, "/flags/export.csv", "/flags/rewrites.jsonl"])
def test_exports_only_answer_get(owner_client, story, path):
    line = story["said"]["Hi. I'm DK."]
    url = path.format(char=story["character"].character_id, sid="s-1", line=line.pk)
    assert owner_client.post(url).status_code == 405


@pytest.mark.parametrize(
    "session_id", ["plain", "with space", "e3aff557-61db-4c33-8cde-dd0467adac0c", "a&b?c#d", "ü%"]
)
def test_session_links_are_those_that_reverse_makes(rf, session_id):
    request = rf.get("/")
    link = SessionLinks(request)
    expected = "http://testserver" + reverse("session", args=["char-1", session_id])
    assert link("char-1", session_id) == expected


# --- streaming -----------------------------------------------------------------------------


def consumed(client: Client, url: str) -> tuple[int, int]:
    """The lines of a streamed export, read and dropped, and the peak Python memory meanwhile."""
    tracemalloc.start()
    try:
        lines = sum(piece.count(b"\n") for piece in client.get(url).streaming_content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return lines, peak


def test_the_session_list_csv_streams_in_constant_memory(owner_client, owner):
    character = make_character(owner)
    sessions = ChatSession.objects.bulk_create(
        [
            ChatSession(
                character=character,
                session_id=f"{n:08d}-2f6c-4e0a-9d55-{n:012d}",
                started_at=START + timedelta(seconds=n),
                in_memory=n % 4 == 0,
                interaction_count=n % 17,
                transcript_fetched_at=START,
            )
            for n in range(20_000)
        ],
        batch_size=2000,
    )
    tag = make_tag(character)
    SessionTag.objects.bulk_create(
        [SessionTag(session=session, tag=tag) for session in sessions[::10]]
    )
    url = f"/characters/{character.character_id}/sessions.csv"
    consumed(owner_client, f"{url}?status=approved")  # what any first request sets up

    quarter, quarter_peak = consumed(owner_client, f"{url}?memory=yes")
    whole, whole_peak = consumed(owner_client, url)

    assert (quarter, whole) == (5_001, 20_001)
    # Four times the rows in the same memory: a chunk being sent and the next being read.
    assert whole_peak < quarter_peak * 1.2, (quarter_peak, whole_peak)
    # Building the whole file first takes about 14 MB here (25 MB as model instances).
    assert whole_peak < 7_000_000, whole_peak
