"""Downloads: the session list as CSV, a session as JSON or as a Markdown script, the backlog's
flags as CSV and its rewrites as chat examples (JSONL), and a line as a bug report to paste.

Each checks the user's access first, so anything else is a 404. Each takes the filters of the
page it belongs to from the same query string, so an export link is that page's own query
string on the export's URL. Lists stream, whatever their length; review.exports builds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.http import HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from convai_dashboard.accounts.roles import Action
from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Line
from convai_dashboard.pages.access import held_character, held_session, needs
from convai_dashboard.pages.backlog import backlog_filters
from convai_dashboard.pages.htmx import HtmxHttpRequest
from convai_dashboard.pages.links import url_maker
from convai_dashboard.pages.sessions import filtered_sessions
from convai_dashboard.review.exports import bug_report as line_report
from convai_dashboard.review.exports import chat_examples, csv_rows, session

CSV = "text/csv; charset=utf-8"
JSONL = "application/x-ndjson; charset=utf-8"
MARKDOWN = "text/markdown; charset=utf-8"


class SessionLinks:
    """Absolute URLs of sessions (review.exports.SessionLink), each character's reversed once
    (pages.links)."""

    def __init__(self, request: HtmxHttpRequest):
        # The scheme and host of every link; reverse() gives the rest, script prefix included.
        self.origin = request.build_absolute_uri("/").removesuffix("/")
        self.paths: dict[str, Callable[[Any], str]] = {}

    def __call__(self, character_id: str, session_id: str) -> str:
        if character_id not in self.paths:
            self.paths[character_id] = url_maker("session", character_id)
        return self.origin + self.paths[character_id](session_id)


def _name(character: ConvaiCharacter | None) -> str:
    """The start of a file name: the character's name, as far as it goes in ASCII."""
    if character is None:
        return "all-characters"
    return slugify(character.display_name) or slugify(character.character_id) or "character"


def _today() -> str:
    return timezone.now().date().isoformat()


def _disposition(filename: str, kind: str = "attachment") -> str:
    # File names are made of slugs: ASCII, with nothing to quote.
    return f'{kind}; filename="{filename}"'


def _download(content: Iterator[str], filename: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = _disposition(filename)
    return response


def _bad_filters(form: forms.Form) -> HttpResponse:
    return HttpResponse(
        "These filters are not valid, so nothing was exported:\n" + form.errors.as_text(),
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _session_file(chat: ChatSession, extension: str) -> str:
    return f"{_name(chat.character)}-session-{slugify(chat.session_id) or chat.pk}.{extension}"


@needs(Action.READ)
@require_GET
def sessions_csv(request: HtmxHttpRequest, character_id: str) -> HttpResponseBase:
    character = held_character(request, character_id)
    form, sessions, _ = filtered_sessions(request, character)
    if form.errors:
        return _bad_filters(form)
    # The whole list in the page's sort; the page's position (after, before, last) is ignored.
    rows = csv_rows.sessions_csv(
        character, sessions, form.cleaned_data["sort"], SessionLinks(request)
    )
    return _download(rows, f"{_name(character)}-sessions-{_today()}.csv", CSV)


@needs(Action.READ)
@require_GET
def session_json(request: HtmxHttpRequest, character_id: str, session_id: str) -> HttpResponse:
    chat = held_session(request, character_id, session_id)
    response = JsonResponse(
        session.session_document(chat, SessionLinks(request)),
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    response["Content-Disposition"] = _disposition(_session_file(chat, "json"))
    return response


@needs(Action.READ)
@require_GET
def session_markdown(request: HtmxHttpRequest, character_id: str, session_id: str) -> HttpResponse:
    chat = held_session(request, character_id, session_id)
    response = HttpResponse(
        session.session_script(chat, SessionLinks(request)), content_type=MARKDOWN
    )
    response["Content-Disposition"] = _disposition(_session_file(chat, "md"))
    return response


@needs(Action.READ)
@require_GET
def flags_csv(request: HtmxHttpRequest, character_id: str | None = None) -> HttpResponseBase:
    character, form, flags = backlog_filters(request, character_id)
    if form.errors:
        return _bad_filters(form)
    rows = csv_rows.flags_csv(flags, form.cleaned_data["sort"], SessionLinks(request))
    return _download(rows, f"{_name(character)}-flags-{_today()}.csv", CSV)


@needs(Action.READ)
@require_GET
def rewrites_jsonl(request: HtmxHttpRequest, character_id: str | None = None) -> HttpResponseBase:
    character, form, flags = backlog_filters(request, character_id)
    if form.errors:
        return _bad_filters(form)
    examples = chat_examples.rewrite_examples(flags, form.cleaned_data["sort"])
    return _download(examples, f"{_name(character)}-rewrites-{_today()}.jsonl", JSONL)


@needs(Action.READ)
@require_GET
def bug_report(
    request: HtmxHttpRequest, character_id: str, session_id: str, line_id: int
) -> HttpResponse:
    character = held_character(request, character_id)
    line = get_object_or_404(
        Line.objects.select_related("interaction", "session", "character"),
        pk=line_id,
        character=character,
        session__session_id=session_id,
    )
    # Inline, not an attachment: the transcript's script fetches it to copy to the clipboard.
    response = HttpResponse(
        line_report.bug_report(line, SessionLinks(request)), content_type=MARKDOWN
    )
    response["Content-Disposition"] = _disposition(
        f"{_name(character)}-line-{line.pk}.md", "inline"
    )
    return response
