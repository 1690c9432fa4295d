"""The hot loops of the reading pages, written in Python: the rows of the session list, the
lines of a transcript and the hits of a search; and the cache of a transcript's lines.

Django's template engine spent most of a page's time in these loops: a variable look-up, a
filter or an `{% include %}` costs microseconds each, thousands of times a page
(docs/performance.md, "Speed"). Here each row's values are read once, each URL comes from one
`reverse()` a page, and every text is escaped where it is written. The markup is the same as
the templates wrote; the flags on a line, rare, still come from their template.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.timezone import localtime

from convai_dashboard.cached import kept
from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Interaction, ReviewStatus
from convai_dashboard.history.search import SessionHits
from convai_dashboard.history.text import escape_html, highlight
from convai_dashboard.pages.templatetags.history_extras import (
    duration,
    html_datetime,
    speaker_label,
)
from convai_dashboard.review.queries import RowMarks

register = template.Library()

# Stands in for the last argument of a URL reversed once a page; digits, so that it passes
# an `int` converter too, and long enough never to be part of a real character's ID.
_MARKER = 987654321987654321
# What reverse() leaves unquoted in a path argument (django.urls.resolvers).
_PATH_SAFE = "!$&'()*+,;=/~:@"
_STATUS_LABELS = dict(ReviewStatus.choices)


def escape(value: object) -> str:
    # What django.utils.html.escape does, without its wrapper for lazy strings (a tenth of a
    # row's time): a lazy string, the one thing that needs it, comes in through str(). Emoji
    # become character references, so that a page is never four bytes a character.
    return escape_html(str(value))


def url_maker(name: str, *args: Any) -> Callable[[Any], str]:
    """`reverse(name, args=[*args, last])` for any `last`, from a single reverse()."""
    before, _, after = reverse(name, args=[*args, _MARKER]).rpartition(str(_MARKER))
    return lambda last: f"{before}{quote(str(last), safe=_PATH_SAFE)}{after}"


def _minute(value: datetime) -> str:
    # The `date:"Y-m-d H:i"` of the templates, in the current time zone as they show it.
    return f"{localtime(value):%Y-%m-%d %H:%M}"


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


class _Unit:
    """One of timesince's `time_strings`: `% {"num": n}` gives the singular or the plural,
    as the lazy translations it has by default do, at a fraction of their cost."""

    def __init__(self, name: str):
        self.name = name

    def __mod__(self, values: dict[str, int]) -> str:
        return f"{values['num']} {self.name}{_plural(values['num'])}"


_UNITS = {name: _Unit(name) for name in ("year", "month", "week", "day", "hour", "minute")}


def _ago(value: datetime, now: datetime) -> str:
    """naturaltime's words for a time a day or more before `now`, from Django's own timesince
    without its lazy translations: they were a tenth of a list page (the dashboard speaks
    English only). Other times take naturaltime itself."""
    if (now - value).days < 1:
        return naturaltime(value)
    # Its time_strings may be anything `%` formats, though typed as strings.
    return f"{timesince(value, now, time_strings=_UNITS)} ago"  # type: ignore[arg-type]


def _session_row(
    row: ChatSession, mark: RowMarks | None, url: str, query: str, is_open: bool, now: datetime
) -> str:
    pk = row.pk
    unread = mark is not None and mark.unread
    minute = _minute(row.started_at)
    link = escape(f"{url}?{query}" if query else url)
    status = (
        ""
        if row.review_status == ReviewStatus.UNREVIEWED
        else f'<span class="badge status-{escape(row.review_status)}">'
        f"{escape(_STATUS_LABELS.get(row.review_status, row.review_status))}</span>"
    )
    if row.transcript_fetched_at:
        count = row.interaction_count
        length = row.duration
        counted = f"{count} interaction{_plural(count)}" + (
            f" · {escape(duration(length))}" if length is not None else ""
        )
    else:
        counted = '<span class="muted">not fetched</span>'
    if row.first_player_line:
        first = escape(row.first_player_line)
    elif row.transcript_fetched_at:
        first = '<span class="muted">No player line: only events or the character.</span>'
    else:
        first = f'<span class="muted mono">{escape(row.session_id)}</span>'
    flags = mark.open_flags if mark else 0
    badges = "".join(
        f"{badge} "
        for shown, badge in (
            (
                flags,
                f'<span class="badge badge-flag">{flags} open flag{_plural(flags)}</span>',
            ),
            (
                row.in_memory,
                '<span class="badge badge-memory" title="Added to the character\'s long-term '
                'memory">Memory</span>',
            ),
            (
                row.has_trigger,
                '<span class="badge badge-trigger" title="Has game trigger inputs">Triggers</span>',
            ),
            (
                row.has_refusal,
                '<span class="badge badge-refusal" title="Has moderation refusals">Refusals</span>',
            ),
            (
                row.has_other_speaker,
                '<span class="badge badge-other" title="Someone besides the player and the '
                'character speaks">Other speakers</span>',
            ),
            (
                not row.on_convai,
                '<span class="badge badge-warn" title="No longer listed by Convai; kept here">'
                "Gone from Convai</span>",
            ),
        )
        if shown
    )
    tags = "".join(
        f'<span class="tag tag-{escape(tag.colour)}">{escape(tag.name)}</span>'
        for tag in (mark.tags if mark else ())
    )
    return (
        f'<li class="session-item{" unread" if unread else ""}"> '
        f'<input type="checkbox" class="select-session" name="session"'
        f' value="{escape(row.session_id)}" form="bulk-tag"'
        f' aria-label="Select the session of {minute}"> '
        f'<a class="session-row" href="{link}" data-hx-get="{link}"'
        + (
            ""
            if row.transcript_fetched_at
            else ' data-loading="Fetching this transcript from Convai…"'
        )
        + f' title="{escape(_ago(row.started_at, now))} · {escape(row.session_id)}"'
        + (' aria-current="true"' if is_open else "")
        + "> "
        f'<span class="session-start"> <span class="unread-dot" id="unread-{pk}"'
        f'{"" if unread else " hidden"} title="Not opened by you yet">●'
        f'<span class="visually-hidden"> Unread</span></span> '
        f'<time class="t" datetime="{html_datetime(row.started_at)}" data-show="datetime">'
        f"{minute}</time> </span> "
        f'<span class="session-meta"> <span class="row-status" id="status-{pk}">{status}</span>'
        f' <span class="count" id="count-{pk}">{counted}</span> </span> '
        f'<span class="session-first">{first}</span> '
        f'<span class="session-marks"> {badges}'
        f'<span class="row-tags" id="tags-{pk}">{tags}</span> </span> '
        "</a> </li>"
    )


@register.simple_tag(takes_context=True)
def session_rows(context: template.Context) -> SafeString:
    """The `<li>` of each session on the page, with its review marks; the open session's row
    is marked current."""
    character: ConvaiCharacter = context["character"]
    marks: dict[int, RowMarks] = context["marks"]
    query: str = context.get("list_query") or ""
    opened = context.get("session")
    open_pk = opened.pk if opened else None
    rows: list[ChatSession] = context["page"].sessions
    at = timezone.now()

    def rendered() -> str:
        session_url = url_maker("session", character.character_id)
        return "\n".join(
            _session_row(
                row, marks.get(row.pk), session_url(row.session_id), query, row.pk == open_pk, at
            )
            for row in rows
        )

    # Kept under everything the rows show: the rows (their data changes only with one of the
    # two versions), each row's marks as read for this reader, the open row, the query in the
    # links, the time zone, and the minute: a row's tooltip says how long ago it started, at
    # most a minute behind.
    html = kept(
        "session-rows",
        rendered,
        characters=[character],
        reader=None,
        reads=(
            [row.pk for row in rows],
            [_marks_shown(marks.get(row.pk)) for row in rows],
            open_pk,
            query,
            at.replace(second=0, microsecond=0),
        ),
    )
    return mark_safe(html)  # every text is escaped in _session_row


def _marks_shown(mark: RowMarks | None) -> object:
    if mark is None:
        return None
    return mark.unread, mark.open_flags, [(tag.pk, tag.name, tag.colour) for tag in mark.tags]


def _line_html(
    line: Any, character: ConvaiCharacter, urls: _TranscriptUrls, terms: list[Any]
) -> str:
    pk = line.pk
    anchor = line.anchor
    refusal = line.is_refusal
    badges = (' <span class="badge badge-refusal">Moderation refusal</span>' if refusal else "") + (
        ' <span class="badge badge-warn">Cut: too long to keep whole</span>'
        if line.truncated
        else ""
    )
    permalink = escape(f"{urls.transcript}#{anchor}")
    flag_url = escape(urls.flag(pk) + urls.flag_query)
    text = highlight(line.text, terms) if terms else escape(line.text)
    return (
        f'<div class="bubble bubble-{escape(line.kind)}{" bubble-refusal" if refusal else ""}'
        f'{" continues" if getattr(line, "continues", False) else ""}" id="{escape(anchor)}"'
        f' data-line="{pk}" tabindex="-1"> <p class="speaker">'
        f"{escape(speaker_label(line, character))}{badges}"
        f' <a class="permalink" href="{permalink}" title="Permalink to this line"'
        f' aria-label="Permalink to this line">#</a>'
        f' <button type="button" class="link-button copy-link" data-href="{permalink}"'
        f" hidden>Copy link</button>"
        f' <span class="line-tools"> <a class="flag-link" href="{flag_url}"'
        f' data-hx-get="{flag_url}" data-hx-target="#review-{pk}" data-hx-swap="beforeend">'
        f'Flag</a> <a class="bug-report" href="{escape(urls.bug_report(pk))}">Bug report</a>'
        f' </span> </p> <p class="text">{text}</p> {_no_review(pk)} </div>'
    )


def _no_review(line_pk: int) -> str:
    # A line's flags, empty: the cached transcript holds this, and the flags of the moment
    # take its place as the page is served.
    return f'<div class="line-review" id="review-{line_pk}"></div>'


class _TranscriptUrls:
    """What every line of a transcript links to, reversed once for the page."""

    def __init__(self, character: ConvaiCharacter, session: ChatSession, list_query: str):
        ids = (character.character_id, session.session_id)
        self.transcript = reverse("session", args=ids)
        self.flag = url_maker("flag_new", *ids)
        self.bug_report = url_maker("bug_report", *ids)
        # The flag form's way back to the list as it was (its `list_query`), urlencoded.
        self.flag_query = f"?list_query={quote(list_query, safe='/')}" if list_query else ""


def _interaction_html(
    number: int,
    interaction: Interaction,
    character: ConvaiCharacter,
    urls: _TranscriptUrls,
    terms: list[Any],
) -> str:
    at = localtime(interaction.occurred_at)
    lines = " ".join(
        _line_html(line, character, urls, terms)
        for line in interaction.lines.all()
        if not line.is_blank or not line.is_player
    )
    return (
        f'<li class="interaction" id="interaction-{interaction.pk}" data-n="{number}">'
        f' <p class="interaction-meta"> <time class="t"'
        f' datetime="{html_datetime(interaction.occurred_at)}" data-show="time"'
        f' title="{at:%Y-%m-%d %H:%M:%S.%f} UTC">{at:%H:%M:%S}</time>'
        + (
            ' <span class="badge badge-trigger">Trigger input</span>'
            if interaction.is_trigger_input
            else ""
        )
        + (
            ' <span class="badge badge-warn">Cut: Convai sent more than the dashboard keeps</span>'
            if interaction.truncated
            else ""
        )
        + " </p> "
        + (
            '<p class="spoke-first">Character spoke first</p> '
            if interaction.character_spoke_first
            else ""
        )
        + f"{lines} </li>"
    )


class TranscriptLines:
    """The interactions of a session as its page shows them: how many, and their `<li>`, with
    each line's tools, the words a search came for marked, and an empty place for its flags.
    Built once and cached: the store stamps a session's `transcript_fetched_at` each time it
    stores its transcript, so a sync that stores it again changes the key. Flags, the only
    review data among the lines, are never cached (`transcript_body` puts them in place)."""

    def __init__(
        self,
        session: ChatSession,
        terms: list[Any],
        list_query: str,
        load: Callable[[], list[Interaction]],
    ):
        self.session, self.terms, self.load = session, terms, load
        self.urls = _TranscriptUrls(session.character, session, list_query)

    @cached_property
    def _built(self) -> tuple[int, str]:
        session, character = self.session, self.session.character

        def build() -> tuple[int, str]:
            interactions = self.load()
            html = " ".join(
                _interaction_html(number, interaction, character, self.urls, self.terms)
                for number, interaction in enumerate(interactions, start=1)
            )
            return len(interactions), html

        return kept(
            "transcript-lines",
            build,
            characters=[character],
            reader=None,
            reads=(
                session.pk,
                session.transcript_fetched_at,
                session.last_interaction_at,
                character.display_name,
                self.terms,
                self.urls.flag_query,
            ),
            review=False,
        )

    @property
    def count(self) -> int:
        return self._built[0]

    @property
    def html(self) -> str:
        return self._built[1]


@register.simple_tag(takes_context=True)
def transcript_body(context: template.Context) -> SafeString:
    """The open session's interactions (`TranscriptLines`), each line with its flags."""
    body = context["transcript"].html
    assert context.template is not None  # a tag is rendered as part of a template
    line_review = context.template.engine.get_template("review/_line_review.html")
    for line_pk, flags in context["review"].flags_by_line.items():
        # `next` is the flag form's way back; here, its default: the line in this transcript.
        with context.push(line={"pk": line_pk}, flags=flags, next=None):
            body = body.replace(_no_review(line_pk), line_review.render(context), 1)
    return mark_safe(body)  # every text is escaped in _line_html and _interaction_html


