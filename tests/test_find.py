"""Finding sessions and lines: filters, the URL as state, and full-text search on whichever
engine the suite runs on (CI runs it on SQLite's FTS5 and on PostgreSQL's)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from convai_dashboard.history import fetch, search
from convai_dashboard.history.search import NEWEST_COUNTED, NEWEST_WALKED, search_lines
from convai_dashboard.history.text import parse_query
from tests.factories import make_character, make_interaction, make_session

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = datetime(2026, 10, 1, 12, tzinfo=UTC)


def listed(page: str) -> list[str]:
    return re.findall(r'class="session-row" href="[^"]*/sessions/([^/"]+)/', page)


@pytest.fixture
def shelf(owner):
    """A character whose sessions differ in every way a filter looks at."""
    character = make_character(owner, name="Brunhild", sessions_refreshed_at=DAY)

    def session(session_id: str, days: int, **kwargs):
        kwargs.setdefault("transcript_fetched_at", DAY)
        return make_session(
            character, session_id=session_id, started_at=DAY - timedelta(days=days), **kwargs
        )

    session("plain", 1, interaction_count=3, has_trigger=False, has_other_speaker=False)
    session(
        "memory",
        2,
        in_memory=True,
        interaction_count=10,
        has_trigger=False,
        has_other_speaker=False,
    )
    session("trigger", 3, interaction_count=7, has_trigger=True, has_other_speaker=False)
    session("narrated", 40, interaction_count=1, has_trigger=True, has_other_speaker=True)
    session("unfetched", 5, transcript_fetched_at=None)
    return character


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["plain", "memory", "trigger", "unfetched", "narrated"]),
        ("memory=yes", ["memory"]),
        ("memory=no", ["plain", "trigger", "unfetched", "narrated"]),
        ("trigger=yes", ["trigger", "narrated"]),
        ("trigger=no", ["plain", "memory"]),
        ("other_speaker=yes", ["narrated"]),
        ("stored=no", ["unfetched"]),
        ("stored=yes", ["plain", "memory", "trigger", "narrated"]),
        ("min_interactions=5", ["memory", "trigger"]),
        ("max_interactions=3", ["plain", "narrated"]),
        ("start_from=2026-09-28&start_to=2026-09-29", ["memory", "trigger"]),
        ("start_to=2026-09-01", ["narrated"]),
        ("sort=oldest", ["narrated", "unfetched", "trigger", "memory", "plain"]),
        ("sort=longest", ["memory", "trigger", "plain", "narrated", "unfetched"]),
        ("trigger=yes&min_interactions=2", ["trigger"]),
        ("memory=no&stored=yes&sort=longest", ["trigger", "plain", "narrated"]),
        ("memory=yes&trigger=yes", []),
    ],
)
def test_each_filter_and_their_combinations(owner_client, shelf, query, expected):
    page = owner_client.get(f"/characters/{shelf.character_id}/?{query}", **HTMX).content.decode()
    assert listed(page) == expected


def test_the_counts_say_how_many_match_of_how_many(owner_client, shelf):
    page = owner_client.get(f"/characters/{shelf.character_id}/?trigger=yes").content.decode()
    assert re.search(r"<strong>2</strong> of 5 sessions match", page)
    unfiltered = owner_client.get(f"/characters/{shelf.character_id}/").content.decode()
    assert "5 sessions stored" in unfiltered


def test_the_query_string_round_trips_through_the_page(owner_client, shelf):
    query = "memory=no&trigger=yes&sort=oldest&min_interactions=1"
    page = owner_client.get(f"/characters/{shelf.character_id}/?{query}").content.decode()
    assert '<option value="no" selected>Not in memory</option>' in page
    assert '<option value="yes" selected>Has trigger inputs</option>' in page
    assert '<option value="oldest" selected>Oldest first</option>' in page
    assert 'name="min_interactions" value="1"' in page
    # Opening a session keeps the list exactly as it is.
    assert f'href="/characters/{shelf.character_id}/sessions/trigger/?{html.escape(query)}"' in page
    opened = owner_client.get(f"/characters/{shelf.character_id}/sessions/trigger/?{query}")
    assert listed(opened.content.decode()) == ["narrated", "trigger"]


def test_a_filter_change_answers_the_list_fragment(owner_client, shelf):
    response = owner_client.get(
        f"/characters/{shelf.character_id}/?memory=yes", HTTP_HX_TARGET="session-list", **HTMX
    )
    assert response.content.decode().lstrip().startswith('<section id="session-list"')


@pytest.fixture
def said(owner):
    """Stored lines in several scripts, in two characters of the owner's."""
    smith = make_character(owner, name="Brunhild", sessions_refreshed_at=DAY)
    keeper = make_character(owner, character_id="shrine", name="Akari", sessions_refreshed_at=DAY)
    forge = make_session(smith, session_id="forge", transcript_fetched_at=DAY)
    make_interaction(
        forge,
        ("User", "Have you seen the dragon?"),
        ("Character", "The Dragon of Ashfall? Nobody has."),
    )
    make_interaction(
        forge, ("User", "What about dragons in general"), ("Character", "The forge is hot today.")
    )
    make_interaction(
        forge,
        ("User", "un café, s'il vous plaît"),
        ("Character", "<b>Bold</b> <script>alert(1)</script> dragon"),
    )
    shrine = make_session(keeper, session_id="shrine-visit", transcript_fetched_at=DAY)
    make_interaction(
        shrine, ("User", "鍛冶屋の剣を見せて"), ("Character", "こちらが鍛冶屋の剣です。")
    )
    make_interaction(shrine, ("User", "مرحبا بالعالم"), ("Character", "أهلاً وسهلاً يا صديقي"))
    return {"smith": smith, "keeper": keeper}


