"""The Convai sandbox server, exercised over real HTTP on loopback."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from convai_dashboard.sandbox import (
    ASTRONAUT_ID,
    CHAT_ONLY_CHARACTER_ID,
    CHAT_ONLY_KEY,
    DEMO_CHARACTER_IDS,
    DEMO_KEY,
    FAULT_MODES,
    LARGE_CHARACTER_ID,
    MUSEUM_GUIDE_ID,
    OTHER_CHARACTER_ID,
    OTHER_KEY,
    QUIRKS_CHARACTER_ID,
    QUIRKS_SESSION_ID,
    SHRINE_KEEPER_ID,
    SandboxServer,
)

LIST = "/character/chatHistory/list"
DETAILS = "/character/chatHistory/details"
GET = "/character/get"
CHARACTERS = "/character/list"

SESSION_KEYS = {"sessionID", "date", "time", "is_added_to_memory"}
DATE = re.compile(r"\d{2}-\d{2}-\d{4}")
TIME = re.compile(r"\d{2}:\d{2}:\d{2}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}")
ISO_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


class Reply:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.body = response.read()

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    server: SandboxServer,
    path: str,
    body: Any = None,
    *,
    key: str | None = DEMO_KEY,
    raw: bytes | None = None,
    method: str = "POST",
    timeout: float = 5,
) -> Reply:
    connection = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["CONVAI-API-KEY"] = key
    payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    try:
        connection.request(method, path, body=payload, headers=headers)
        return Reply(connection.getresponse())
    finally:
        connection.close()


def sessions(server: SandboxServer, char_id: str, limit: str = "-1", key: str = DEMO_KEY) -> Any:
    reply = call(server, LIST, {"charID": char_id, "limit": limit}, key=key)
    assert reply.status == 200, reply.body
    return reply.json()


def details(server: SandboxServer, char_id: str, session_id: str) -> Any:
    reply = call(server, DETAILS, {"charID": char_id, "sessionID": session_id})
    assert reply.status == 200, reply.body
    return reply.json()


def started(session: dict[str, str]) -> datetime:
    return datetime.strptime(f"{session['date']} {session['time']}", "%d-%m-%Y %H:%M:%S")


@pytest.fixture(scope="module")
def running() -> Iterator[SandboxServer]:
    server = SandboxServer(port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(running: SandboxServer) -> Iterator[SandboxServer]:
    running.reset()
    yield running
    running.reset()


# --- Chat History: list ---------------------------------------------------------------------


def test_list_returns_sessions_newest_first(server: SandboxServer) -> None:
    listed = sessions(server, MUSEUM_GUIDE_ID)
    assert 250 <= len(listed) <= 600
    for session in listed:
        assert set(session) == SESSION_KEYS
        assert DATE.fullmatch(session["date"])
        assert TIME.fullmatch(session["time"])
        assert isinstance(session["is_added_to_memory"], bool)
    starts = [started(session) for session in listed]
    assert starts == sorted(starts, reverse=True)
    assert len({session["sessionID"] for session in listed}) == len(listed)
    in_memory = sum(session["is_added_to_memory"] for session in listed) / len(listed)
    assert 0.05 < in_memory < 0.3
    id_shapes = {"-" in session["sessionID"] for session in listed}
    assert id_shapes == {True, False}  # hyphenated UUIDs and bare hex both occur


def test_limit_returns_the_newest_n(server: SandboxServer) -> None:
    everything = sessions(server, SHRINE_KEEPER_ID)
    assert sessions(server, SHRINE_KEEPER_ID, "7") == everything[:7]
    assert sessions(server, SHRINE_KEEPER_ID, "0") == []


@pytest.mark.parametrize("limit", [-1, 5, None, "abc", "1.5"])
def test_limit_must_be_an_integer_string(server: SandboxServer, limit: Any) -> None:
    reply = call(server, LIST, {"charID": MUSEUM_GUIDE_ID, "limit": limit})
    assert reply.status == 422
    [error] = reply.json()["detail"]
    assert error["loc"] == ["body", "limit"]
    assert error["msg"] and error["type"]


def test_missing_fields_are_422(server: SandboxServer) -> None:
    reply = call(server, LIST, {"limit": "-1"})
    assert reply.status == 422
    assert reply.json()["detail"][0]["loc"] == ["body", "charID"]


# --- Chat History: details ------------------------------------------------------------------


def test_details_are_oldest_first_and_start_the_session(server: SandboxServer) -> None:
    listed = sessions(server, MUSEUM_GUIDE_ID, "12")
    for session in listed:
        interactions = details(server, MUSEUM_GUIDE_ID, session["sessionID"])
        assert interactions
        stamps = [interaction["timestamp"] for interaction in interactions]
        assert all(TIMESTAMP.fullmatch(stamp) for stamp in stamps)
        assert stamps == sorted(stamps)
        assert stamps[0][:19] == started(session).strftime("%Y-%m-%d %H:%M:%S")
        for interaction in interactions:
            assert set(interaction) == {"timestamp", "interaction", "is_trigger_input"}
            assert isinstance(interaction["is_trigger_input"], bool)
            for turn in interaction["interaction"]:
                assert set(turn) == {"speaker", "message"}


def test_unknown_session_is_an_empty_list(server: SandboxServer) -> None:
    assert details(server, MUSEUM_GUIDE_ID, "00000000000000000000000000000000") == []


def test_real_export_is_served_as_the_astronaut(server: SandboxServer) -> None:
    listed = sessions(server, ASTRONAUT_ID)
    assert len(listed) == 79
    assert listed[0] == {
        "sessionID": "e3aff557-61db-4c33-8cde-dd0467adac0c",
        "date": "20-08-2025",
        "time": "15:53:42",
        "is_added_to_memory": False,
    }
    starts = [started(session) for session in listed]
    assert starts == sorted(starts, reverse=True)
    transcripts = [details(server, ASTRONAUT_ID, s["sessionID"]) for s in listed]
    everything = [interaction for transcript in transcripts for interaction in transcript]
    assert len(everything) == 483
    assert transcripts[0][0]["timestamp"] == "2025-08-20 15:53:42.335966"
    for transcript in transcripts:
        stamps = [interaction["timestamp"] for interaction in transcript]
        assert stamps == sorted(stamps)
    turns = [interaction["interaction"] for interaction in everything]
    assert all([turn["speaker"] for turn in pair] == ["User", "Character"] for pair in turns)
    assert any(pair[0]["message"] == "" for pair in turns)
    messages = {turn["message"] for pair in turns for turn in pair}
    # The export's typographic apostrophe (U+2019) arrives unchanged.
    assert (
        "Oh, right! It\u2019s good to hear from you again. How are you going to get me out of here?"
        in messages
    )
    assert any(m.startswith("Your message was rejected because it contained") for m in messages)


def test_quirks_session(server: SandboxServer) -> None:
    assert QUIRKS_CHARACTER_ID in DEMO_CHARACTER_IDS
    listed = sessions(server, QUIRKS_CHARACTER_ID, "10")
    assert QUIRKS_SESSION_ID in [session["sessionID"] for session in listed]
    interactions = details(server, QUIRKS_CHARACTER_ID, QUIRKS_SESSION_ID)
    assert len(interactions) <= 10
    turns = [turn for interaction in interactions for turn in interaction["interaction"]]
    messages = [turn["message"] for turn in turns]
    assert any(interaction["is_trigger_input"] for interaction in interactions)
    assert {"speaker": "User", "message": ""} in turns
    assert {turn["speaker"] for turn in turns} - {"User", "Character"}
    assert "<script>alert('xss')</script>" in messages
    assert any("\n" in message for message in messages)
    assert any("🦖" in message for message in messages)


def test_generated_dialogue_has_the_quirks_of_real_exports(server: SandboxServer) -> None:
    listed = sessions(server, SHRINE_KEEPER_ID, "120")
    interactions = [i for s in listed for i in details(server, SHRINE_KEEPER_ID, s["sessionID"])]
    turns = [turn for interaction in interactions for turn in interaction["interaction"]]
    messages = [turn["message"] for turn in turns]
    first_speakers = {interaction["interaction"][0]["speaker"] for interaction in interactions}
    assert "Character" in first_speakers  # the character spoke first, no User turn
    assert any(m.startswith("[An Event has occurred]: ") for m in messages)
    assert any(interaction["is_trigger_input"] for interaction in interactions)
    assert any("content that is not allowed" in m for m in messages)
    assert any(re.search("[\u3040-\u30ff]", m) for m in messages)  # Japanese


# --- Character API --------------------------------------------------------------------------


def test_get_character(server: SandboxServer) -> None:
    reply = call(server, GET, {"charID": MUSEUM_GUIDE_ID})
    assert reply.status == 200
    character = reply.json()
    assert set(character) == {
        "character_name",
        "character_id",
        "user_id",
        "voice_type",
        "timestamp",
        "backstory",
        "language_code",
        "model_details",
    }
    assert character["character_id"] == MUSEUM_GUIDE_ID
    assert character["character_name"]
    assert character["model_details"]["modelPlaceholder"].startswith("https://")


def test_get_unknown_character_is_400(server: SandboxServer) -> None:
    reply = call(server, GET, {"charID": "ffffffffffffffffffffffffffffffff"})
    assert reply.status == 400
    assert reply.json() == {"ERROR": "INTERNAL SERVER ERROR, one or more database calls failed!"}


def test_get_character_of_another_account_is_403(server: SandboxServer) -> None:
    reply = call(server, GET, {"charID": OTHER_CHARACTER_ID})
    assert reply.status == 403
    assert "ERROR" in reply.json()


def test_list_characters(server: SandboxServer) -> None:
    reply = call(server, CHARACTERS)
    assert reply.status == 200
    characters = reply.json()["characters"]
    ids = [character["character_id"] for character in characters]
    assert set(DEMO_CHARACTER_IDS) <= set(ids)
    assert len(ids) >= 5
    assert OTHER_CHARACTER_ID not in ids
    assert LARGE_CHARACTER_ID not in ids  # only with large_sessions
    for character in characters:
        assert ISO_SECONDS.fullmatch(character["timestamp"])
        assert ISO_SECONDS.fullmatch(character["last_interacted_with"])
        assert isinstance(character["memory_settings"]["enabled"], bool)
        assert character["model_details"]["modelPlaceholder"]
    astronaut = ids.index(ASTRONAUT_ID)
    assert characters[astronaut]["last_interacted_with"] == "2025-08-20T15:53:42"


# --- Keys and accounts ----------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "not-a-key"])
@pytest.mark.parametrize(
    ("path", "body"),
    [
        (LIST, {"charID": MUSEUM_GUIDE_ID, "limit": "-1"}),
        (DETAILS, {"charID": MUSEUM_GUIDE_ID, "sessionID": QUIRKS_SESSION_ID}),
        (GET, {"charID": MUSEUM_GUIDE_ID}),
        (CHARACTERS, None),
    ],
)
def test_bad_key_is_401(server: SandboxServer, key: str | None, path: str, body: Any) -> None:
    reply = call(server, path, body, key=key)
    assert reply.status == 401
    assert reply.json() == {"ERROR": "Invalid API key provided."}


@pytest.mark.parametrize("char_id", [OTHER_CHARACTER_ID, "ffffffffffffffffffffffffffffffff"])
def test_chat_history_of_a_character_off_the_account_is_403(
    server: SandboxServer, char_id: str
) -> None:
    for path, body in [
        (LIST, {"charID": char_id, "limit": "-1"}),
        (DETAILS, {"charID": char_id, "sessionID": QUIRKS_SESSION_ID}),
    ]:
        reply = call(server, path, body)
        assert reply.status == 403
        assert isinstance(reply.json()["ERROR"], str)


def test_other_account_reads_its_own_characters(server: SandboxServer) -> None:
    assert sessions(server, OTHER_CHARACTER_ID, key=OTHER_KEY)
    reply = call(server, LIST, {"charID": MUSEUM_GUIDE_ID, "limit": "-1"}, key=OTHER_KEY)
    assert reply.status == 403


def test_chat_only_plan(server: SandboxServer) -> None:
    listed = sessions(server, CHAT_ONLY_CHARACTER_ID, key=CHAT_ONLY_KEY)
    reply = call(
        server,
        DETAILS,
        {"charID": CHAT_ONLY_CHARACTER_ID, "sessionID": listed[0]["sessionID"]},
        key=CHAT_ONLY_KEY,
    )
    assert reply.status == 200 and reply.json()
    for path, body in [(CHARACTERS, None), (GET, {"charID": CHAT_ONLY_CHARACTER_ID})]:
        reply = call(server, path, body, key=CHAT_ONLY_KEY)
        assert reply.status == 403
        assert "ERROR" in reply.json()


# --- Protocol -------------------------------------------------------------------------------


def test_unknown_path_is_404(server: SandboxServer) -> None:
    reply = call(server, "/character/chatHistory/everything", {})
    assert reply.status == 404
    assert reply.json() == {"detail": "Not Found"}


def test_malformed_json_is_422(server: SandboxServer) -> None:
    reply = call(server, LIST, raw=b'{"charID": ')
    assert reply.status == 422
    assert reply.json()["detail"][0]["type"] == "json_invalid"


def test_get_method_is_405(server: SandboxServer) -> None:
    assert call(server, LIST, method="GET").status == 405


def test_json_is_utf8_and_has_content_length(server: SandboxServer) -> None:
    reply = call(server, DETAILS, {"charID": MUSEUM_GUIDE_ID, "sessionID": QUIRKS_SESSION_ID})
    assert reply.headers["content-type"] == "application/json"
    assert int(reply.headers["content-length"]) == len(reply.body)
    assert "🦖".encode() in reply.body  # not \\u-escaped


def test_connections_are_kept_alive(server: SandboxServer) -> None:
    connection = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=5)
    body = json.dumps({"charID": ASTRONAUT_ID, "limit": "1"})
    headers = {"CONVAI-API-KEY": DEMO_KEY, "Content-Type": "application/json"}
    try:
        connection.request("POST", LIST, body, headers)
        assert connection.getresponse().read()
        first_socket = connection.sock
        connection.request("POST", LIST, body, headers)
        assert connection.getresponse().status == 200
        assert connection.sock is first_socket
    finally:
        connection.close()


def test_requests_are_recorded(server: SandboxServer) -> None:
    before = time.monotonic()
    call(server, LIST, {"charID": ASTRONAUT_ID, "limit": "3"})
    call(server, LIST, raw=b"not json")
    first, second = server.requests
    assert first.path == LIST
    assert first.body == {"charID": ASTRONAUT_ID, "limit": "3"}
    assert first.headers["CONVAI-API-KEY"] == DEMO_KEY
    assert before <= first.at <= second.at
    assert second.body == "not json"
    server.reset()
    assert server.requests == []


def test_latency(server: SandboxServer) -> None:
    server.latency_ms = 150
    began = time.monotonic()
    call(server, CHARACTERS)
    assert time.monotonic() - began >= 0.15


def test_same_answers_from_every_server(server: SandboxServer) -> None:
    other = SandboxServer(port=0)
    other.start()
    try:
        for char_id in DEMO_CHARACTER_IDS:
            listed = call(server, LIST, {"charID": char_id, "limit": "-1"}).body
            assert call(other, LIST, {"charID": char_id, "limit": "-1"}).body == listed
            for session in json.loads(listed)[:5]:
                body = {"charID": char_id, "sessionID": session["sessionID"]}
                assert call(other, DETAILS, body).body == call(server, DETAILS, body).body
        assert call(other, CHARACTERS).body == call(server, CHARACTERS).body
    finally:
        other.stop()
    with pytest.raises(OSError):
        call(other, CHARACTERS, timeout=1)


# --- Faults ---------------------------------------------------------------------------------

LIST_BODY = {"charID": ASTRONAUT_ID, "limit": "2"}


def test_fault_invalid_key(server: SandboxServer) -> None:
    server.fault = "invalid_key"
    reply = call(server, LIST, LIST_BODY)
    assert reply.status == 401
    assert reply.json() == {"ERROR": "Invalid API key provided."}


def test_fault_error_200(server: SandboxServer) -> None:
    server.fault = "error_200"
    reply = call(server, LIST, LIST_BODY)
    assert reply.status == 200
    assert set(reply.json()) == {"ERROR", "Reference ID"}


@pytest.mark.parametrize(("mode", "status"), [("error_500_html", 500), ("error_503_html", 503)])
def test_fault_html_errors(server: SandboxServer, mode: str, status: int) -> None:
    server.fault = mode
    reply = call(server, LIST, LIST_BODY)
    assert reply.status == status
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.body.startswith(b"<!DOCTYPE html>")


def test_fault_ratelimit(server: SandboxServer) -> None:
    server.fault = "ratelimit"
    reply = call(server, LIST, LIST_BODY)
    assert reply.status == 429
    assert reply.headers["retry-after"] == "1"
    assert reply.json() == {"ERROR": "API rate limit exceeded. Please try again later."}
    server.fault = "ratelimit_no_header"
    reply = call(server, LIST, LIST_BODY)
    assert reply.status == 429
    assert "retry-after" not in reply.headers


@pytest.mark.parametrize("path", [LIST, CHARACTERS])
def test_fault_garbage(server: SandboxServer, path: str) -> None:
    server.fault = "garbage"
    reply = call(server, path, LIST_BODY)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        reply.json()


def test_fault_wrong_shape(server: SandboxServer) -> None:
    server.fault = "wrong_shape"
    assert call(server, LIST, LIST_BODY).json() == {"sessions": "nope"}
    details_reply = call(server, DETAILS, {"charID": ASTRONAUT_ID, "sessionID": "x"}).json()
    assert all(isinstance(item, str) for item in details_reply)


def test_fault_detail_error(server: SandboxServer) -> None:
    server.fault = "detail_error"
    reply = call(server, LIST, LIST_BODY)
    assert reply.status == 400
    assert reply.json() == {"detail": "Bad request: something is off."}


def test_fault_slow(server: SandboxServer) -> None:
    server.fault = "slow"
    server.slow_seconds = 0.3
    began = time.monotonic()
    reply = call(server, LIST, LIST_BODY)
    assert time.monotonic() - began >= 0.3
    assert reply.status == 200 and len(reply.json()) == 2
    server.slow_seconds = 5
    with pytest.raises(socket.timeout):
        call(server, LIST, LIST_BODY, timeout=0.2)


def test_fault_disconnect(server: SandboxServer) -> None:
    server.fault = "disconnect"
    with pytest.raises(http.client.RemoteDisconnected):
        call(server, LIST, LIST_BODY)


def test_every_fault_mode_is_covered() -> None:
    tested = {
        "invalid_key",
        "error_200",
        "error_500_html",
        "error_503_html",
        "ratelimit",
        "ratelimit_no_header",
        "garbage",
        "wrong_shape",
        "detail_error",
        "slow",
        "disconnect",
    }
    assert set(FAULT_MODES) == tested


def test_fault_count_clears_the_fault(server: SandboxServer) -> None:
    server.fault = "ratelimit"
    server.fault_count = 2
    statuses = [call(server, LIST, LIST_BODY).status for _ in range(3)]
    assert statuses == [429, 429, 200]
    assert server.fault is None
    assert server.fault_count is None
    assert len(server.requests) == 3  # faulted requests are recorded too


def test_fault_paths(server: SandboxServer) -> None:
    server.fault = "error_503_html"
    server.fault_paths = {CHARACTERS, GET}
    server.fault_count = 1
    assert call(server, LIST, LIST_BODY).status == 200  # not counted against fault_count
    assert call(server, GET, {"charID": ASTRONAUT_ID}).status == 503
    assert call(server, GET, {"charID": ASTRONAUT_ID}).status == 200


def test_unknown_fault_mode_is_refused(server: SandboxServer) -> None:
    with pytest.raises(ValueError):
        server.fault = "meteor_strike"


def test_reset_restores_defaults(server: SandboxServer) -> None:
    server.fault = "ratelimit"
    server.fault_count = 5
    server.fault_paths = {LIST}
    server.slow_seconds = 1
    server.latency_ms = 500
    server.reset()
    assert (server.fault, server.fault_count, server.fault_paths) == (None, None, None)
    assert (server.slow_seconds, server.latency_ms) == (30, 0)
    assert call(server, LIST, LIST_BODY).status == 200


# --- Scale ----------------------------------------------------------------------------------


def test_large_character_lists_every_session_quickly() -> None:
    with SandboxServer(port=0, large_sessions=20_000) as large:
        began = time.monotonic()
        listed = sessions(large, LARGE_CHARACTER_ID)
        assert time.monotonic() - began < 2
        assert len(listed) == 20_000
        assert len({session["sessionID"] for session in listed}) == 20_000
        starts = [started(session) for session in listed]
        assert starts == sorted(starts, reverse=True)
        assert details(large, LARGE_CHARACTER_ID, listed[-1]["sessionID"])
        ids = [c["character_id"] for c in call(large, CHARACTERS).json()["characters"]]
        assert LARGE_CHARACTER_ID in ids
