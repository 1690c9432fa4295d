from __future__ import annotations

from datetime import UTC, datetime

from django import template

from convai_dashboard.history.models import ConvaiCharacter, Line

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """A rough, readable length of time: '40 s', '3 min', '2 h 5 min'."""
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


@register.filter
def speaker_label(line: Line, character: ConvaiCharacter) -> str:
    """Who said a line, as a reader should see it (Line.speaker_label, as a filter)."""
    return line.speaker_label(character)


@register.filter
def html_datetime(value: datetime | None) -> str:
    """A time as HTML's datetime attribute takes it: UTC, to the millisecond (HTML allows no
    more digits, and Convai's times carry microseconds)."""
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
