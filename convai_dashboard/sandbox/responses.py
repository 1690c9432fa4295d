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
    # Compact and not ASCII-escaped, as FastAPI (behind Convai's API) encodes it.
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, JSON_TYPE, headers)


def html_response(status: int, html: str) -> Response:
    return Response(status, html.encode(), HTML_TYPE)