def _clipped(text: str, limit: int) -> str:
    """Truncator's `chars(limit)`, which walks every character of the text: one no longer than
    the limit comes back as it is, without the walk (most lines around a hit)."""
    return text if len(text) <= limit else Truncator(text).chars(limit)


def _hit_group_html(
    group: SessionHits,
    first: bool,
    continued: bool,
    session_url: Callable[[Any], str],
    character_url: str,
    open_query: str,
    terms: list[Any],
) -> str:
    character, session = group.character, group.session
    url = session_url(session.session_id)
    exchanges = len(group.exchanges)
    # The first conversation a "More results" click added takes the focus.
    new = ' data-first-new tabindex="-1"' if first and continued else ""
    parts = [
        f'<li class="hit-group card"> <h3{new}>'
        f'<a href="{escape(character_url)}">{escape(character.display_name)}</a>'
        f' · session of <time class="t" datetime="{html_datetime(session.started_at)}"'
        f' data-show="datetime">{_minute(session.started_at)}</time>'
        f' <span class="muted">· {exchanges} exchange{_plural(exchanges)}</span></h3>'
    ]
    for exchange in group.exchanges:
        said = " ".join(
            (
                f'<li class="hit-line hit-{escape(line.kind)}" data-line="{line.pk}">'
                if line.pk in exchange.hit_ids
                else f'<li class="hit-{escape(line.kind)}">'
            )
            + f'<span class="speaker">{escape(speaker_label(line, character))}</span>'
            ' <span class="said">'
            + (
                highlight(line.text, terms, width=240)
                if line.pk in exchange.hit_ids
                else escape(_clipped(line.text, 300))
            )
            + "</span></li>"
            for line in exchange.lines
        )
        occurred_at = exchange.interaction.occurred_at
        parts.append(
            f' <div class="hit"> <p class="hit-meta">said at <time class="t"'
            f' datetime="{html_datetime(occurred_at)}" data-show="time">'
            f'{localtime(occurred_at):%H:%M:%S}</time></p> <ol class="hit-exchange"> {said} </ol>'
            f' <a class="open-line" href="{escape(url)}{open_query}'
            f'#{escape(exchange.first_hit.anchor)}">Open in the transcript</a> </div>'
        )
    parts.append(" </li>")
    return "".join(parts)


@register.simple_tag(takes_context=True)
def hit_groups(context: template.Context) -> SafeString:
    """The `<li>` of each conversation with hits, its exchanges with the hits marked, each
    linking to the line in its transcript."""
    results = context["results"]
    cleaned = context["form"].cleaned_data
    # The `?q={{ q|urlencode }}&amp;results={{ results_url|urlencode }}` of each link.
    open_query = escape(
        f"?q={quote(cleaned['q'], safe='/')}&results={quote(context['results_url'], safe='/')}"
    )
    urls: dict[str, tuple[Callable[[Any], str], str]] = {}
    html = []
    for number, group in enumerate(results.groups):
        character_id = group.character.character_id
        if character_id not in urls:
            urls[character_id] = (
                url_maker("session", character_id),
                reverse("character", args=[character_id]),
            )
        session_url, character_url = urls[character_id]
        html.append(
            _hit_group_html(
                group,
                number == 0,
                bool(cleaned["before"]),
                session_url,
                character_url,
                open_query,
                results.terms,
            )
        )
    return mark_safe(" ".join(html))  # every text is escaped in _hit_group_html
