"""A character's page: its session list (filters, sort, keyset pages) and, beside it, the open
session's transcript; refreshing the list and fetching a transcript again."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from convai_dashboard.accounts.roles import Action
from convai_dashboard.cached import kept
from convai_dashboard.history import fetch, listing
from convai_dashboard.history.models import (
    ChatSession,
    ConvaiCharacter,
    Interaction,
    ReviewStatus,
    session_of,
)
from convai_dashboard.history.text import Term, parse_query
from convai_dashboard.pages.access import held_character, needs
from convai_dashboard.pages.htmx import HtmxHttpRequest, render_page, wants_fragment
from convai_dashboard.pages.list_forms import SessionListForm
from convai_dashboard.pages.sync import latest_run
from convai_dashboard.pages.templatetags.page_rows import TranscriptLines
from convai_dashboard.review import actions, queries
from convai_dashboard.review.models import Tag, TagColour, tags_of

TEMPLATE = "history/character.html"
# A link to another session: where it leads, and whether the list already shows that session.
Link = dict[str, Any]
LIST_FIELDS = (
    "session_id",
    "review_status",
    "started_at",
    "in_memory",
    "interaction_count",
    "on_convai",
    "transcript_fetched_at",
    "last_interaction_at",
    "has_trigger",
    "has_other_speaker",
    "has_refusal",
    "first_player_line",
)


class Filtered(NamedTuple):
    form: SessionListForm
    sessions: QuerySet[ChatSession]  # all of them when the query string is not valid
    # How many of them there are, when that is known without counting (a tag alone).
    known_count: int | None


def filtered_sessions(request: HtmxHttpRequest, character: ConvaiCharacter) -> Filtered:
    """The list's form, and the sessions its filters let through (the form says what was wrong
    with the query string, if anything)."""
    form = SessionListForm(request.GET, tags=partial(tags_of, character))
    if not form.is_valid():
        return Filtered(form, character.sessions.all(), None)
    sessions: QuerySet[ChatSession] = character.sessions.matching(form.cleaned_data)
    tag = form.cleaned_data.get("tag")
    if tag is None:
        return Filtered(form, sessions, None)
    # Counted through the tag's own index; it is also the match count when the tag is the
    # only filter.
    on = tag.links.count()
    sessions = queries.tagged(sessions, tag, on=on, of=character.session_count)
    return Filtered(form, sessions, on if form.filters_set() == {"tag"} else None)


def list_position(request: HtmxHttpRequest, character: ConvaiCharacter) -> dict[str, Any]:
    """The list as the query string asks for it, as far as an open transcript needs it: the
    page's rows, the sort and the query that keeps them (its moves lead along the list)."""
    form, sessions, known_count = filtered_sessions(request, character)
    valid = form.is_bound and not form.errors
    data: dict[str, Any] = (
        form.cleaned_data if valid else {"sort": listing.Sort.NEWEST, "after": None, "before": None}
    )
    page = _page(character, sessions, data, form.filters_set() if valid else set())
    return {
        "character": character,
        "filters": form,
        "page": page,
        "sort": data["sort"],
        "filtered": valid and form.is_filtered,
        # Opening a session keeps the list as it is: the same filters and position.
        "list_query": request.GET.urlencode() if valid else "",
        "query_error": None
        if valid
        else "Some of the filters are not valid; showing all sessions.",
        "_sessions": sessions,
        "_known_count": known_count,
    }


def _page(
    character: ConvaiCharacter,
    sessions: QuerySet[ChatSession],
    data: dict[str, Any],
    filters: set[str],
) -> listing.SessionPage:
    """The page of the list the form's `data` asks for, from the cache kept
    under the character's stored_version and review_version, which every write to what a row
    shows counts up (the store, and a review status): what reading and building its rows costs
    is in docs/performance.md, "Caches". A tag's sessions change with no version, so a list filtered
    by tag is always read."""
    position = (data["sort"], data["after"], data["before"], bool(data.get("last")))
    sort, after, before, last = position

    def read() -> listing.SessionPage:
        return listing.page_of(
            sessions.only(*LIST_FIELDS),
            sort,
            after=after,
            before=before,
            last=last,
            size=settings.SESSIONS_PER_PAGE,
        )

    if "tag" in filters:
        return read()
    return kept(
        "list-page",
        read,
        characters=[character],
        reader=None,
        reads=(
            position,
            sorted((name, data[name]) for name in filters),
            settings.SESSIONS_PER_PAGE,
        ),
    )


