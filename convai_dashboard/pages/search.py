"""The search page: stored lines of every character the user holds, or of one.

A page of results is rendered once and cached under the characters searched (their stored
versions, which the store counts up on each write, so a sync that stores anything makes it
old) and the query string. Results show no review data, and nothing of the user but the
characters they hold, which the key names too. The page around them is rendered each time."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from convai_dashboard.accounts.roles import Action
from convai_dashboard.cached import kept
from convai_dashboard.history import search
from convai_dashboard.history.models import ConvaiCharacter
from convai_dashboard.pages.access import needs
from convai_dashboard.pages.htmx import HtmxHttpRequest, render_page, wants_fragment
from convai_dashboard.pages.list_forms import SearchForm

TEMPLATE = "history/search.html"


@needs(Action.READ)
@require_GET
@vary_on_headers("HX-Request")
def search_page(request: HtmxHttpRequest) -> HttpResponse:
    held = ConvaiCharacter.objects.all_held(request.user)
    form = SearchForm(request.GET, characters=held)
    # "More results" appends the next page's conversations to those shown.
    partial = "more-hits" if request.htmx.target == "hit-groups" else "results"
    context: dict[str, Any] = {
        "form": form,
        "results": None,
        # A transcript opened from a hit links back here, to the first page of these results.
        "results_url": _first_page(request),
    }
    if form.is_valid() and form.cleaned_data["q"].strip():
        context["results_html"] = _results_html(request, form, held, partial, context)
        if wants_fragment(request):
            return HttpResponse(context["results_html"])
    return render_page(
        request, TEMPLATE, context, partial=partial, status=400 if form.errors else 200
    )


def _results_html(
    request: HtmxHttpRequest,
    form: SearchForm,
    held: list[ConvaiCharacter],
    partial: str,
    context: dict[str, Any],
) -> SafeString:
    """The results (`partial` of the template), from the cache or rendered and cached."""
    character = form.cleaned_data["character"]

    def render() -> str:
        results = search.search_lines(
            request.user,
            form.cleaned_data["q"],
            character=character,
            before=form.cleaned_data["before"],
            limit=settings.SEARCH_HITS_PER_PAGE,
        )
        more_query = None
        if results.next_before:
            query = request.GET.copy()
            query["before"] = str(results.next_before)
            more_query = query.urlencode()
        return render_to_string(
            f"{TEMPLATE}#{partial}",
            {**context, "results": results, "more_query": more_query},
            request,
        )

    searched = [c for c in held if character in (None, c)]
    html = kept(
        "search",
        render,
        characters=searched,
        reader=None,
        # Each hit names its character: its name is read with its versions.
        reads=(partial, sorted(request.GET.lists()), [c.name for c in searched]),
        review=False,
        seconds=settings.SEARCH_CACHE_SECONDS,
    )
    return mark_safe(html)  # rendered by the template, which escaped every text


def _first_page(request: HtmxHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("before", None)
    return f"{request.path}?{query.urlencode()}"
