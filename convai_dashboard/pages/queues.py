"""Review queues: a lead makes one from a session list, reviewers work theirs one session at a
time ("Start", "Done and next", "Skip"), and a lead settles the sessions whose verdicts differ.

A queue belongs to a team, and its URLs name the team: anyone outside it gets a 404, and so
does a reviewer who is not assigned to it. Viewers, leads and admins see every queue's
progress; only a lead or above makes, changes or deletes one (accounts.roles).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from convai_dashboard.accounts import roles
from convai_dashboard.accounts.models import Membership, Role, Team
from convai_dashboard.accounts.roles import Action
from convai_dashboard.history.listing import Sort
from convai_dashboard.history.models import ConvaiCharacter, ReviewStatus
from convai_dashboard.pages.access import held_character, needs, team_membership
from convai_dashboard.pages.exports import CSV
from convai_dashboard.pages.htmx import HtmxHttpRequest, wants_fragment
from convai_dashboard.pages.queue_forms import Fill, FillForm, QueueForm, ResolveForm, VerdictForm
from convai_dashboard.pages.sessions import filtered_sessions, transcript_context
from convai_dashboard.review import queues
from convai_dashboard.review.exports import csv_rows
from convai_dashboard.review.models import Queue, QueueItem

WORK_TEMPLATE = "review/queue_work.html"


def work_waiting(request: HtmxHttpRequest) -> dict[str, Any]:
    """Context processor: the header's count of sessions waiting for the reader, counted only
    when a page shows the header (fragments do not)."""
    if not request.user.is_authenticated:
        return {}
    return {"work_waiting": partial(queues.waiting_count, request.user)}


def _queue(request: HtmxHttpRequest, team_id: int, queue_id: int) -> tuple[Queue, Membership]:
    """The queue the URL names, and the reader's membership of its team; a 404 to anyone
    outside the team, and to a reviewer it is not assigned to."""
    membership = team_membership(request, team_id)
    queue = get_object_or_404(Queue.objects.select_related("team"), team_id=team_id, pk=queue_id)
    queue.assigned = queue.reviewers.filter(pk=request.user.pk).exists()  # type: ignore[attr-defined]
    if membership.role == Role.REVIEWER and not queue.assigned:  # type: ignore[attr-defined]
        raise Http404("No such queue among yours.")
    return queue, membership


def _visible(membership: Membership, user: Any) -> list[Queue]:
    team_queues = Queue.objects.filter(team_id=membership.team_id)
    if membership.role == Role.REVIEWER:
        team_queues = team_queues.filter(reviewers=user)
    return list(team_queues)


@needs(Action.READ)
@require_GET
def my_work(request: HtmxHttpRequest) -> HttpResponse:
    """Every queue the reader may see, by team, with the queue's progress and their own."""
    teams = []
    for membership in Membership.objects.filter(user=request.user).select_related("team"):
        shown = []
        for queue in _visible(membership, request.user):
            mine = queues.waiting(request.user, Queue.objects.filter(pk=queue.pk))
            assigned = queue.reviewers.filter(pk=request.user.pk).exists()
            shown.append(
                {
                    "queue": queue,
                    "progress": queues.progress(queue),
                    "assigned": assigned,
                    "may_work": assigned and roles.allows(membership.role, Action.REVIEW),
                    "mine_left": mine.count() if assigned else None,
                    "mine_done": queue.items.filter(
                        reviews__reviewer=request.user, reviews__status__gt=""
                    ).count()
                    if assigned
                    else None,
                }
            )
        teams.append({"membership": membership, "queues": shown})
    return render(request, "review/my_work.html", {"teams": teams})


# --- making a queue -----------------------------------------------------------------------


def _leading_teams(request: HtmxHttpRequest, character: ConvaiCharacter) -> list[Team]:
    """The reader's teams that hold the character and in which they may make queues."""
    return [
        membership.team
        for membership in Membership.objects.filter(
            user=request.user,
            team__accesses__character_id=character.character_id,
            team__accesses__suspended_at__isnull=True,
        ).select_related("team")
        if roles.allows(membership.role, Action.MANAGE_QUEUES)
    ]


