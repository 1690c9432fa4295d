"""The search page: stored lines of every character the user holds, or of one."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from convai_dashboard.history import search
from convai_dashboard.history.models import ConvaiCharacter
from convai_dashboard.pages.htmx import HtmxHttpRequest, render_page
from convai_dashboard.pages.list_forms import SearchForm

TEMPLATE = "history/search.html"


@require_GET
@vary_on_headers("HX-Request")
def search_page(request: HtmxHttpRequest) -> HttpResponse:
    form = SearchForm(request.GET, characters=ConvaiCharacter.objects.for_user(request.user))
    results = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        results = search.search_lines(
            request.user,
            form.cleaned_data["q"],
            character=form.cleaned_data["character"],
            before=form.cleaned_data["before"],
            limit=settings.SEARCH_HITS_PER_PAGE,
        )
    more_query = None
    if results and results.next_before:
        query = request.GET.copy()
        query["before"] = str(results.next_before)
        more_query = query.urlencode()
    context = {
        "form": form,
        "results": results,
        "more_query": more_query,
        # A transcript opened from a hit links back here, to the first page of these results.
        "results_url": _first_page(request),
    }
    # "More results" appends the next page's conversations to those shown.
    partial = "more-hits" if request.htmx.target == "hit-groups" else "results"
    return render_page(
        request, TEMPLATE, context, partial=partial, status=400 if form.errors else 200
    )


def _first_page(request: HtmxHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("before", None)
    return f"{request.path}?{query.urlencode()}"