def list_context(
    request: HtmxHttpRequest, character: ConvaiCharacter, list_error: str | None = None
) -> dict[str, Any]:
    """The session list as the query string asks for it; `query_error` says what was wrong
    with the query string, if anything (the page then shows the plain list)."""
    context = list_position(request, character)
    form, page, sessions = context["filters"], context["page"], context["_sessions"]
    valid = context["query_error"] is None
    known_count = context.pop("_known_count")
    on_list_page = request.resolver_match is not None and request.resolver_match.url_name in (
        "character",
        "session",
    )
    context.update(
        {
            # Never fetched, and no failure to show instead: the list shows itself fetching,
            # and fetches in a request of its own (history/_fetching_list.html).
            "list_pending": character.sessions_refreshed_at is None and list_error is None,
            # Where the filters and pager lead: this page, or the list if this is an action.
            "list_path": request.path
            if on_list_page
            else reverse("character", args=[character.character_id]),
            # The character's tags, read once here: the filters and the bulk tagging show them.
            "tags": list(form.tags.values()),
            "marks": queries.row_marks(
                [row.pk for row in page.sessions], form.tags.values(), request.user
            ),
            # Counting the matches is the one scan a filtered list costs, each time: a cache of
            # the count saved under 1 ms (docs/performance.md, "Caches"). The total of an
            # unfiltered list is the character's.
            "matched": (known_count if known_count is not None else sessions.count())
            if context["filtered"]
            else character.session_count,
            "pager": _pager_links(request, page) if valid else {},
            # The query without a position: exports and bulk actions cover every match.
            "filter_query": _without_position(request.GET.copy()) if valid else "",
            "list_error": list_error,
            "sync_run": latest_run(character),
        }
    )
    return context


def _without_position(query: QueryDict) -> str:
    for name in ("after", "before", "last"):
        query.pop(name, None)
    return query.urlencode()


def _pager_links(request: HtmxHttpRequest, page: listing.SessionPage) -> dict[str, str]:
    """Query strings of the first, newer, older and last pages, keeping the filters."""

    def link(**position: str) -> str:
        query = QueryDict(_without_position(request.GET.copy()), mutable=True)
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


# What each htmx target on the page gets: a click on a session asks for the transcript, moving
# to a session on another page of the list for both, and everything else for the list.
PARTIALS = {"transcript": "transcript", "session-browser": "browser"}


def _partial(request: HtmxHttpRequest) -> str:
    return PARTIALS.get(request.htmx.target or "", "session-list")


