from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from convai_dashboard.accounts.models import Character
from convai_dashboard.convai import ConvaiError
from convai_dashboard.history import fetch, listing, sync, tasks
from convai_dashboard.history.forms import SessionListForm
from convai_dashboard.history.models import ChatSession, SyncRun
from convai_dashboard.history.text import Term, parse_query
from convai_dashboard.http import HtmxHttpRequest

TEMPLATE = "history/character.html"
LIST_FIELDS = (
    "session_id",
    "started_at",
    "in_memory",
    "interaction_count",
    "on_convai",
    "transcript_fetched_at",
)


def _owned_character(request: HtmxHttpRequest, character_id: str) -> Character:
    # URLs name characters by Convai's ID, so a link means the same view to every user who has
    # that character; each reads their own copy, and anyone else gets a 404.
    return get_object_or_404(
        Character.objects.for_user(request.user).select_related("api_key"),
        character_id=character_id,
    )


def _fill_on_first_visit(character: Character) -> str | None:
    """On the first visit to a character, fetches its session list so the page is not empty;
    returns why that failed, if it did."""
    if character.sessions_refreshed_at is not None:
        return None
    try:
        fetch.refresh_sessions(character)
    except ConvaiError as error:
        return error.user_message
    return None


def _list_context(
    request: HtmxHttpRequest, character: Character, list_error: str | None = None
) -> dict[str, Any]:
    """The session list as the query string asks for it; `query_error` says what was wrong
    with the query string, if anything (the page then shows the plain list)."""
    form = SessionListForm(request.GET)
    valid = form.is_valid()
    data: dict[str, Any] = (
        form.cleaned_data if valid else {"sort": "newest", "after": None, "before": None}
    )
    sessions = character.sessions.all()
    if valid:
        sessions = form.apply(sessions)
    page = listing.page_of(
        sessions.only(*LIST_FIELDS),
        data["sort"],
        after=data["after"],
        before=data["before"],
        last=bool(data.get("last")),
        size=settings.SESSIONS_PER_PAGE,
    )
    filtered = valid and form.is_filtered
    on_list_page = request.resolver_match is not None and request.resolver_match.url_name in (
        "character",
        "session",
    )
    return {
        # Where the filters and pager lead: this page, or the list if this is an action.
        "list_path": request.path
        if on_list_page
        else reverse("character", args=[character.character_id]),
        "character": character,
        "filters": form,
        "page": page,
        "sort": data["sort"],
        "filtered": filtered,
        # Counting the matches is the one scan a filtered list costs; the total is kept.
        "matched": sessions.count() if filtered else character.session_count,
        "pager": _pager_links(request, page) if valid else {},
        # Opening a session keeps the list as it is: the same filters and position.
        "list_query": request.GET.urlencode() if valid else "",
        "list_error": list_error,
        "query_error": None
        if valid
        else "Some of the filters are not valid; showing all sessions.",
        "sync_run": _latest_run(character),
    }


def _pager_links(request: HtmxHttpRequest, page: listing.SessionPage) -> dict[str, str]:
    """Query strings of the first, newer, older and last pages, keeping the filters."""

    def link(**position: str) -> str:
        query = request.GET.copy()
        for name in ("after", "before", "last"):
            query.pop(name, None)
        query.update(position)
        return "?" + query.urlencode()

    links = {}
    if not page.is_first:
        links["first"] = link()
        if page.newer:
            links["newer"] = link(before=page.newer)
    if not page.is_last:
        if page.older:
            links["older"] = link(after=page.older)
        links["last"] = link(last="1")
    return links


def _is_fragment_request(request: HtmxHttpRequest) -> bool:
    # A history-restore request also carries HX-Request, but wants the whole page.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    if _is_fragment_request(request):
        partial = "transcript" if request.htmx.target == "transcript" else "session-list"
        context["update_list_row"] = partial == "transcript"
        return render(request, f"{TEMPLATE}#{partial}", context, status=status)
    return render(request, TEMPLATE, context, status=status)


