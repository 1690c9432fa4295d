from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from convai_dashboard.accounts.models import Character
from convai_dashboard.history import search
from convai_dashboard.history.forms import SearchForm
from convai_dashboard.http import HtmxHttpRequest

TEMPLATE = "history/search.html"


@require_GET
@vary_on_headers("HX-Request")
def search_page(request: HtmxHttpRequest) -> HttpResponse:
    form = SearchForm(request.GET, characters=Character.objects.for_user(request.user))
    results = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        results = search.search_lines(
            request.user.pk,
            form.cleaned_data["q"],
            character=form.cleaned_data["character"],
            before=form.cleaned_data["before"],
        )
    more_query = None
    if results and results.next_before:
        query = request.GET.copy()
        query["before"] = str(results.next_before)
        more_query = query.urlencode()
    context = {"form": form, "results": results, "more_query": more_query}
    status = 400 if form.errors else 200
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, f"{TEMPLATE}#results", context, status=status)
    return render(request, TEMPLATE, context, status=status)