def texts(owner, query, **kwargs) -> list[str]:
    return sorted(line.text for line in search_lines(owner, query, **kwargs).lines)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "dragon",
            [
                "<b>Bold</b> <script>alert(1)</script> dragon",
                "Have you seen the dragon?",
                "The Dragon of Ashfall? Nobody has.",
            ],
        ),
        ("DRAGON ashfall", ["The Dragon of Ashfall? Nobody has."]),
        ('"the dragon"', ["Have you seen the dragon?", "The Dragon of Ashfall? Nobody has."]),
        ('"dragon the"', []),
        (
            "drag*",
            [
                "<b>Bold</b> <script>alert(1)</script> dragon",
                "Have you seen the dragon?",
                "The Dragon of Ashfall? Nobody has.",
                "What about dragons in general",
            ],
        ),
        ("cafe", ["un café, s'il vous plaît"]),
        ("CAFÉ plait", ["un café, s'il vous plaît"]),
        ("剣", ["こちらが鍛冶屋の剣です。", "鍛冶屋の剣を見せて"]),
        ('"鍛冶屋の剣"', ["こちらが鍛冶屋の剣です。", "鍛冶屋の剣を見せて"]),
        ("見せて", ["鍛冶屋の剣を見せて"]),
        ("بالعالم", ["مرحبا بالعالم"]),
        ("أهلا", ["أهلاً وسهلاً يا صديقي"]),
        ("script", ["<b>Bold</b> <script>alert(1)</script> dragon"]),
        ('"unclosed phrase', []),
        ("nothing-like-this", []),
    ],
)
def test_search_finds_words_phrases_prefixes_across_scripts(owner, said, query, expected):
    assert texts(owner, query) == sorted(expected)


def test_search_can_be_limited_to_one_character(owner, said):
    assert texts(owner, "剣", character=said["smith"]) == []
    assert len(texts(owner, "剣", character=said["keeper"])) == 2


def test_search_never_returns_lines_of_a_character_the_user_does_not_hold(owner, outsider, said):
    theirs = make_character(
        outsider, character_id="theirs", name="Theirs", sessions_refreshed_at=DAY
    )
    session = make_session(theirs, session_id="theirs", transcript_fetched_at=DAY)
    make_interaction(session, ("User", "the dragon is mine"))
    assert "the dragon is mine" not in texts(owner, "dragon")
    assert texts(outsider, "dragon") == ["the dragon is mine"]
    assert texts(outsider, "剣") == []


def test_search_pages_by_fifty(owner):
    character = make_character(owner, sessions_refreshed_at=DAY)
    session = make_session(character, transcript_fetched_at=DAY)
    for n in range(60):
        make_interaction(session, ("User", f"echo number {n}"))
    first = search_lines(owner, "echo")
    second = search_lines(owner, "echo", before=first.next_before)
    assert (len(first.lines), first.more, len(second.lines), second.more) == (50, True, 10, False)
    newest_first = [f"echo number {n}" for n in range(59, -1, -1)]
    assert [line.text for line in first.lines + second.lines] == newest_first


def test_the_first_page_counts_hits_up_to_a_cap_and_says_more_than_past_it(
    owner, owner_client, monkeypatch
):
    character = make_character(owner, sessions_refreshed_at=DAY)
    for n in range(3):
        session = make_session(character, session_id=f"s{n}", transcript_fetched_at=DAY)
        for m in range(20):
            make_interaction(session, ("User", f"echo {n} {m}"))
    counted = owner_client.get("/search/", {"q": "echo"}).content.decode()
    assert "60 hits in 3 sessions" in counted
    monkeypatch.setattr(search, "COUNT_UP_TO", 55)
    capped = search_lines(owner, "echo")
    assert (capped.total_lines, capped.capped) == (56, True)
    # Another spelling of the same search: the page above is cached under its query string.
    page = owner_client.get("/search/", {"q": "ECHO"}).content.decode()
    assert "More than 55 hits" in page


