"""The hot loops of the reading pages, rendered by their Jinja2 templates (pages/jinja.py): the
rows of the session list, a row alone out of band, the lines of a transcript and the hits of a
search; and the caches of the rows and of a transcript's lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from markupsafe import Markup

from convai_dashboard.accounts.roles import Action
from convai_dashboard.cached import kept
from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Interaction
from convai_dashboard.pages import jinja
from convai_dashboard.pages.links import url_maker
from convai_dashboard.review.queries import RowMarks, row_marks

register = template.Library()


def _link(session_url: Callable[[Any], str], session: ChatSession, query: str) -> str:
    url = session_url(session.session_id)
    return f"{url}?{query}" if query else url


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
    # A checkbox for the bulk-tag form, for a reader who may bulk-tag (accounts.roles).
    selectable = character.reader_can[Action.MANAGE_TAGS]

    def rendered() -> str:
        session_url = url_maker("session", character.character_id)
        return jinja.render(
            "history/_session_rows.jinja",
            rows=[
                (row, marks[row.pk], _link(session_url, row, query), row.pk == open_pk)
                for row in rows
            ],
            now=at,
            oob=False,
            selectable=selectable,
        )

    # Kept under everything the rows show: the rows (their data changes only with one of the
    # two versions), each row's marks as read for this reader, the open row, the query in the
    # links, and the minute: a row's tooltip says how long ago it started, at most a minute
    # behind.
    html = kept(
        "session-rows",
        rendered,
        characters=[character],
        reader=None,
        reads=(
            [row.pk for row in rows],
            [_marks_shown(marks[row.pk]) for row in rows],
            open_pk,
            query,
            at.replace(second=0, microsecond=0),
            selectable,
        ),
    )
    return mark_safe(html)  # Jinja2 escaped every text


def _marks_shown(mark: RowMarks) -> object:
    return mark.unread, mark.open_flags, [(tag.pk, tag.name, tag.colour) for tag in mark.tags]


@register.simple_tag(takes_context=True)
def session_row(context: template.Context) -> SafeString:
    """The open session's row of the list, out of band: what an action on the session, or
    reading it, changed in the row beside it."""
    session: ChatSession = context["session"]
    character = session.character
    marks = row_marks([session.pk], character.tags.all(), context["request"].user)
    link = _link(url_maker("session", character.character_id), session, context["list_query"])
    return mark_safe(
        jinja.render(
            "history/_session_rows.jinja",
            rows=[(session, marks[session.pk], link, True)],
            now=timezone.now(),
            oob=True,
            selectable=False,
        )
    )


def _no_review(line_pk: int) -> Markup:
    # A line's flags, empty: the cached transcript holds this, and the flags of the moment
    # take its place as the page is served.
    return Markup(f'<div class="line-review" id="review-{line_pk}"></div>')


class TranscriptLines:
    """The interactions of a session as its page shows them: how many, and their `<li>`
    (history/_interactions.jinja). Built once and cached: the store stamps a session's
    `transcript_fetched_at` each time it stores its transcript, so a sync that stores it again
    changes the key. Flags, the only review data among the lines, are never cached
    (`transcript_body` puts them in place)."""

    def __init__(
        self,
        session: ChatSession,
        terms: list[Any],
        list_query: str,
        load: Callable[[], list[Interaction]],
    ):
        self.session, self.terms, self.load = session, terms, load
        # The flag form's way back to the list as it was (its `list_query`), urlencoded.
        self.flag_query = f"?list_query={quote(list_query, safe='/')}" if list_query else ""

    @cached_property
    def _built(self) -> tuple[int, str]:
        session, character = self.session, self.session.character
        may_flag = character.reader_can[Action.REVIEW]

        def build() -> tuple[int, str]:
            interactions = self.load()
            ids = (character.character_id, session.session_id)
            flag_url = url_maker("flag_new", *ids) if may_flag else None
            bug_report_url = url_maker("bug_report", *ids)
            # What each line links to, made here: a call from a Jinja2 template costs
            # several times a call from Python, three a line.
            for interaction in interactions:
                for line in interaction.shown:  # type: ignore[attr-defined]
                    # No "Flag" for a reader whose role may not (accounts.roles).
                    line.flag_url = flag_url(line.pk) + self.flag_query if flag_url else ""
                    line.bug_report_url = bug_report_url(line.pk)
                    line.no_review = _no_review(line.pk)
            html = jinja.render(
                "history/_interactions.jinja",
                interactions=list(enumerate(interactions, start=1)),
                character=character,
                terms=self.terms,
                transcript_url=reverse("session", args=ids),
            )
            return len(interactions), html

        # The session's own fields in the lines are its IDs, which never change; the
        # character's, its name.
        return kept(
            "transcript-lines",
            build,
            characters=[character],
            reader=None,
            reads=(
                session.pk,
                session.transcript_fetched_at,
                character.display_name,
                self.terms,
                self.flag_query,
                may_flag,
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
    return mark_safe(body)  # Jinja2 escaped every text of the lines


@register.simple_tag(takes_context=True)
def hit_groups(context: template.Context) -> SafeString:
    """The `<li>` of each conversation with hits (history/_hit_groups.jinja)."""
    results = context["results"]
    cleaned = context["form"].cleaned_data
    urls: dict[str, tuple[Callable[[Any], str], str]] = {}
    groups = []
    for group in results.groups:
        character_id = group.character.character_id
        if character_id not in urls:
            urls[character_id] = (
                url_maker("session", character_id),
                reverse("character", args=[character_id]),
            )
        groups.append((group, *urls[character_id]))
    return mark_safe(
        jinja.render(
            "history/_hit_groups.jinja",
            groups=groups,
            continued=bool(cleaned["before"]),
            # The `?q={{ q|urlencode }}&results={{ results_url|urlencode }}` of each link.
            open_query=f"?q={quote(cleaned['q'], safe='/')}"
            f"&results={quote(context['results_url'], safe='/')}",
            terms=results.terms,
        )
    )  # Jinja2 escaped every text