@require_GET
@vary_on_headers("HX-Request")
def character(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = _owned_character(request, character_id)
    context = _list_context(request, character, _fill_on_first_visit(character))
    return _render(request, context, status=400 if context["query_error"] else 200)


@require_GET
@vary_on_headers("HX-Request")
def session(request: HtmxHttpRequest, character_id: str, session_id: str) -> HttpResponse:
    character = _owned_character(request, character_id)
    context = _list_context(request, character, _fill_on_first_visit(character))
    chat = get_object_or_404(character.sessions, session_id=session_id)
    context.update(_transcript_context(chat, terms=parse_query(request.GET.get("q", ""))))
    return _render(request, context, status=400 if context["query_error"] else 200)


def _transcript_context(
    chat: ChatSession, refetch: bool = False, terms: list[Term] | None = None
) -> dict[str, Any]:
    error = None
    if refetch or chat.transcript_fetched_at is None:
        try:
            fetch.fetch_transcript(chat)
        except ConvaiError as convai_error:
            error = convai_error.user_message
    interactions = chat.interactions.prefetch_related("lines")
    return {
        "session": chat,
        "interactions": interactions,
        "transcript_error": error,
        # Words a search came for, marked in the transcript.
        "terms": terms or [],
    }


@require_POST
def refresh(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = _owned_character(request, character_id)
    try:
        result = fetch.refresh_sessions(character)
    except ConvaiError as error:
        notice, failed = error.user_message, True
    else:
        notice, failed = _describe_refresh(result), False
    if _is_fragment_request(request):
        context = _list_context(request, character)
        context["list_error" if failed else "list_notice"] = notice
        return render(request, f"{TEMPLATE}#session-list", context)
    (messages.error if failed else messages.success)(request, notice)
    return redirect("character", character_id=character.character_id)


def _describe_refresh(result: fetch.RefreshResult) -> str:
    parts = [f"Convai lists {result.listed} session(s)", f"{result.new} new"]
    if result.gone:
        parts.append(f"{result.gone} no longer on Convai (kept here)")
    return "Refreshed: " + ", ".join(parts) + "."


@require_POST
def refetch_transcript(
    request: HtmxHttpRequest, character_id: str, session_id: str
) -> HttpResponse:
    character = _owned_character(request, character_id)
    chat = get_object_or_404(character.sessions, session_id=session_id)
    if _is_fragment_request(request):
        context = {
            "character": character,
            "update_list_row": True,
            **_transcript_context(chat, refetch=True),
        }
        return render(request, f"{TEMPLATE}#transcript", context)
    context = _transcript_context(chat, refetch=True)
    if context["transcript_error"] is None:
        return redirect("session", character_id=character.character_id, session_id=chat.session_id)
    return _render(request, {**_list_context(request, character), **context})


def _latest_run(character: Character) -> SyncRun | None:
    run = character.sync_runs.first()
    # Pages only read, unless the run they show was killed: then they say so.
    if run is not None and sync.is_stale(run):
        sync.expire_stale_runs(character)
        run.refresh_from_db()
    return run


def _sync_status(request: HtmxHttpRequest, character: Character) -> HttpResponse:
    run = _latest_run(character)
    response = render(request, f"{TEMPLATE}#sync-status", {"character": character, "sync_run": run})
    if run is not None and not run.is_active and request.htmx.trigger == "sync-status":
        # The poll that sees the run end tells the list to show what the sync stored.
        response["HX-Trigger"] = "sync-finished"
    return response


@require_POST
def sync_start(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = _owned_character(request, character_id)
    if character.api_key is None:
        messages.error(request, "This character has no API key; add it again under a key.")
        return redirect("character", character_id=character.character_id)
    _, created = tasks.start_sync(character, request.user)
    if _is_fragment_request(request):
        return _sync_status(request, character)
    if created:
        messages.info(request, "Sync queued: every transcript will be fetched in the background.")
    else:
        messages.info(request, "A sync of this character is already under way.")
    return redirect("character", character_id=character.character_id)


@require_GET
@vary_on_headers("HX-Request")
def sync_status(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = _owned_character(request, character_id)
    if _is_fragment_request(request):
        return _sync_status(request, character)
    # Without htmx the status is read on the character page.
    return redirect("character", character_id=character.character_id)


@require_POST
def sync_cancel(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = _owned_character(request, character_id)
    run = get_object_or_404(character.sync_runs.active())
    sync.request_cancel(run)
    if _is_fragment_request(request):
        return _sync_status(request, character)
    messages.info(request, "Cancelling the sync; what it stored so far is kept.")
    return redirect("character", character_id=character.character_id)