def test_a_page_of_hits_is_in_the_order_they_were_said(owner):
    # Stored in another order than said, as transcripts fetched side by side can be.
    character = make_character(owner, sessions_refreshed_at=DAY)
    for days, text in [(0, "lantern first"), (2, "lantern last"), (1, "lantern between")]:
        session = make_session(
            character, started_at=DAY + timedelta(days=days), transcript_fetched_at=DAY
        )
        make_interaction(session, ("User", text))
    first = search_lines(owner, "lantern", limit=2)
    second = search_lines(owner, "lantern", limit=2, before=first.next_before)
    assert [line.text for line in first.lines] == ["lantern last", "lantern between"]
    assert [line.text for line in second.lines] == ["lantern first"]


@pytest.fixture
def gates(owner):
    """Common words that meet in two lines only, the oldest and the newest: side by side in
    both, and the words of a phrase that never occurs in many."""
    character = make_character(owner, sessions_refreshed_at=DAY)
    session = make_session(character, transcript_fetched_at=DAY)
    make_interaction(session, ("User", "The gate closed early, help!"))
    for n in range(6):
        make_interaction(
            session,
            ("User", f"Gate {n} is closed."),
            ("Character", "Help is on its way."),
            ("Character", "No delays are reported."),
        )
    make_interaction(session, ("User", "Help, the gate closed."))


# PostgreSQL walks the newest lines for several terms or a phrase and collects older hits
# from its indexes: walking 2 lines makes every page below cross from one to the other.
@pytest.mark.parametrize("walked", [2, NEWEST_WALKED])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("gate help", ["Help, the gate closed.", "The gate closed early, help!"]),
        ('"gate closed"', ["Help, the gate closed.", "The gate closed early, help!"]),
        ('help "gate closed"', ["Help, the gate closed.", "The gate closed early, help!"]),
        ("the-gate-closed-ea*", ["The gate closed early, help!"]),
        ("gate delays", []),
        ("gate help delays", []),
        ('"closed gate"', []),
        ('"is on its way" delays', []),
    ],
)
def test_words_that_rarely_meet_are_found_page_by_page(
    owner, gates, monkeypatch, walked, query, expected
):
    monkeypatch.setattr(search, "NEWEST_WALKED", walked)
    found, before = [], None
    for _ in range(3):
        page = search_lines(owner, query, before=before, limit=1)
        found += [line.text for line in page.lines]
        if not page.more:
            break
        before = page.next_before
    assert found == expected
    assert search_lines(owner, query).total_lines == len(expected)


# PostgreSQL counts several terms among the newest lines first, then from its indexes when
# fewer than the cap are there: the newest 3 lines hold none of the matches, 12 four, and
# 20,000 all fifteen.
@pytest.mark.parametrize("newest", [3, 12, NEWEST_COUNTED])
def test_several_words_count_alike_wherever_their_lines_are(owner, monkeypatch, newest):
    character = make_character(owner, sessions_refreshed_at=DAY)
    for n in range(3):
        session = make_session(character, session_id=f"s{n}", transcript_fetched_at=DAY)
        for m in range(10):
            make_interaction(session, ("User", f"the help gate {m}" if m % 2 else f"gate {m}"))
    make_interaction(session, *[("User", "No delays are reported.")] * 4)
    monkeypatch.setattr(search, "NEWEST_COUNTED", newest)
    monkeypatch.setattr(search, "COUNT_UP_TO", 10)
    capped = search_lines(owner, "gate help", limit=2)
    assert (capped.total_lines, capped.capped) == (11, True)
    monkeypatch.setattr(search, "COUNT_UP_TO", 50)
    for query in ("gate help", '"help gate"'):
        counted = search_lines(owner, query, limit=2)
        assert (counted.total_lines, counted.total_sessions) == (15, 3), query


def test_postgresql_is_told_that_random_reads_are_cheap(db):
    # Without it, PostgreSQL's planner walked 60,000 lines for a word it could have read from
    # the index's 1,000 matches (settings.py).
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"


def test_syncs_keep_the_index_up_to_date(owner, sandbox):
    from tests.factories import make_key

    character = make_character(owner, make_key(owner), sessions_refreshed_at=DAY)
    session = make_session(character, session_id="9fc15ee9-5f69-4f4b-916b-9c71a9a8786f")
    assert texts(owner, '"stranded on an asteroid"') == []
    fetch.fetch_transcript(session)
    assert len(texts(owner, '"stranded on an asteroid"')) == 1
    fetch.fetch_transcript(session)  # stored again: still one line, not two
    assert len(texts(owner, '"stranded on an asteroid"')) == 1


