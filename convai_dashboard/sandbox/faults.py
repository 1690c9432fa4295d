"""Canned failures, so clients can be tested against everything a real network and API give."""

from __future__ import annotations

import uuid

from convai_dashboard.sandbox.responses import Response, html_response, json_response

FAULT_MODES = (
    "invalid_key",
    "error_200",
    "slow",
    "error_500_html",
    "error_503_html",
    "ratelimit",
    "ratelimit_no_header",
    "garbage",
    "wrong_shape",
    "detail_error",
    "disconnect",
)
# Modes the server acts out itself rather than answering with a canned response.
SLOW = "slow"
DISCONNECT = "disconnect"

RATE_LIMITED = {"ERROR": "API rate limit exceeded. Please try again later."}

_HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{code} {reason}</title></head>\n"
    "<body><h1>{code} {reason}</h1><p>The server encountered a temporary error.</p>"
    "<hr><center>nginx</center></body></html>\n"
)

# Shapes that parse as JSON but not as what each endpoint promises.
_WRONG_SHAPES: dict[str, object] = {
    "/character/chatHistory/list": {"sessions": "nope"},
    "/character/chatHistory/details": ["not", "an", "interaction"],
    "/character/get": ["character_name"],
    "/character/list": {"characters": "nope"},
}


def fault_response(mode: str, path: str) -> Response:
    """The canned answer of a fault mode other than SLOW and DISCONNECT."""
    if mode == "invalid_key":
        return json_response(401, {"ERROR": "Invalid API key provided."})
    if mode == "error_200":
        return json_response(
            200, {"ERROR": "Something went wrong on our side.", "Reference ID": uuid.uuid4().hex}
        )
    if mode == "error_500_html":
        return html_response(500, _HTML_PAGE.format(code=500, reason="Internal Server Error"))
    if mode == "error_503_html":
        return html_response(
            503, _HTML_PAGE.format(code=503, reason="Service Temporarily Unavailable")
        )
    if mode == "ratelimit":
        return json_response(429, RATE_LIMITED, (("Retry-After", "1"),))
    if mode == "ratelimit_no_header":
        return json_response(429, RATE_LIMITED)
    if mode == "garbage":
        # Labelled JSON but not JSON: a proxy's page, or an answer cut off mid-stream.
        body = (
            '[{"sessionID": "c1234567890ab'
            if "chatHistory" in path
            else "<html>upstream gateway</html>"
        )
        return Response(200, body.encode())
    if mode == "wrong_shape":
        return json_response(200, _WRONG_SHAPES.get(path, {"sessions": "nope"}))
    if mode == "detail_error":
        return json_response(400, {"detail": "Bad request: something is off."})
    raise ValueError(f"no canned response for fault mode {mode!r}")