def _render(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    partial = _partial(request)
    context["update_list_row"] = wants_fragment(request) and partial == "transcript"
    return render_page(request, TEMPLATE, context, partial=partial, status=status)


@needs(Action.READ)
@require_GET
@vary_on_headers("HX-Request")
def character_page(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = held_character(request, character_id)
    context = list_context(request, character)
    return _render(request, context, status=400 if context["query_error"] else 200)


@needs(Action.READ)
@require_GET
@vary_on_headers("HX-Request")
def session_page(request: HtmxHttpRequest, character_id: str, session_id: str) -> HttpResponse:
    character = held_character(request, character_id)
    chat = session_of(character, session_id)
    # A click in the list asks for the transcript alone: the list stays as it is on the page,
    # and only its position is read, for the transcript's moves along it.
    transcript_only = (
        chat is not None and wants_fragment(request) and _partial(request) == "transcript"
    )
    context = (list_position if transcript_only else list_context)(request, character)
    if chat is None:
        if not context["list_pending"]:
            raise Http404("No such session.")
        # A link into a history whose list was never fetched: the list is fetched first, and
        # then this page is shown again (the fetch comes back to `next`).
        context["awaiting_session"] = True
        return _render(request, context)
    terms = parse_query(request.GET.get("q", ""))
    context.update(
        transcript_context(
            request, chat, context["list_query"], terms=terms, all_tags=context.get("tags")
        )
    )
    context.update(_moves(context, chat))
    return _render(request, context, status=400 if context["query_error"] else 200)


def transcript_context(
    request: HtmxHttpRequest,
    chat: ChatSession,
    list_query: str,
    error: str | None = None,
    terms: list[Term] | None = None,
    all_tags: list[Tag] | None = None,
) -> dict[str, Any]:
    actions.mark_read(request.user, chat)
    return {
        "session": chat,
        "transcript_error": error,
        # Not stored yet: the pane shows itself fetching, and fetches in a request of its own
        # (history/_fetching_transcript.html).
        "transcript_pending": chat.transcript_fetched_at is None and error is None,
        # Its lines are read only when they are not cached.
        "transcript": TranscriptLines(
            chat, terms or [], list_query, partial(_with_continuity, chat)
        ),
        "back_to_results": _results_link(request),
        "review": queries.transcript_review(chat, all_tags, request.user),
        "statuses": ReviewStatus,
        "colours": TagColour,
        # Words a search came for, marked in the transcript.
        "terms": terms or [],
    }


Beside = tuple[ChatSession | None, ChatSession | None]


def _moves_on_page(
    page: listing.SessionPage, chat: ChatSession
) -> tuple[Beside | None, ChatSession | None]:
    """The sessions before and after `chat`, and the next unreviewed one, as far as the page
    of the list shown tells them (its rows are the list's, in its order); None for what it
    cannot tell. A session clicked in the list costs no query for its moves; one opened from a
    link, or at a page's edge, does."""
    rows = page.sessions
    at = next((n for n, row in enumerate(rows) if row.pk == chat.pk), None)
    if at is None:
        return None, None
    beyond_the_page = (at == 0 and not page.is_first) or (at + 1 == len(rows) and not page.is_last)
    beside = (
        None
        if beyond_the_page
        else (rows[at - 1] if at > 0 else None, rows[at + 1] if at + 1 < len(rows) else None)
    )
    unreviewed = next(
        (row for row in rows[at + 1 :] if row.review_status == ReviewStatus.UNREVIEWED), None
    )
    return beside, unreviewed


def _moves(context: dict[str, Any], chat: ChatSession) -> dict[str, Link | None]:
    """Links to the previous and next sessions of the list, as filtered and sorted, and to
    the next unreviewed one. Each keeps the list's query; one that leads off the page shown
    also moves the list, so the list, the open session and the URL stay in step."""
    sort, page = context["sort"], context["page"]
    # A move needs of a session only what its link and cursor name, and whether it is reviewed.
    sessions = context["_sessions"].only("session_id", "review_status", sort.field)
    shown = {row.pk for row in page.sessions}
    beside, unreviewed = _moves_on_page(page, chat)
    previous, following = beside or listing.neighbours(sessions, sort, chat)
    # The next session is also the next unreviewed one, as it is through a backlog: the link is
    # the same as "next", without the two queries that would find it and the page it starts.
    unreviewed_is_next = (
        unreviewed is None
        and following is not None
        and following.review_status == ReviewStatus.UNREVIEWED
    )
    if unreviewed_is_next:
        unreviewed = following
    elif unreviewed is None:
        unreviewed = listing.first_after(
            sessions.filter(review_status=ReviewStatus.UNREVIEWED).exclude(pk=chat.pk), sort, chat
        )

    def move(to: ChatSession | None, position: Callable[[], dict[str, str]]) -> Link | None:
        if to is None:
            return None
        query = QueryDict(context["list_query"], mutable=True)
        on_page = to.pk in shown
        if not on_page:
            query = QueryDict(_without_position(query), mutable=True)
            query.update(position())
        url = reverse("session", args=[chat.character.character_id, to.session_id])
        return {"href": f"{url}?{query.urlencode()}", "on_page": on_page}

    def starting_at(session: ChatSession | None) -> dict[str, str]:
        # The page whose first row is `session`: the one after the row before it.
        assert session is not None  # move() asks only for a session it leads to
        before_it = listing.just_before(sessions, sort, session)
        return {"after": listing.encode_cursor(before_it, sort)} if before_it else {}

    cursor = listing.encode_cursor(chat, sort)
    to_next = move(following, lambda: {"after": cursor})
    return {
        "previous": move(previous, lambda: {"before": cursor}),
        "next": to_next,
        "next_unreviewed": to_next
        if unreviewed_is_next
        else move(unreviewed, lambda: starting_at(unreviewed)),
    }


def _stored_since(character: ConvaiCharacter) -> None:
    """The character's stored_version after this request stored something: the store counts
    it up in the database, and the list shown next is cached under it."""
    character.refresh_from_db(fields=["stored_version"])


def _lost_access(request: HtmxHttpRequest, outcome: fetch.Outcome) -> HttpResponse:
    messages.error(
        request,
        f"Convai no longer accepts your key for this character; your access is suspended. "
        f"{outcome.message if not outcome.ok else ''}".strip(),
    )
    if wants_fragment(request):
        return HttpResponseClientRedirect(reverse("home"))
    return redirect("home")


def _next_page(request: HtmxHttpRequest) -> str | None:
    """Where a fetch was asked to lead back to, if that is a page of this site."""
    then = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        then, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return then if then and safe else None


@needs(Action.READ)
@require_POST
def refresh(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = held_character(request, character_id)
    outcome = fetch.refresh_list(character, request.user)
    if outcome.lost_access:
        return _lost_access(request, outcome)
    _stored_since(character)
    then = _next_page(request) if outcome.ok else None
    if wants_fragment(request) and then is None:
        context = list_context(request, character, None if outcome.ok else outcome.message)
        if outcome.ok:
            context["list_notice"] = outcome.message
        return render(request, f"{TEMPLATE}#session-list", context)
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
    if then is not None:
        return HttpResponseClientRedirect(then) if wants_fragment(request) else redirect(then)
    return redirect("character", character_id=character.character_id)


@needs(Action.READ)
@require_POST
def refetch_transcript(
    request: HtmxHttpRequest, character_id: str, session_id: str
) -> HttpResponse:
    character = held_character(request, character_id)
    chat = get_object_or_404(character.sessions, session_id=session_id)
    error = fetch.transcript_error(chat, request.user)
    _stored_since(character)
    # The list's query string comes along, so the pane's moves follow the list as filtered;
    # htmx replaces the pane alone, which needs only the list's position.
    context = (list_position if wants_fragment(request) else list_context)(request, character)
    context.update(transcript_context(request, chat, context["list_query"], error))
    context.update(_moves(context, chat))
    if wants_fragment(request):
        context["update_list_row"] = True
        return render(request, f"{TEMPLATE}#transcript", context)
    if error is None:
        url = reverse("session", args=[character.character_id, chat.session_id])
        return redirect(f"{url}?{context['list_query']}" if context["list_query"] else url)
    return render(request, TEMPLATE, context)


def _with_continuity(chat: ChatSession) -> list[Interaction]:
    """The transcript's interactions, each with the lines it shows (`shown`: all but a blank
    player line), each line marked `continues` when the same speaker said the line shown
    before it: compact mode leaves out its label."""
    interactions = list(chat.interactions.prefetch_related("lines"))
    previous: tuple[str, str] | None = None
    for interaction in interactions:
        shown = [
            line for line in interaction.lines.all() if not line.is_blank or not line.is_player
        ]
        for line in shown:
            speaker = (line.kind, line.speaker)
            line.continues = speaker == previous  # type: ignore[attr-defined]
            previous = speaker
        interaction.shown = shown  # type: ignore[attr-defined]
    return interactions


def _results_link(request: HtmxHttpRequest) -> str | None:
    """The search a transcript was opened from (its `results` parameter), to go back to."""
    results = request.GET.get("results", "")
    return results if results.startswith(reverse("search") + "?") else None