@needs(Action.MANAGE_QUEUES)
@require_http_methods(["GET", "POST"])
def queue_new(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    """A new queue from the list's filters (the query string, or `filters` as the list's bulk
    form posts it) or from the sessions ticked in it (`session`)."""
    character = held_character(request, character_id)
    source = request.POST if request.method == "POST" else request.GET
    filters = source.get("filters", _without(request.GET, "session"))
    ticked = source.getlist("session")
    if wants_fragment(request):
        # The list's bulk form, through htmx: the queue's form is a page of its own, whose
        # address carries what the list chose (and no CSRF token).
        query = QueryDict(mutable=True)
        query["filters"] = filters
        query.setlist("session", ticked)
        return HttpResponseClientRedirect(f"{request.path}?{query.urlencode()}")
    teams = _leading_teams(request, character)
    if not teams:
        raise Http404("None of your teams that hold this character lets you make queues.")
    team = next((t for t in teams if str(t.pk) == source.get("team")), teams[0])
    request.GET = QueryDict(filters)
    listed = filtered_sessions(request, character)
    making = request.method == "POST" and "queue-name" in request.POST
    form = QueueForm(request.POST if making else None, team=team, prefix="queue")
    fill = FillForm(
        request.POST if making else None,
        ticked=len(ticked),
        initial={"fill": Fill.SELECTED if ticked else Fill.MATCHING},
    )
    if making and form.is_valid() and fill.is_valid():
        queue = form.save(commit=False)
        queue.team, queue.created_by, queue.made_from = team, request.user, filters
        how = Fill(fill.cleaned_data["fill"])
        if how == Fill.SAMPLE:
            queue.sample_percent, queue.seed = (
                fill.cleaned_data["percent"],
                fill.cleaned_data["seed"],
            )
        queue.save()
        form.save_m2m()
        queue.characters.add(character)
        sort = (
            listed.form.cleaned_data.get("sort", Sort.NEWEST)
            if listed.form.is_valid()
            else Sort.NEWEST
        )
        if how == Fill.MATCHING:
            added = queues.add_matching(queue, listed.sessions, sort)
        elif how == Fill.SAMPLE:
            added = len(queues.add_sample(queue, listed.sessions, queue.sample_percent, queue.seed))
        else:
            chosen = character.sessions.filter(session_id__in=ticked)
            added = queues.add_sessions(queue, chosen.values_list("pk", flat=True))
        messages.success(request, f"Queue “{queue.name}” made with {added} session(s).")
        return redirect("queue", team_id=team.pk, queue_id=queue.pk)
    context = {
        "character": character,
        "form": form,
        "fill": fill,
        "teams": teams,
        "team": team,
        "filters": filters,
        "ticked": ticked,
        "matched": listed.sessions.count(),
        "filtered": bool(filters),
        "existing": Queue.objects.filter(team__in=teams),
    }
    return render(request, "review/queue_new.html", context, status=400 if making else 200)


def _without(query: QueryDict, *names: str) -> str:
    kept = query.copy()
    for name in (*names, "after", "before", "last"):
        kept.pop(name, None)
    return kept.urlencode()


@needs(Action.MANAGE_QUEUES)
@require_POST
def queue_add(request: HtmxHttpRequest, team_id: int, queue_id: int) -> HttpResponse:
    """Adds to a queue the sessions a list's filters match now (later sessions, or another
    character's), or the ones ticked in it: only when a lead asks."""
    queue, _ = _queue(request, team_id, queue_id)
    character_id = request.POST.get("character") or ""
    character = held_character(request, character_id) if character_id else None
    if character is None:
        character = queue.characters.first()
        if character is None:
            raise Http404("This queue has no character to add sessions of.")
        character = held_character(request, character.character_id)
    filters = request.POST.get("filters", queue.made_from if character_id == "" else "")
    ticked = request.POST.getlist("session")
    if ticked:
        chosen = character.sessions.filter(session_id__in=ticked).values_list("pk", flat=True)
        added = queues.add_sessions(queue, chosen)
    else:
        request.GET = QueryDict(filters)
        listed = filtered_sessions(request, character)
        sort = (
            listed.form.cleaned_data.get("sort", Sort.NEWEST)
            if listed.form.is_valid()
            else Sort.NEWEST
        )
        added = queues.add_matching(queue, listed.sessions, sort)
    queue.characters.add(character)
    messages.success(request, f"Added {added} session(s) to “{queue.name}”.")
    return redirect("queue", team_id=team_id, queue_id=queue.pk)


# --- a queue's page -----------------------------------------------------------------------


@needs(Action.READ)
@require_GET
def queue_page(request: HtmxHttpRequest, team_id: int, queue_id: int) -> HttpResponse:
    queue, membership = _queue(request, team_id, queue_id)
    context = {
        "queue": queue,
        "membership": membership,
        "may_manage": roles.allows(membership.role, Action.MANAGE_QUEUES),
        "may_work": queue.assigned and roles.allows(membership.role, Action.REVIEW),  # type: ignore[attr-defined]
        "progress": queues.progress(queue),
        "reviewers": queues.reviewer_progress(queue),
        "agreement": queues.agreement(queue),
        "awaiting": queues.awaiting_lead(queue).select_related("session__character")[:200],
        "characters": list(queue.characters.all()),
        "reviewer_names": [u.get_username() for u in queue.reviewers.order_by("username")],
    }
    return render(request, "review/queue.html", context)


@needs(Action.MANAGE_QUEUES)
@require_http_methods(["GET", "POST"])
def queue_edit(request: HtmxHttpRequest, team_id: int, queue_id: int) -> HttpResponse:
    queue, _ = _queue(request, team_id, queue_id)
    form = QueueForm(request.POST or None, instance=queue, team=queue.team, prefix="queue")
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Queue “{queue.name}” saved.")
        return redirect("queue", team_id=team_id, queue_id=queue.pk)
    status = 400 if form.errors else 200
    return render(request, "review/queue_edit.html", {"queue": queue, "form": form}, status=status)


@needs(Action.MANAGE_QUEUES)
@require_http_methods(["GET", "POST"])
def queue_delete(request: HtmxHttpRequest, team_id: int, queue_id: int) -> HttpResponse:
    queue, _ = _queue(request, team_id, queue_id)
    if request.method == "POST":
        kept = queues.delete_queue(queue, request.user)
        messages.success(
            request,
            f"Queue “{queue.name}” deleted. Its reviews stay as the sessions' statuses and "
            f"flags; {kept} session(s) without a final verdict kept theirs as a status or a note.",
        )
        return redirect("my_work")
    return render(
        request, "review/queue_delete.html", {"queue": queue, "progress": queues.progress(queue)}
    )


@needs(Action.READ)
@require_GET
def queue_results(request: HtmxHttpRequest, team_id: int, queue_id: int) -> StreamingHttpResponse:
    queue, _ = _queue(request, team_id, queue_id)
    response = StreamingHttpResponse(csv_rows.queue_results(queue), content_type=CSV)
    response["Content-Disposition"] = f'attachment; filename="queue-{queue.pk}-results.csv"'
    return response


# --- working a queue ----------------------------------------------------------------------


def _work_context(request: HtmxHttpRequest, queue: Queue, item: QueueItem | None) -> dict[str, Any]:
    context: dict[str, Any] = {"queue": queue, "queue_item": item}
    if item is not None:
        character = held_character(request, item.session.character.character_id)
        item.session.character = character
        context.update(transcript_context(request, item.session, ""))
        context["character"] = character
    context["left_for_me"] = queues.waiting(request.user, Queue.objects.filter(pk=queue.pk)).count()
    return context


def _work(
    request: HtmxHttpRequest, queue: Queue, item: QueueItem | None, started: bool = False
) -> HttpResponse:
    """The work page: the session held for the reader, or what is left when none is (`started`:
    after they asked for one). htmx gets its `work` partial, and the work page's URL for the
    address bar."""
    context = _work_context(request, queue, item)
    context["started"] = started
    if wants_fragment(request):
        response = render(request, f"{WORK_TEMPLATE}#work", context)
        response["HX-Push-Url"] = reverse("queue_work", args=[queue.team_id, queue.pk])
        return response
    return render(request, WORK_TEMPLATE, context)


def _may_work(request: HtmxHttpRequest, team_id: int, queue_id: int) -> Queue:
    queue, _ = _queue(request, team_id, queue_id)
    if not queue.assigned:  # type: ignore[attr-defined]
        raise Http404("This queue is not assigned to you.")
    return queue


@needs(Action.REVIEW)
@require_GET
@vary_on_headers("HX-Request")
def queue_work(request: HtmxHttpRequest, team_id: int, queue_id: int) -> HttpResponse:
    queue = _may_work(request, team_id, queue_id)
    return _work(request, queue, queues.held_by(queue, request.user))


@needs(Action.REVIEW)
@require_POST
def queue_start(request: HtmxHttpRequest, team_id: int, queue_id: int) -> HttpResponse:
    queue = _may_work(request, team_id, queue_id)
    item = queues.start(queue, request.user)
    if wants_fragment(request):
        return _work(request, queue, item, started=True)
    if item is None:
        messages.info(request, "Nothing is left for you just now: the rest is held by others.")
    return redirect("queue_work", team_id=team_id, queue_id=queue.pk)


def _item(request: HtmxHttpRequest, team_id: int, queue_id: int, item_id: int) -> QueueItem:
    queue = _may_work(request, team_id, queue_id)
    item = get_object_or_404(queue.items.select_related("session__character"), pk=item_id)
    item.queue = queue
    return item


@needs(Action.REVIEW)
@require_POST
def queue_done(request: HtmxHttpRequest, team_id: int, queue_id: int, item_id: int) -> HttpResponse:
    """ "Done and next": the reader's verdict on the session, and the next one held for them."""
    item = _item(request, team_id, queue_id, item_id)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Approved or Needs changes as your verdict.")
        return (
            _work(request, item.queue, item)
            if wants_fragment(request)
            else redirect("queue_work", team_id=team_id, queue_id=queue_id)
        )
    if not queues.finish(item, request.user, ReviewStatus(form.cleaned_data["status"])):
        messages.info(request, "You had given your verdict on that session already.")
    nxt = queues.start(item.queue, request.user)
    if wants_fragment(request):
        return _work(request, item.queue, nxt)
    return redirect("queue_work", team_id=team_id, queue_id=queue_id)


@needs(Action.REVIEW)
@require_POST
def queue_skip(request: HtmxHttpRequest, team_id: int, queue_id: int, item_id: int) -> HttpResponse:
    item = _item(request, team_id, queue_id, item_id)
    queues.skip(item, request.user)
    nxt = queues.start(item.queue, request.user)
    if nxt is not None and nxt.pk == item.pk:
        # Nothing else is left: skipping gave back the only session there was.
        queues.skip(nxt, request.user)
        nxt = None
    if wants_fragment(request):
        return _work(request, item.queue, nxt)
    return redirect("queue_work", team_id=team_id, queue_id=queue_id)


# --- settling -----------------------------------------------------------------------------


@needs(Action.MANAGE_QUEUES)
@require_http_methods(["GET", "POST"])
def queue_resolve(
    request: HtmxHttpRequest, team_id: int, queue_id: int, item_id: int
) -> HttpResponse:
    """The reviews of one session side by side, and the lead's final status."""
    queue, _ = _queue(request, team_id, queue_id)
    item = get_object_or_404(queue.items.select_related("session__character"), pk=item_id)
    item.queue = queue
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        queues.resolve(item, request.user, ReviewStatus(form.cleaned_data["status"]))
        messages.success(
            request, f"Final status set to {ReviewStatus(form.cleaned_data['status']).label}."
        )
        nxt = queues.awaiting_lead(queue).order_by("position").first()
        if nxt is not None:
            return redirect("queue_resolve", team_id=team_id, queue_id=queue_id, item_id=nxt.pk)
        return redirect("queue", team_id=team_id, queue_id=queue_id)
    context = {
        "queue": queue,
        "item": item,
        "session": item.session,
        "reviews": queues.side_by_side(item),
        "form": form,
        "statuses": [s for s in ReviewStatus if s != ReviewStatus.UNREVIEWED],
    }
    return render(request, "review/queue_resolve.html", context, status=400 if form.errors else 200)
