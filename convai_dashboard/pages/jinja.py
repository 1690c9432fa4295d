"""The Jinja2 environment of the reading pages' hot loops (templates/jinja2/): the rows of the
session list, the lines of a transcript and the hits of a search.

Django's template engine spent most of those pages' time in the loops: a look-up, a filter or
an `{% include %}` costs microseconds each, thousands of times a page (docs/performance.md,
"Rendering"). Jinja2 compiles a template to Python, with autoescape on as Django's backend sets
it; every other template is Django's. `render` gives what a template wrote, never four bytes a
character.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template import engines
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.timezone import localtime
from jinja2 import Environment, StrictUndefined

from convai_dashboard.history.text import astral_as_references, highlight
from convai_dashboard.pages.templatetags.history_extras import (
    duration,
    html_datetime,
    speaker_label,
)


def minute(value: datetime) -> str:
    """The `date:"Y-m-d H:i"` of Django's templates, in the current time zone."""
    return f"{localtime(value):%Y-%m-%d %H:%M}"


def plural(n: int) -> str:
    return "" if n == 1 else "s"


class _Unit:
    """One of timesince's `time_strings`: `% {"num": n}` gives the singular or the plural,
    as its lazy translations do by default, at a fraction of their cost."""

    def __init__(self, name: str):
        self.name = name

    def __mod__(self, values: dict[str, int]) -> str:
        return f"{values['num']} {self.name}{plural(values['num'])}"


_UNITS = {name: _Unit(name) for name in ("year", "month", "week", "day", "hour", "minute")}


def ago(value: datetime, now: datetime) -> str:
    """naturaltime's words for a time a day or more before `now`, from Django's own timesince
    without its lazy translations: they were a tenth of a list page (the dashboard speaks
    English only). Other times take naturaltime itself."""
    if (now - value).days < 1:
        return naturaltime(value)
    # Its time_strings may be anything `%` formats, though typed as strings.
    return f"{timesince(value, now, time_strings=_UNITS)} ago"  # type: ignore[arg-type]


def clipped(text: str, limit: int) -> str:
    """Truncator's `chars(limit)`, which walks every character of the text: one no longer than
    the limit comes back as it is, without the walk (most lines around a hit)."""
    return text if len(text) <= limit else Truncator(text).chars(limit)


def environment(**options: Any) -> Environment:
    # Django's backend sets `undefined` to print a missing name; here it is an error.
    env = Environment(**{**options, "undefined": StrictUndefined})
    env.filters.update(
        ago=ago,
        clipped=clipped,
        duration=duration,
        highlight=highlight,
        html_datetime=html_datetime,
        localtime=localtime,
        minute=minute,
        plural=plural,
        speaker_label=speaker_label,
        # A call in a template costs several times a filter's.
        strftime=datetime.strftime,
    )
    return env


def render(name: str, **context: Any) -> str:
    """The template's HTML, with the characters beyond the Basic Multilingual Plane written as
    references (history.text.astral_as_references)."""
    template = engines["jinja2"].env.get_template(name)  # type: ignore[attr-defined]
    return astral_as_references(template.render(**context))
