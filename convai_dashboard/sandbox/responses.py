"""Ready-to-send HTTP responses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    # Compact and not ASCII-escaped, as FastAPI (behind Convai's API) encodes it. A lone
    # surrogate (hostile.py serves some) cannot be encoded in UTF-8: it goes out as the JSON
    # escape "\ud800", which is valid JSON.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    body = text.encode("utf-8", errors="backslashreplace")
    return Response(status, body, JSON_TYPE, headers)


def html_response(status: int, html: str) -> Response:
    return Response(status, html.encode(), HTML_TYPE)
