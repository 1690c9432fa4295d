"""The client's edge, value by value: what parse.py keeps, cuts, cleans and leaves out of
Convai's JSON (the sandbox's hostile character serves the same over HTTP, test_hostile_data)."""

from __future__ import annotations

import pytest

from convai_dashboard.convai import UnexpectedResponse
from convai_dashboard.convai.parse import character_list, session_list, transcript
from convai_dashboard.convai.records import ID_MAX, LINES_MAX, SPEAKER_MAX, TEXT_MAX


def session(session_id: str, date: str = "14-03-2026", time: str = "09:26:53") -> dict:
    return {"sessionID": session_id, "date": date, "time": time, "is_added_to_memory": False}


def exchange(*turns: tuple[str, str], at: str = "2026-03-14 09:26:53.000000") -> dict:
    return {
        "timestamp": at,
        "interaction": [{"speaker": s, "message": m} for s, m in turns],
        "is_trigger_input": False,
    }


@pytest.mark.parametrize(
    "session_id",
    [
        "e3aff557-61db-4c33-8cde-dd0467adac0c",
        "c1234567890aba1111222233334447862",
        "a",
        "v1.2_beta-3",
        "x" * ID_MAX,
    ],
)
def test_ids_of_letters_digits_dashes_underscores_and_dots_are_kept(session_id):
    listed = session_list([session(session_id)])
    assert [s.session_id for s in listed] == [session_id] and listed.skipped == []


@pytest.mark.parametrize(
    ("session_id", "reason"),
    [
        ("a/b", "holds characters other than"),
        ("a\\b", "holds characters other than"),
        ("..", "holds characters other than"),
        (".hidden", "holds characters other than"),
        ("-rf", "holds characters other than"),
        ("a b", "holds characters other than"),
        ("a\x00b", "holds characters other than"),
        ("a\nb", "holds characters other than"),
        ("a%2Fb", "holds characters other than"),
        ("ünïcode", "holds characters other than"),
        ("x" * (ID_MAX + 1), f"is {ID_MAX + 1:,} characters long"),
    ],
)
def test_an_unusable_id_leaves_its_session_out_and_says_why(session_id, reason):
    listed = session_list([session("kept"), session(session_id)])
    assert [s.session_id for s in listed] == ["kept"]
    [skipped] = listed.skipped
    assert skipped.entry == f"session {session_id[:40]!r}" + ("…" if len(session_id) > 40 else "")
    assert reason in skipped.reason
    assert "\x00" not in str(skipped) and "\n" not in str(skipped)


@pytest.mark.parametrize(
    ("date", "time"),
    [("31-12-9999", "23:59:59"), ("01-01-0001", "00:00:00"), ("31-12-1999", "23:59:59")],
)
def test_a_session_started_out_of_range_is_left_out(date, time):
    listed = session_list([session("kept"), session("odd", date, time)])
    assert [s.session_id for s in listed] == ["kept"]
    assert "is not between 2000 and 3000" in listed.skipped[0].reason


def test_a_list_none_of_whose_entries_has_the_right_shape_is_an_error():
    # Every session marked gone from Convai because its date format changed would be worse.
    with pytest.raises(UnexpectedResponse, match="are not DD-MM-YYYY"):
        session_list([session("a", "2026-03-14"), session("b", "2026-03-15")])


def test_a_list_none_of_whose_ids_can_be_used_is_empty_and_says_so():
    listed = session_list([session("a/b"), session("c/d")])
    assert list(listed) == [] and len(listed.skipped) == 2


def test_text_loses_nuls_and_lone_surrogates_and_is_cut_and_marked_past_the_limit():
    [interaction] = transcript(
        [
            exchange(
                ("Us\x00er", "a\x00b\ud800c"),
                ("S" * (SPEAKER_MAX + 1), "fine"),
                ("Character", "t" * (TEXT_MAX + 1)),
                ("Character", "t" * TEXT_MAX),
            )
        ]
    )
    said = [(t.speaker, t.message, t.truncated) for t in interaction.turns]
    assert said == [
        ("User", "ab\ufffdc", False),
        ("S" * SPEAKER_MAX, "fine", True),
        ("Character", "t" * TEXT_MAX, True),
        ("Character", "t" * TEXT_MAX, False),
    ]
    assert not interaction.truncated


def test_a_transcript_is_cut_at_the_line_limit_and_marked_where():
    many = [exchange(("User", "hi"), ("Character", "hello")) for _ in range(LINES_MAX)]
    kept = transcript(many)
    assert len(kept) == LINES_MAX // 2
    assert [i.truncated for i in kept].count(True) == 1 and kept[-1].truncated
    # Exactly at the limit nothing was cut.
    assert not any(i.truncated for i in transcript(many[: LINES_MAX // 2]))


def test_one_interaction_with_more_turns_than_the_limit_is_cut_and_marked():
    [interaction] = transcript([exchange(*[("User", "x")] * (LINES_MAX + 5))])
    assert len(interaction.turns) == LINES_MAX and interaction.truncated


def test_interactions_without_turns_count_towards_the_limit():
    assert len(transcript([exchange()] * (LINES_MAX + 1))) == LINES_MAX


@pytest.mark.parametrize(
    ("timestamp", "words"),
    [("noon", "not YYYY-MM-DD"), ("9999-12-31 23:59:59", "out of range"), (None, "not YYYY")],
)
def test_a_transcript_with_one_bad_interaction_is_refused_whole(timestamp, words):
    bad = {**exchange(("User", "then")), "timestamp": timestamp}
    with pytest.raises(UnexpectedResponse, match=words):
        transcript([exchange(("User", "now")), bad])


def test_characters_with_unusable_ids_are_left_out_and_names_are_cleaned_and_cut():
    listed = character_list(
        {
            "characters": [
                {"character_id": "good-1", "character_name": "Na\x00me " + "n" * 300},
                {"character_id": "bad/1", "character_name": "Bad"},
                {"character_id": "good-2", "character_name": "   "},
            ]
        }
    )
    assert [(c.character_id, len(c.name), "\x00" in c.name) for c in listed] == [
        ("good-1", 200, False),
        ("good-2", 6, False),
    ]
    assert listed[1].name == "good-2"
    assert [str(s) for s in listed.skipped] == [
        "character 'bad/1': its ID cannot be used: it holds characters other than letters, "
        "digits, '-', '_' and '.'"
    ]
