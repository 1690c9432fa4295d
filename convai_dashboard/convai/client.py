"""HTTP to Convai: one requests.Session per client, timeouts, polite retries, typed errors."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from convai_dashboard.convai import parse
from convai_dashboard.convai.errors import (
    CharacterNotAccessible,
    ConvaiTimeout,
    ConvaiUnavailable,
    InvalidApiKey,
    RateLimited,
    RequestRejected,
    UnexpectedResponse,
)
from convai_dashboard.convai.records import CharacterInfo, Entries, Interaction, SessionSummary

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Convai's own words are shown to users and kept on the character: this much of them.
MESSAGE_LIMIT = 300
# The largest honest answer is a whole session list, about 150 bytes a session: 15 MB for
# 100,000. A longer one, or one that unpacks to more, is refused before it fills the memory of
# the server (or of the worker) that asked.
RESPONSE_LIMIT = 64 * 1024 * 1024


class _PoliteRetry(Retry):
    """urllib3's Retry (backoff, Retry-After), except that it will not sleep longer than
    `max_retry_after` for one Retry-After: past that the 429 is handed back, so a page request
    tells the user when to try again instead of hanging."""

    max_retry_after: float = 10.0

    def new(self, **kwargs: Any) -> _PoliteRetry:
        retry = super().new(**kwargs)
        retry.max_retry_after = self.max_retry_after
        return retry

    def increment(
        self,
        method=None,
        url=None,
        response=None,
        error=None,
        _pool=None,
        _stacktrace=None,
    ):  # type: ignore[no-untyped-def]
        if response is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_retry_after:
                raise MaxRetryError(_pool, url or "", None)  # type: ignore[arg-type]
        return super().increment(method, url, response, error, _pool, _stacktrace)


class ConvaiClient:
    """A client for one API key. The character and chat-history calls of the contract."""

    # No defaults: every value comes from settings (convai.configured), where each is
    # documented, so there is one place that says what they are.
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str,
        connect_timeout: float,
        read_timeout: float,
        retries: int,
        backoff_factor: float,
        max_retry_after: float,
        proxy: str,
        pool_size: int = 10,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        retry = _PoliteRetry(
            total=retries,
            connect=retries,
            # A read timeout is not retried (False re-raises it as it is): a slow Convai would
            # multiply the user's wait.
            read=False,
            status=retries,
            # These POSTs only read, so repeating them is safe.
            allowed_methods=frozenset({"POST"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff_factor,
            backoff_max=8,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        retry.max_retry_after = max_retry_after
        adapter = HTTPAdapter(max_retries=retry, pool_connections=1, pool_maxsize=pool_size)
        self.http = requests.Session()
        # Nothing from the process environment decides where the key goes: no HTTP(S)_PROXY,
        # NO_PROXY, ~/.netrc or REQUESTS_CA_BUNDLE. A stray proxy variable (set for pip, say)
        # would otherwise route every key through that proxy. A proxy is named explicitly.
        self.http.trust_env = False
        if proxy:
            self.http.proxies = {"http": proxy, "https": proxy}
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.http.headers.update({"CONVAI-API-KEY": api_key, "Content-Type": "application/json"})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ConvaiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the contract ---------------------------------------------------------------------

    def list_sessions(self, character_id: str, limit: int | None = None) -> Entries[SessionSummary]:
        # The API wants limit as a string; "-1" means every session.
        body = {
            "charID": character_id,
            "limit": str(limit if limit is not None else -1),
        }
        return self._call("/character/chatHistory/list", body, parse.session_list, character_id)

    def get_transcript(self, character_id: str, session_id: str) -> list[Interaction]:
        body = {"charID": character_id, "sessionID": session_id}
        return self._call("/character/chatHistory/details", body, parse.transcript, character_id)

    def get_character(self, character_id: str) -> CharacterInfo:
        return self._call(
            "/character/get",
            {"charID": character_id},
            lambda payload: parse.character(payload, character_id),
            character_id,
        )

    def list_characters(self) -> Entries[CharacterInfo]:
        return self._call("/character/list", None, parse.character_list, None)

    # --- HTTP and errors ------------------------------------------------------------------

    def _call(
        self,
        path: str,
        body: dict[str, str] | None,
        parser: Callable[[Any], T],
        character_id: str | None,
    ) -> T:
        url = self.base_url + path
        try:
            # Never redirected: requests would resend the CONVAI-API-KEY header to wherever a
            # 302, 307 or 308 points, another host included.
            response = self.http.post(
                url, json=body, timeout=self.timeout, allow_redirects=False, stream=True
            )
            content = _read_within_limit(response)
        except requests.exceptions.ConnectTimeout:
            raise ConvaiTimeout(
                f"Convai ({self.base_url}) did not accept a connection within "
                f"{self.timeout[0]:g} seconds."
            ) from None
        except requests.exceptions.ReadTimeout:
            raise ConvaiTimeout(
                f"Convai ({self.base_url}) did not answer within {self.timeout[1]:g} seconds."
            ) from None
        except requests.exceptions.RequestException as error:
            raise ConvaiUnavailable(
                f"Convai ({self.base_url}) could not be reached ({_reason(error)})."
            ) from None
        if 300 <= response.status_code < 400:
            location = _printable(response.headers.get("Location", ""), 200) or "no location"
            raise UnexpectedResponse(
                f"Convai ({self.base_url}) answered HTTP {response.status_code}, a redirect to "
                f"{location}. Redirects are not followed, so the API key was not sent there. "
                "Check CONVAI_API_URL and CONVAI_PROXY.",
                status=response.status_code,
            )
        payload = _json_or_none(content)
        _raise_for_error(response, payload, character_id)
        if payload is None:
            raise UnexpectedResponse(
                f"Convai answered HTTP {response.status_code} with a body that is not JSON "
                f"({_preview(response, content)})."
            )
        return parser(payload)


def _read_within_limit(response: requests.Response) -> bytes:
    """The body, unpacked, or UnexpectedResponse once it grows past RESPONSE_LIMIT."""
    content = bytearray()
    with response:
        for chunk in response.iter_content(chunk_size=1 << 16):
            content += chunk
            if len(content) > RESPONSE_LIMIT:
                raise UnexpectedResponse(
                    f"Convai answered HTTP {response.status_code} with more than "
                    f"{RESPONSE_LIMIT // (1024 * 1024)} MB, more than any history it sends; "
                    "the answer was not read further.",
                    status=response.status_code,
                )
    return bytes(content)


def _reason(error: requests.exceptions.RequestException) -> str:
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    return type(error).__name__


def _printable(text: str, limit: int) -> str:
    """Text from the other side of the wire, made safe to show and to store: control
    characters (NUL included, which PostgreSQL refuses) become spaces, runs of spaces one, and
    it is cut to `limit` characters."""
    flat = " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None


def _preview(response: requests.Response, content: bytes) -> str:
    kind = _printable(response.headers.get("Content-Type", "no content type").split(";")[0], 80)
    snippet = _printable(content[:80].decode("utf-8", "replace"), 80)
    return f"{kind}: {snippet!r}" if snippet else kind


def _convai_message(payload: Any) -> str:
    if isinstance(payload, dict):
        for key in ("ERROR", "error", "detail", "message"):
            value = payload.get(key)
            if isinstance(value, str) and value.strip():
                reference = payload.get("Reference ID")
                said = f"{value} (Reference ID {reference})" if reference else value
                return _printable(said, MESSAGE_LIMIT)
            if value:
                return _printable(json.dumps(value), MESSAGE_LIMIT)
    return ""


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def _raise_for_error(response: requests.Response, payload: Any, character_id: str | None) -> None:
    """Convai signals errors by status, by an ERROR object under a 2xx, or both."""
    status = response.status_code
    is_error_object = isinstance(payload, dict) and ("ERROR" in payload or "detail" in payload)
    if 200 <= status < 300 and not is_error_object:
        return
    said = _convai_message(payload)
    if status == 401 or "api key" in said.lower():
        raise InvalidApiKey("Convai refused the API key.", convai_message=said, status=status)
    if status == 429 or "rate limit" in said.lower():
        raise RateLimited(
            "Convai is limiting how often this key may call it.",
            retry_after=_retry_after(response),
            convai_message=said,
            status=status,
        )
    if status >= 500:
        raise ConvaiUnavailable(
            f"Convai is having trouble (HTTP {status}).", convai_message=said, status=status
        )
    # A character on another account comes back as 403; one that does not exist as an ERROR
    # object under 400.
    has_error_key = isinstance(payload, dict) and "ERROR" in payload
    if character_id is not None and (status == 403 or (status in (400, 404) and has_error_key)):
        raise CharacterNotAccessible(
            f"Convai would not give access to character {character_id} with this key.",
            convai_message=said,
            status=status,
        )
    raise RequestRejected(
        f"Convai answered with an error (HTTP {status}).",
        convai_message=said,
        status=status,
    )
