"""Review actions on an open session: its status, flags on its lines, tags and notes.

Each answers an htmx request with the small fragment it changed (and the list row's marks,
out of band), and a plain form post with a redirect back to the session, the list as it was.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from convai_dashboard.accounts import roles
from convai_dashboard.accounts.roles import Action
from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Line, ReviewStatus
from convai_dashboard.pages.access import held_character, held_session, needs
from convai_dashboard.pages.htmx import HtmxHttpRequest, wants_fragment
from convai_dashboard.pages.links import safe_next
from convai_dashboard.pages.review_forms import (
    FlagEditForm,
    FlagForm,
    NoteForm,
    SessionTagForm,
    StatusForm,
)
from convai_dashboard.review import actions
from convai_dashboard.review.models import Activity, Flag, FlagCategory, FlagStatus, TagColour


def back_to_session(request: HtmxHttpRequest, session: ChatSession, anchor: str = "") -> str:
    """The session's URL with the list's query the form carried, so the list is as it was."""
    query = QueryDict(request.POST.get("list_query", ""), mutable=True)
    url = reverse("session", args=[session.character.character_id, session.session_id])
    return f"{url}?{query.urlencode()}" + (f"#{anchor}" if anchor else "")


def _fragment(
    request: HtmxHttpRequest,
    template: str,
    session: ChatSession,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """What an action changed, with the list row's marks and the activity log out of band; no
    row when the page asking has no list (a queue's work page says so with `no_list`)."""
    context.update(
        session=session,
        character=session.character,
        list_query=request.POST.get("list_query", ""),
        activity=list(Activity.objects.filter(session=session).select_related("actor")),
        oob=True,
        list_row="no_list" not in request.POST,
    )
    return render(request, template, context, status=status)


def _invalid(request: HtmxHttpRequest, form: forms.Form) -> None:
    """Tells a plain form post what was wrong (htmx answers show it in the fragment)."""
    messages.error(request, " ".join(_errors(form)))


def _errors(form: forms.Form) -> list[str]:
    return [str(error) for field_errors in form.errors.values() for error in field_errors]


@needs(Action.REVIEW)
@require_POST
def session_status(request: HtmxHttpRequest, character_id: str, session_id: str) -> HttpResponse:
    session = held_session(request, character_id, session_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        actions.set_status(session, request.user, ReviewStatus(form.cleaned_data["status"]))
    if not wants_fragment(request):
        if form.errors:
            _invalid(request, form)
        return HttpResponseRedirect(back_to_session(request, session))
    context = {"statuses": ReviewStatus}
    return _fragment(
        request, "review/_status.html", session, context, status=200 if form.is_valid() else 400
    )


def _line(request: HtmxHttpRequest, character_id: str, session_id: str, line_id: int) -> Line:
    session = held_session(request, character_id, session_id)
    line = get_object_or_404(
        Line.objects.filter(session=session).select_related("interaction"), pk=line_id
    )
    line.session = session
    return line


def _line_review(request: HtmxHttpRequest, line: Line) -> HttpResponse:
    flags = Flag.objects.filter(line=line).select_related("author", "updated_by")
    context = {"line": line, "flags": flags.order_by("created_at", "pk")}
    return _fragment(request, "review/_line_review.html", line.session, context)


@needs(Action.REVIEW)
@require_http_methods(["GET", "POST"])
def flag_new(
    request: HtmxHttpRequest, character_id: str, session_id: str, line_id: int
) -> HttpResponse:
    line = _line(request, character_id, session_id, line_id)
    # Ids of their own: several lines' forms may be open at once.
    form = FlagForm(
        request.POST or None,
        initial={"category": FlagCategory.OUT_OF_CHARACTER},
        auto_id=f"id_line{line.pk}_%s",
    )
    if request.method == "POST" and form.is_valid():
        actions.flag_line(
            line,
            request.user,
            FlagCategory(form.cleaned_data["category"]),
            form.cleaned_data["comment"],
            form.cleaned_data["rewrite"],
        )
        if wants_fragment(request):
            return _line_review(request, line)
        return HttpResponseRedirect(back_to_session(request, line.session, line.anchor))
    context = {
        "form": form,
        "line": line,
        "character": line.session.character,
        "list_query": request.POST.get("list_query", request.GET.get("list_query", "")),
    }
    status = 400 if form.errors else 200
    if wants_fragment(request):
        return render(request, "review/_flag_form.html", context, status=status)
    return render(request, "review/flag_new.html", context, status=status)


# What only a lead decides of a flag: that its rewrite is approved, or that it is left as it is.
SETTLED = {FlagStatus.APPROVED, FlagStatus.WONT_FIX}


@needs(Action.REVIEW)
@require_http_methods(["GET", "POST"])
def flag_edit(request: HtmxHttpRequest, character_id: str, flag_id: int) -> HttpResponse:
    character = held_character(request, character_id)
    flag = get_object_or_404(
        Flag.objects.filter(character=character).select_related(
            "author", "updated_by", "line__interaction", "session", "character"
        ),
        pk=flag_id,
    )
    if request.GET.get("view") and wants_fragment(request):
        # "Cancel" on the edit form: the flag as it was.
        return render(request, "review/_flag.html", {"flag": flag, "character": character})
    may_settle = character.reader_can[Action.SETTLE_FLAGS]
    asked = request.POST.get("status", flag.status)
    if asked != flag.status and asked in SETTLED:
        roles.require(character.reader_role, Action.SETTLE_FLAGS)
    initial = {"status": flag.status, "comment": flag.comment, "rewrite": flag.rewrite}
    form = FlagEditForm(
        request.POST or None,
        initial=initial,
        auto_id=f"id_flag{flag.pk}_%s",
        offered=[
            status
            for status in FlagStatus
            if may_settle or status not in SETTLED or status == flag.status
        ],
    )
    if request.method == "POST" and form.is_valid():
        actions.update_flag(
            flag,
            request.user,
            status=FlagStatus(form.cleaned_data["status"]),
            comment=form.cleaned_data["comment"],
            rewrite=form.cleaned_data["rewrite"],
        )
        if wants_fragment(request):
            return render(request, "review/_flag.html", {"flag": flag, "character": character})
        fallback = reverse("session", args=[character.character_id, flag.session.session_id])
        return HttpResponseRedirect(safe_next(request, f"{fallback}#{flag.line.anchor}"))
    context = {
        "form": form,
        "flag": flag,
        "character": character,
        "next": safe_next(request, ""),
    }
    status = 400 if form.errors else 200
    if wants_fragment(request):
        return render(request, "review/_flag_edit_form.html", context, status=status)
    return render(request, "review/flag_edit.html", context, status=status)


def _tags_fragment(request: HtmxHttpRequest, session: ChatSession, error: str = "") -> HttpResponse:
    all_tags = list(session.character.tags.all())
    on_session = set(session.tag_links.values_list("tag_id", flat=True))
    context = {
        "tags": [tag for tag in all_tags if tag.pk in on_session],
        "all_tags": all_tags,
        "colours": TagColour,
        "tag_error": error,
    }
    return _fragment(
        request, "review/_session_tags.html", session, context, status=400 if error else 200
    )


@needs(Action.REVIEW)
@require_POST
def session_tag(request: HtmxHttpRequest, character_id: str, session_id: str) -> HttpResponse:
    session = held_session(request, character_id, session_id)
    character: ConvaiCharacter = session.character
    form = SessionTagForm(request.POST, tags=character.tags.all())
    if form.is_valid():
        named = form.cleaned_data["name"]
        if not form.cleaned_data["tag"] and not character.tags.filter(name=named).exists():
            # A reviewer puts a character's tags on; making a new one is a lead's.
            roles.require(character.reader_role, Action.MANAGE_TAGS)
        tag = form.cleaned_data["tag"] or actions.create_tag(
            character,
            request.user,
            form.cleaned_data["name"],
            TagColour(form.cleaned_data["colour"] or TagColour.BLUE),
        )
        actions.tag_session(session, tag, request.user)
    if not wants_fragment(request):
        if form.errors:
            _invalid(request, form)
        return HttpResponseRedirect(back_to_session(request, session))
    return _tags_fragment(request, session, " ".join(_errors(form)))


@needs(Action.REVIEW)
@require_POST
def session_untag(
    request: HtmxHttpRequest, character_id: str, session_id: str, tag_id: int
) -> HttpResponse:
    session = held_session(request, character_id, session_id)
    tag = get_object_or_404(session.character.tags, pk=tag_id)
    actions.untag_session(session, tag, request.user)
    if not wants_fragment(request):
        return HttpResponseRedirect(back_to_session(request, session))
    return _tags_fragment(request, session)


@needs(Action.REVIEW)
@require_POST
def session_note(request: HtmxHttpRequest, character_id: str, session_id: str) -> HttpResponse:
    session = held_session(request, character_id, session_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        actions.add_note(session, request.user, form.cleaned_data["text"])
    if not wants_fragment(request):
        if form.errors:
            _invalid(request, form)
        return HttpResponseRedirect(back_to_session(request, session))
    context = {
        "notes": session.notes.select_related("author"),
        "note_form": form if form.errors else NoteForm(),
    }
    return _fragment(
        request, "review/_notes.html", session, context, status=200 if form.is_valid() else 400
    )