def test_the_search_page_highlights_escapes_and_links_to_the_line(owner_client, owner, said):
    page = owner_client.get("/search/?q=dragon").content.decode()
    assert "<mark>dragon</mark>" in page and "<mark>Dragon</mark>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>dragon</mark>" in page
    assert "<script>alert(1)" not in page
    assert "Have you seen the <mark>dragon</mark>?" in page
    # The hit's exchange gives its context: the answer to the question it is in.
    assert "The Dragon of Ashfall? Nobody has." in page or "<mark>Dragon</mark> of Ashfall" in page
    link = re.search(r'href="(/characters/[^"]+#(line-[^"]+))"', page)
    assert link, "each hit links to its line"
    transcript = owner_client.get(html.unescape(link.group(1)).split("#")[0]).content.decode()
    assert f'id="{link.group(2)}"' in transcript
    assert "<mark>dragon</mark>" in transcript.lower()


def test_the_search_page_is_a_fragment_for_htmx(owner_client, said):
    response = owner_client.get("/search/?q=dragon", **HTMX)
    assert response.content.decode().lstrip().startswith('<section id="results"')


@pytest.mark.parametrize(
    "query", ["q=" + "x" * 201, "q=dragon&character=not-yours", "q=dragon&before=-4"]
)
def test_bad_search_input_is_a_clear_400(owner_client, said, query):
    response = owner_client.get(f"/search/?{query}")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_every_line_has_a_stable_permalink(owner_client, said):
    smith = said["smith"]
    page = owner_client.get(f"/characters/{smith.character_id}/sessions/forge/").content.decode()
    anchors = re.findall(r'class="bubble[^"]*" id="(line-[^"]+)"', page)
    assert len(anchors) == 6
    for anchor in anchors:
        assert f'href="/characters/{smith.character_id}/sessions/forge/#{anchor}"' in page
    assert page.count("Copy link") == 6


def test_parse_query_reads_words_phrases_and_prefixes():
    terms = parse_query('Dragon "the old forge" smith* don\'t')
    assert [(t.words, t.prefix) for t in terms] == [
        (("dragon",), False),
        (("the", "old", "forge"), False),
        (("smith",), True),
        (("don", "t"), False),
    ]


def test_ascii_text_folds_as_it_does_beside_other_text():
    from convai_dashboard.history.text import fold

    every_ascii = "".join(chr(i) for i in range(128))
    # With an accented letter beside it, the text is folded character by character.
    assert fold(every_ascii + " é") == fold(every_ascii) + " e"
    assert fold(every_ascii) == "0123456789 abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxyz"


def test_a_term_given_twice_counts_once_and_a_query_keeps_at_most_ten():
    assert len(parse_query("dragon Dragon DRAGON dragón")) == 1
    assert [t.words for t in parse_query(" ".join(f"w{i}" for i in range(15)))] == [
        (f"w{i}",) for i in range(10)
    ]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        (" ".join(f"w{i}" for i in range(10)), 200),
        (" ".join(["dragon"] * 25), 200),
        (" ".join(f"w{i}" for i in range(11)), 400),
        ('"a b" ' + " ".join(f"w{i}" for i in range(10)), 400),
    ],
    ids=["ten", "one, 25 times", "eleven", "a phrase and ten words"],
)
def test_search_takes_at_most_ten_different_terms(owner_client, said, query, status):
    response = owner_client.get("/search/", {"q": query})
    assert response.status_code == status
    if status == 400:
        assert "Search for at most 10 different words or phrases at once; this search has 11." in (
            html.unescape(response.content.decode())
        )


def test_a_transcript_opened_with_many_terms_marks_the_first_ten(owner_client, said):
    query = " ".join(["forge", *(f"w{i}" for i in range(30))])
    url = f"/characters/{said['smith'].character_id}/sessions/forge/"
    response = owner_client.get(url, {"q": query})
    assert response.status_code == 200 and "<mark>" in response.content.decode()


@pytest.mark.parametrize(
    "text",
    [
        "Plain ASCII: the Dragon's hoard, dragon-fire & DRAGONS!",
        "Ünïcödé: the Drágon's hoard, dragon-fire & DRAGONS! 竜",
    ],
)
def test_highlighting_marks_the_same_matches_in_ascii_and_other_text(text):
    from convai_dashboard.history.text import highlight

    marked = highlight(text, parse_query("dragon*"))
    assert marked.count("<mark>") == 3
    assert "&#x27;s hoard" in marked


def test_a_last_page_that_is_also_the_first_links_nowhere(owner_client, shelf):
    page = owner_client.get(f"/characters/{shelf.character_id}/?last=1").content.decode()
    assert listed(page) == ["plain", "memory", "trigger", "unfetched", "narrated"]
    assert 'class="pager"' not in page
