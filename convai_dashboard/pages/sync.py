"""A character's sync: starting it, its live progress, cancelling it. One run serves every
holder of the character, and each of them sees its progress."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from convai_dashboard.accounts.roles import Action
from convai_dashboard.history import sync, tasks
from convai_dashboard.history.models import ConvaiCharacter, SyncRun, latest_sync_run
from convai_dashboard.pages.access import held_character, needs
from convai_dashboard.pages.htmx import HtmxHttpRequest, wants_fragment

TEMPLATE = "history/character.html"


def latest_run(character: ConvaiCharacter) -> SyncRun | None:
    run = latest_sync_run(character)
    # Pages only read, unless the run they show was killed: then they say so.
    if run is not None and sync.is_abandoned(run):
        sync.expire_abandoned_runs(character)
        run.refresh_from_db()
    return run


def _status(request: HtmxHttpRequest, character: ConvaiCharacter) -> HttpResponse:
    run = latest_run(character)
    response = render(request, f"{TEMPLATE}#sync-status", {"character": character, "sync_run": run})
    if run is not None and not run.is_active and request.htmx.trigger == "sync-status":
        # The poll that sees the run end tells the list to show what the sync stored.
        response["HX-Trigger"] = "sync-finished"
    return response


@needs(Action.SYNC)
@require_POST
def sync_start(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = held_character(request, character_id)
    _, created = tasks.start_sync(character, request.user)
    if wants_fragment(request):
        return _status(request, character)
    if created:
        messages.info(request, "Sync queued: every transcript will be fetched in the background.")
    else:
        messages.info(request, "A sync of this character is already under way.")
    return redirect("character", character_id=character.character_id)


@needs(Action.READ)
@require_GET
@vary_on_headers("HX-Request")
def sync_status(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = held_character(request, character_id)
    if wants_fragment(request):
        return _status(request, character)
    # Without htmx the status is read on the character page.
    return redirect("character", character_id=character.character_id)


@needs(Action.SYNC)
@require_POST
def sync_cancel(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = held_character(request, character_id)
    run = get_object_or_404(character.sync_runs.active())
    sync.request_cancel(run)
    if wants_fragment(request):
        return _status(request, character)
    messages.info(request, "Cancelling the sync; what it stored so far is kept.")
    return redirect("character", character_id=character.character_id)
