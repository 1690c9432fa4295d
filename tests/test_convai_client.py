"""The Convai client against the sandbox, over real HTTP on loopback."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from convai_dashboard.convai import (
    CharacterNotAccessible,
    ConvaiClient,
    ConvaiTimeout,
    ConvaiUnavailable,
    InvalidApiKey,
    RateLimited,
    RequestRejected,
    UnexpectedResponse,
)
from convai_dashboard.convai import client as client_module
from convai_dashboard.sandbox import (
    ASTRONAUT_ID,
    CHAT_ONLY_CHARACTER_ID,
    CHAT_ONLY_KEY,
    DEMO_KEY,
    OTHER_KEY,
    QUIRKS_CHARACTER_ID,
    QUIRKS_SESSION_ID,
    SandboxServer,
)


def client_at(base_url: str, key: str = DEMO_KEY, **kwargs) -> ConvaiClient:
    # The client has no defaults of its own (settings give them): a test states each.
    kwargs.setdefault("connect_timeout", 1.0)
    kwargs.setdefault("read_timeout", 2.0)
    kwargs.setdefault("retries", 2)
    kwargs.setdefault("backoff_factor", 0.01)
    kwargs.setdefault("max_retry_after", 10.0)
    kwargs.setdefault("proxy", "")
    return ConvaiClient(key, base_url=base_url, **kwargs)


def client_for(sandbox: SandboxServer, key: str = DEMO_KEY, **kwargs) -> ConvaiClient:
    return client_at(sandbox.url, key, **kwargs)


def test_it_lists_the_real_characters_sessions_newest_first(sandbox):
    sessions = client_for(sandbox).list_sessions(ASTRONAUT_ID)
    assert len(sessions) == 79
    starts = [s.started_at for s in sessions]
    assert starts == sorted(starts, reverse=True)
    assert all(s.started_at.tzinfo is UTC for s in sessions)
    assert sessions[0].session_id == "e3aff557-61db-4c33-8cde-dd0467adac0c"
    assert (sessions[0].started_at.isoformat()) == "2025-08-20T15:53:42+00:00"


def test_it_sends_the_key_header_and_limit_as_a_string(sandbox):
    client_for(sandbox).list_sessions(ASTRONAUT_ID, limit=5)
    request = sandbox.requests[-1]
    assert request.path == "/character/chatHistory/list"
    assert request.headers["CONVAI-API-KEY"] == DEMO_KEY
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"charID": ASTRONAUT_ID, "limit": "5"}


def test_it_asks_for_every_session_with_limit_minus_one(sandbox):
    client_for(sandbox).list_sessions(ASTRONAUT_ID)
    assert sandbox.requests[-1].body["limit"] == "-1"


def test_it_parses_a_real_transcript_with_microseconds_and_order(sandbox):
    transcript = client_for(sandbox).get_transcript(
        ASTRONAUT_ID, "9fc15ee9-5f69-4f4b-916b-9c71a9a8786f"
    )
    first = transcript[0]
    assert first.occurred_at.isoformat() == "2025-08-20T15:39:20.276490+00:00"
    assert [t.speaker for t in first.turns] == ["User", "Character"]
    assert first.turns[0].message == "Hello. Who are you?"
    assert [i.occurred_at for i in transcript] == sorted(i.occurred_at for i in transcript)


def test_it_keeps_every_real_interaction(sandbox):
    client = client_for(sandbox)
    total = sum(
        len(client.get_transcript(ASTRONAUT_ID, s.session_id))
        for s in client.list_sessions(ASTRONAUT_ID)
    )
    assert total == 483


def test_it_keeps_unknown_speakers_empty_sides_and_triggers(sandbox):
    transcript = client_for(sandbox).get_transcript(QUIRKS_CHARACTER_ID, QUIRKS_SESSION_ID)
    speakers = {turn.speaker for i in transcript for turn in i.turns}
    assert speakers - {"User", "Character"}, "the third speaker was dropped"
    assert any(i.is_trigger_input for i in transcript)
    assert any(
        t.speaker == "User" and not t.message.strip() for i in transcript for t in i.turns
    ) or any(not any(t.speaker == "User" for t in i.turns) for i in transcript)


def test_it_names_characters(sandbox):
    client = client_for(sandbox)
    assert client.get_character(ASTRONAUT_ID).name
    listed = client.list_characters()
    assert ASTRONAUT_ID in {c.character_id for c in listed}


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        ("invalid_key", InvalidApiKey, "Invalid API key provided"),
        ("error_200", RequestRejected, "Reference ID"),
        ("error_500_html", ConvaiUnavailable, "HTTP 500"),
        ("error_503_html", ConvaiUnavailable, "HTTP 503"),
        ("ratelimit", RateLimited, "rate limit"),
        ("ratelimit_no_header", RateLimited, "Wait a minute"),
        ("garbage", UnexpectedResponse, "not JSON"),
        ("wrong_shape", UnexpectedResponse, "not a list"),
        ("detail_error", RequestRejected, "something is off"),
    ],
)
def test_each_failure_is_its_own_error_with_a_clear_message(sandbox, fault, error, words):
    sandbox.fault = fault
    with pytest.raises(error) as caught:
        client_for(sandbox, max_retry_after=5).list_sessions(ASTRONAUT_ID)
    assert words.lower() in caught.value.user_message.lower()
    assert DEMO_KEY not in caught.value.user_message


def test_an_int_limit_would_be_refused_so_the_contract_is_checked(sandbox):
    # Guards the test above: the sandbox really rejects a non-string limit.
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        sandbox.url + "/character/chatHistory/list",
        data=json.dumps({"charID": ASTRONAUT_ID, "limit": -1}).encode(),
        headers={"CONVAI-API-KEY": DEMO_KEY, "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 422


def test_a_slow_convai_times_out_without_retrying(sandbox):
    sandbox.fault, sandbox.slow_seconds = "slow", 1.5
    with pytest.raises(ConvaiTimeout) as caught:
        client_for(sandbox, read_timeout=0.3).list_sessions(ASTRONAUT_ID)
    assert "did not answer within 0.3 seconds" in str(caught.value)
    assert len(sandbox.requests) == 1


def test_a_refused_connection_says_so():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = client_at(f"http://127.0.0.1:{port}", retries=1, backoff_factor=0)
    with pytest.raises(ConvaiUnavailable) as caught:
        client.list_sessions(ASTRONAUT_ID)
    assert "connection refused" in str(caught.value)


def test_it_retries_server_errors_then_succeeds(sandbox):
    sandbox.fault, sandbox.fault_count = "error_503_html", 2
    sessions = client_for(sandbox, retries=3).list_sessions(ASTRONAUT_ID)
    assert len(sessions) == 79
    assert len(sandbox.requests) == 3


def test_it_honours_retry_after_before_retrying(sandbox):
    sandbox.fault, sandbox.fault_count = "ratelimit", 1
    client_for(sandbox, retries=2, max_retry_after=5).list_sessions(ASTRONAUT_ID)
    first, second = sandbox.requests[0], sandbox.requests[1]
    assert second.at - first.at >= 0.95  # the sandbox says Retry-After: 1


def test_it_gives_up_at_once_on_a_retry_after_too_long_to_wait(sandbox):
    sandbox.fault = "ratelimit"
    with pytest.raises(RateLimited) as caught:
        client_for(sandbox, retries=3, max_retry_after=0.5).list_sessions(ASTRONAUT_ID)
    assert caught.value.retry_after == 1
    assert "Try again in 1 second." in caught.value.user_message
    assert len(sandbox.requests) == 1


def test_it_does_not_retry_a_refused_key(sandbox):
    with pytest.raises(InvalidApiKey):
        client_for(sandbox, key="not-a-real-key", retries=3).list_sessions(ASTRONAUT_ID)
    assert len(sandbox.requests) == 1


def test_a_character_of_another_account_is_not_accessible(sandbox):
    with pytest.raises(CharacterNotAccessible):
        client_for(sandbox, key=OTHER_KEY).list_sessions(ASTRONAUT_ID)
    with pytest.raises(CharacterNotAccessible):
        client_for(sandbox, key=OTHER_KEY).get_character(ASTRONAUT_ID)


def test_an_unknown_character_is_not_accessible(sandbox):
    with pytest.raises(CharacterNotAccessible) as caught:
        client_for(sandbox).get_character("0" * 32)
    assert "database calls failed" in caught.value.user_message


def test_a_plan_without_the_character_api_still_reads_history(sandbox):
    client = client_for(sandbox, key=CHAT_ONLY_KEY)
    with pytest.raises(RequestRejected):
        client.list_characters()
    assert client.list_sessions(CHAT_ONLY_CHARACTER_ID)


class Recorder(ThreadingHTTPServer):
    """A tiny HTTP server on a loopback port: records every request it is sent and answers
    each with `status`, `headers` and `body` (an empty character list)."""

    def __init__(
        self,
        status: int = 200,
        headers: dict[str, str] | None = None,
        body: bytes = json.dumps({"characters": []}).encode(),
    ) -> None:
        self.status, self.headers, self.body = status, headers or {}, body
        self.received: list[tuple[str, str, dict[str, str]]] = []
        super().__init__(("127.0.0.1", 0), _RecordingHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RecordingHandler(BaseHTTPRequestHandler):
    server: Recorder

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((self.command, self.path, dict(self.headers.items())))
        body = self.server.body
        self.send_response(self.server.status)
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def serving(server: Recorder) -> Iterator[Recorder]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def elsewhere() -> Iterator[Recorder]:
    """Another host, as far as the key is concerned: another port, which should hear nothing."""
    yield from serving(Recorder())


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_key_never_reaches_its_target(elsewhere, status):
    target = f"{elsewhere.url}/character/list"
    for redirector in serving(Recorder(status, {"Location": target})):
        with pytest.raises(UnexpectedResponse) as caught:
            client_at(redirector.url, retries=2).list_characters()
        assert len(redirector.received) == 1
    assert elsewhere.received == [], "the redirect was followed"
    assert f"HTTP {status}, a redirect to {target}" in caught.value.user_message
    assert DEMO_KEY not in caught.value.user_message


def test_proxy_variables_of_the_environment_are_ignored(sandbox, elsewhere, monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, elsewhere.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert len(client_for(sandbox).list_sessions(ASTRONAUT_ID)) == 79
    assert elsewhere.received == []


def test_a_proxy_named_in_settings_is_used(sandbox, elsewhere):
    client_for(sandbox, proxy=elsewhere.url).list_characters()
    [(method, target, headers)] = elsewhere.received
    # A plain-HTTP proxy is sent the whole URL; the sandbox itself is not asked.
    assert (method, target) == ("POST", f"{sandbox.url}/character/list")
    assert headers["CONVAI-API-KEY"] == DEMO_KEY
    assert sandbox.requests == []


def a_list_of(size: int) -> bytes:
    """A character list of JSON `size` bytes long."""
    start, end = b'{"characters": [], "padding": "', b'"}'
    return start + b"x" * (size - len(start) - len(end)) + end


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, a_list_of(2 * 1024 * 1024)),
        # 2 MB that arrive as 2 KB, unpacked by requests on the way in.
        ({"Content-Encoding": "gzip"}, gzip.compress(a_list_of(2 * 1024 * 1024))),
    ],
    ids=["long", "packed"],
)
def test_an_answer_past_the_limit_is_refused_unread(monkeypatch, headers, body):
    monkeypatch.setattr(client_module, "RESPONSE_LIMIT", 1024 * 1024)
    for server in serving(Recorder(200, headers, body)):
        with pytest.raises(UnexpectedResponse) as caught:
            client_at(server.url).list_characters()
    assert "HTTP 200 with more than 1 MB" in caught.value.user_message


def test_an_answer_within_the_limit_is_read(monkeypatch):
    monkeypatch.setattr(client_module, "RESPONSE_LIMIT", 1024 * 1024)
    for server in serving(Recorder(200, {}, a_list_of(1024 * 1024))):
        assert len(client_at(server.url).list_characters()) == 0
