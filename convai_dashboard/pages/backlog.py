"""The writer's backlog: the flags of one character, or of every character the user holds,
with their lines in context, filtered and sorted; statuses and rewrites change in place."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from convai_dashboard.accounts.roles import Action
from convai_dashboard.history.models import ConvaiCharacter
from convai_dashboard.pages.access import held_character, needs
from convai_dashboard.pages.htmx import HtmxHttpRequest, render_page
from convai_dashboard.pages.review_forms import BacklogForm
from convai_dashboard.review import queries
from convai_dashboard.review.models import Flag

TEMPLATE = "review/backlog.html"
PER_PAGE = 50


def backlog_filters(
    request: HtmxHttpRequest, character_id: str | None
) -> tuple[ConvaiCharacter | None, BacklogForm, QuerySet[Flag]]:
    """The character (None for all the user holds), the backlog's form, and its flags."""
    character = held_character(request, character_id) if character_id else None
    characters = (
        ConvaiCharacter.objects.filter(pk=character.pk)
        if character
        else ConvaiCharacter.objects.for_user(request.user)
    )
    form = BacklogForm(request.GET, authors=queries.authors(characters))
    filters = form.cleaned_data if form.is_valid() else {}
    return character, form, queries.backlog(characters, filters)


@needs(Action.READ)
@require_GET
@vary_on_headers("HX-Request")
def backlog_page(request: HtmxHttpRequest, character_id: str | None = None) -> HttpResponse:
    character, form, flags = backlog_filters(request, character_id)
    page = Paginator(flags.select_related("author", "updated_by", "character"), PER_PAGE).get_page(
        form.cleaned_data.get("page") if form.is_valid() else 1
    )
    flags_shown = list(page.object_list)
    queries.with_context(flags_shown)
    # Each flag's character with the reader's role in it, which says whether its flags may
    # be edited here.
    roles = {
        held.pk: held.reader_role
        for held in ConvaiCharacter.objects.with_reader_role(request.user.pk).filter(
            pk__in={flag.character_id for flag in flags_shown}
        )
    }
    for flag in flags_shown:
        flag.character.reader_role = roles[flag.character_id]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "character": character,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "next": request.get_full_path(),
    }
    return render_page(
        request, TEMPLATE, context, partial="results", status=400 if form.errors else 200
    )
