"""The overview's charts as SVG, and the rows of the tables that give their numbers.

Written here rather than in template loops: a chart of a year has hundreds of columns, and
Django's template engine took about half a second to draw a column and a table row for each
day of a 548-day history. Numbers go in as they are; every text is escaped. Colours come from
CSS classes (static/css/app.css), never from attributes, so that every theme applies.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from convai_dashboard.pages.charts import Column, ColumnChart, ShareChart

register = template.Library()


def _sessions(n: int) -> str:
    return f"{n:,} session" if n == 1 else f"{n:,} sessions"


def _svg(width: int, height: int, labelledby: str, body: str) -> SafeString:
    # Safe: every text in `body` is escaped where it was written, and `labelledby` here.
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img"'
        f' aria-labelledby="{escape(labelledby)}">{body}</svg>'
    )


@register.simple_tag
def column_svg(chart: ColumnChart, labelledby: str, title_suffix: str = "") -> SafeString:
    """The chart, named by the elements `labelledby`; each column's tooltip is its label,
    `title_suffix`, and its number of sessions."""
    suffix = escape(title_suffix)
    ticks = "".join(
        f'<line class="chart-grid" x1="{chart.left}" x2="{chart.right}" y1="{tick.y}"'
        f' y2="{tick.y}"/><text class="chart-axis" x="{chart.left - 6}" y="{tick.y}" dy="4"'
        f' text-anchor="end">{tick.value:,}</text>'
        for tick in chart.ticks
    )
    bars = "".join(
        f'<rect class="chart-bar" x="{c.x}" y="{c.y}" width="{c.width}" height="{c.height}">'
        f"<title>{escape(c.label)}{suffix}: {_sessions(c.value)}</title></rect>"
        for c in chart.columns
        if c.value
    )
    labels = "".join(
        f'<text class="chart-axis" x="{c.center}" y="{chart.label_y}"'
        f' text-anchor="middle">{escape(c.label)}</text>'
        for c in chart.columns
        if c.show_label
    )
    baseline = (
        f'<line class="chart-baseline" x1="{chart.left}" x2="{chart.right}"'
        f' y1="{chart.baseline}" y2="{chart.baseline}"/>'
    )
    return _svg(chart.width, chart.height, labelledby, ticks + bars + labels + baseline)


def _number(column: Column) -> str:
    if column.value and column.href:
        return f'<a href="{escape(column.href)}">{column.value:,}</a>'
    return f"{column.value:,}"


@register.simple_tag
def column_rows(chart: ColumnChart) -> SafeString:
    """A table row for each column: its label, and its number of sessions, linked to them
    where the session list can show them."""
    return mark_safe(
        "".join(
            f'<tr><th scope="row">{escape(c.label)}</th><td>{_number(c)}</td></tr>'
            for c in chart.columns
        )
    )


@register.simple_tag
def share_svg(chart: ShareChart, labelledby: str) -> SafeString:
    """A bar for each row, over a track that stands for the whole, with the share beside it."""
    rows = "".join(
        f'<text x="{chart.label_x}" y="{row.y}" dy="{chart.text_offset}"'
        f' text-anchor="end">{escape(row.label)}</text>'
        f'<rect class="chart-track" x="{chart.track_left}" y="{row.y}"'
        f' width="{chart.track_width}" height="{chart.bar_height}"/>'
        f'<rect class="chart-bar" x="{chart.track_left}" y="{row.y}" width="{row.width}"'
        f' height="{chart.bar_height}"/>'
        f'<text x="{chart.share_x}" y="{row.y}" dy="{chart.text_offset}">{escape(row.share)}</text>'
        for row in chart.rows
    )
    return _svg(chart.width, chart.height, labelledby, rows)
