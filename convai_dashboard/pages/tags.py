"""A character's tags: defining them, deleting one (asked first), and tagging many sessions
at once: those ticked in the list, or every one its filters match."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from convai_dashboard.accounts.roles import Action
from convai_dashboard.pages.access import held_character, needs
from convai_dashboard.pages.htmx import HtmxHttpRequest, wants_fragment
from convai_dashboard.pages.review_forms import BulkTagForm, NewTagForm
from convai_dashboard.pages.sessions import TEMPLATE, filtered_sessions, list_context
from convai_dashboard.review import actions
from convai_dashboard.review.models import TagColour


@needs(Action.READ, post=Action.MANAGE_TAGS)
@require_http_methods(["GET", "POST"])
def tags_page(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = held_character(request, character_id)
    form = NewTagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if character.tags.filter(name=form.cleaned_data["name"]).exists():
            form.add_error("name", "This character already has a tag of that name.")
        else:
            tag = actions.create_tag(
                character,
                request.user,
                form.cleaned_data["name"],
                TagColour(form.cleaned_data["colour"]),
            )
            messages.success(request, f"Tag “{tag.name}” created.")
            return redirect("tags", character_id=character.character_id)
    context = {
        "character": character,
        "form": form,
        "tags": character.tags.annotate(n_sessions=Count("links")).select_related("created_by"),
    }
    return render(request, "review/tags.html", context, status=400 if form.errors else 200)


@needs(Action.MANAGE_TAGS)
@require_http_methods(["GET", "POST"])
def tag_delete(request: HtmxHttpRequest, character_id: str, tag_id: int) -> HttpResponse:
    character = held_character(request, character_id)
    tag = get_object_or_404(character.tags, pk=tag_id)
    if request.method == "POST":
        count = actions.delete_tag(tag)
        messages.success(request, f"Tag “{tag.name}” deleted; it was on {count} session(s).")
        return redirect("tags", character_id=character.character_id)
    context = {"character": character, "tag": tag, "n_sessions": tag.links.count()}
    return render(request, "review/tag_delete.html", context)


@needs(Action.MANAGE_TAGS)
@require_POST
def tags_apply(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = held_character(request, character_id)
    form = BulkTagForm(request.POST, tags=character.tags.all())
    notice, failed = "", False
    if not form.is_valid():
        notice, failed = "Choose a tag to put on the sessions.", True
    elif form.cleaned_data["scope"] == "matching":
        # The list's own filters, parsed as the list parses them.
        request.GET = QueryDict(form.cleaned_data["filters"])
        sessions = filtered_sessions(request, character).sessions
        added = actions.tag_sessions(form.cleaned_data["tag"], sessions, request.user)
        notice = f"Tagged {added} more session(s) “{form.cleaned_data['tag'].name}”."
    else:
        chosen = request.POST.getlist("session")
        if not chosen:
            notice, failed = "Tick the sessions to tag, or tag all matching.", True
        else:
            sessions = character.sessions.filter(session_id__in=chosen)
            added = actions.tag_sessions(form.cleaned_data["tag"], sessions, request.user)
            notice = f"Tagged {added} more session(s) “{form.cleaned_data['tag'].name}”."
    list_query = request.POST.get("list_query", "")
    if wants_fragment(request):
        request.GET = QueryDict(list_query)
        context = list_context(request, character)
        context["list_error" if failed else "list_notice"] = notice
        return render(request, f"{TEMPLATE}#session-list", context)
    (messages.error if failed else messages.success)(request, notice)
    url = reverse("character", args=[character.character_id])
    return HttpResponseRedirect(f"{url}?{QueryDict(list_query).urlencode()}")
