"""A character's overview: charts of a period of its history (sessions per day, the hours
players talk, session lengths, memory and trigger shares, review progress) and its last sync."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from convai_dashboard.accounts.roles import Action
from convai_dashboard.history.models import ConvaiCharacter
from convai_dashboard.history.overview import Overview, overview_of
from convai_dashboard.pages import charts
from convai_dashboard.pages.access import held_character, needs
from convai_dashboard.pages.htmx import HtmxHttpRequest, render_page
from convai_dashboard.pages.sync import latest_run
from convai_dashboard.review.queries import open_flag_count

TEMPLATE = "history/overview.html"
# The period's name in the URL, and its length in days (None: the whole history).
PERIODS: dict[str, int | None] = {"7": 7, "30": 30, "90": 90, "365": 365, "all": None}
DEFAULT_PERIOD = "30"


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        required=False,
        choices=[
            ("7", "7 days"),
            ("30", "30 days"),
            ("90", "90 days"),
            ("365", "365 days"),
            ("all", "All time"),
        ],
        error_messages={
            "invalid_choice": "There is no period “%(value)s”: choose 7, 30, 90 or 365 days, "
            "or all time."
        },
    )

    def clean_period(self) -> str:
        return self.cleaned_data["period"] or DEFAULT_PERIOD


def _charts(character: ConvaiCharacter, overview: Overview) -> dict[str, Any]:
    """The charts of the overview, each bar or row linked to the session list filtered to the
    sessions it counts, where the list's filters can name them."""
    list_url = reverse("character", args=[character.character_id])
    period: dict[str, str] = {}
    if overview.days is not None and overview.first_day and overview.last_day:
        period = {
            "start_from": overview.first_day.isoformat(),
            "start_to": overview.last_day.isoformat(),
        }

    def to_list(**filters: Any) -> str:
        return f"{list_url}?{urlencode({**period, **filters})}"

    days = charts.column_chart(
        [(day.isoformat(), n) for day, n in overview.per_day],
        width=charts.WIDE,
        hrefs=[f"{list_url}?start_from={day}&start_to={day}" for day, _ in overview.per_day],
    )
    hours = charts.column_chart(
        [(f"{hour:02d}:00", n) for hour, n in enumerate(overview.per_hour)],
        labelled=range(0, 24, 3),
    )
    lengths = charts.column_chart(
        [(bucket.label, bucket.sessions) for bucket in overview.lengths],
        hrefs=[
            to_list(
                min_interactions=bucket.low,
                **({} if bucket.high is None else {"max_interactions": bucket.high}),
            )
            for bucket in overview.lengths
        ],
        labelled=range(len(overview.lengths)),
    )
    shares = charts.share_chart(
        [
            (
                "In long-term memory",
                overview.in_memory,
                overview.sessions,
                to_list(memory="yes"),
            ),
            ("Transcript stored", overview.stored, overview.sessions, to_list(stored="yes")),
            (
                "With trigger inputs",
                overview.with_trigger,
                overview.stored,
                to_list(trigger="yes"),
            ),
        ]
    )
    review = charts.share_chart(
        [
            (status.label, n, overview.sessions, to_list(status=status.value))
            for status, n in overview.statuses
        ]
    )
    return {
        "days": days,
        "hours": hours,
        "lengths": lengths,
        "shares": shares,
        "review": review,
        "period_list": to_list(),
    }


@needs(Action.READ)
@require_GET
@vary_on_headers("HX-Request")
def character_overview(request: HtmxHttpRequest, character_id: str) -> HttpResponse:
    character = held_character(request, character_id)
    form = PeriodForm(request.GET)
    context: dict[str, Any] = {
        "character": character,
        "form": form,
        "periods": form.fields["period"].choices,  # type: ignore[attr-defined]
    }
    if not form.is_valid():
        return render_page(request, TEMPLATE, context, partial="overview", status=400)
    period = form.cleaned_data["period"]
    overview = overview_of(character, PERIODS[period])
    context.update(
        period=period,
        overview=overview,
        charts=_charts(character, overview),
        open_flags=open_flag_count(character),
        sync_run=latest_run(character),
    )
    return render_page(request, TEMPLATE, context, partial="overview")
