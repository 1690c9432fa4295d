"""What reviewers do to a character's history, each written to the session's activity log.

Callers pass sessions, lines, flags and tags they have already found through the user's access
(pages do, through history.models.ConvaiCharacter.objects.for_user); nothing here checks it
again. Nothing here deletes review data, except `delete_tag`, which pages ask about first.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Line, ReviewStatus
from convai_dashboard.review.models import (
    Activity,
    ActivityKind,
    Flag,
    FlagCategory,
    FlagStatus,
    Note,
    Reading,
    SessionTag,
    Tag,
    TagColour,
)


def _log(session: ChatSession, user: Any, kind: ActivityKind, summary: str) -> None:
    Activity.objects.create(session=session, actor=user, kind=kind, summary=summary[:300])


# --- status and reading -------------------------------------------------------------------


def set_status(session: ChatSession, user: Any, status: ReviewStatus) -> None:
    if session.review_status == status:
        return
    now = timezone.now()
    with transaction.atomic():
        ChatSession.objects.filter(pk=session.pk).update(
            review_status=status, reviewed_by=user, reviewed_at=now
        )
        ConvaiCharacter.objects.filter(pk=session.character_id).update(
            review_version=F("review_version") + 1
        )
        _log(session, user, ActivityKind.STATUS, f"set the status to {status.label}")
    session.review_status, session.reviewed_by, session.reviewed_at = status, user, now


def mark_read(user: Any, session: ChatSession) -> None:
    """The user has opened the session: it is no longer unread for them."""
    Reading.objects.bulk_create([Reading(user=user, session=session)], ignore_conflicts=True)


# --- flags --------------------------------------------------------------------------------


def flag_line(
    line: Line, user: Any, category: FlagCategory, comment: str, rewrite: str = ""
) -> Flag:
    """A new flag; a flag that comes with its rewrite starts as rewritten, not open."""
    with transaction.atomic():
        flag = Flag.objects.create(
            line=line,
            session_id=line.session_id,
            character_id=line.character_id,
            author=user,
            updated_by=user,
            category=category,
            comment=comment,
            rewrite=rewrite,
            status=FlagStatus.REWRITTEN if rewrite.strip() else FlagStatus.OPEN,
        )
        _log(
            line.session,
            user,
            ActivityKind.FLAG,
            f"flagged a line ({category.label}): “{_quote(line.text)}”",
        )
    return flag


def update_flag(
    flag: Flag,
    user: Any,
    *,
    status: FlagStatus | None = None,
    rewrite: str | None = None,
    comment: str | None = None,
) -> list[str]:
    """Changes what is given; returns what changed, in words (empty if nothing did). Writing a
    rewrite on an open flag makes it rewritten."""
    changes = []
    if rewrite is not None and rewrite != flag.rewrite:
        flag.rewrite = rewrite
        changes.append("edited the rewrite" if rewrite.strip() else "removed the rewrite")
        if rewrite.strip() and flag.status == FlagStatus.OPEN and status is None:
            status = FlagStatus.REWRITTEN
    if comment is not None and comment != flag.comment:
        flag.comment = comment
        changes.append("edited the comment")
    if status is not None and status != flag.status:
        flag.status = status
        changes.append(f"marked it {status.label}")
    if not changes:
        return []
    flag.updated_by, flag.updated_at = user, timezone.now()
    with transaction.atomic():
        flag.save(update_fields=["rewrite", "comment", "status", "updated_by", "updated_at"])
        _log(
            flag.session,
            user,
            ActivityKind.FLAG_CHANGED,
            f"{' and '.join(changes)} of the flag on “{_quote(flag.line.text)}”",
        )
    return changes


def _quote(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --- tags ---------------------------------------------------------------------------------


def create_tag(character: ConvaiCharacter, user: Any, name: str, colour: TagColour) -> Tag:
    tag, _ = Tag.objects.get_or_create(
        character=character, name=name, defaults={"colour": colour, "created_by": user}
    )
    return tag


def tag_session(session: ChatSession, tag: Tag, user: Any) -> bool:
    """Puts the tag on the session; False if it was there already."""
    with transaction.atomic():
        _, created = SessionTag.objects.get_or_create(
            tag=tag, session=session, defaults={"added_by": user}
        )
        if created:
            _log(session, user, ActivityKind.TAG_ADDED, f"added the tag “{tag.name}”")
    return created


def untag_session(session: ChatSession, tag: Tag, user: Any) -> bool:
    with transaction.atomic():
        removed, _ = SessionTag.objects.filter(tag=tag, session=session).delete()
        if removed:
            _log(session, user, ActivityKind.TAG_REMOVED, f"removed the tag “{tag.name}”")
    return bool(removed)


# Bulk tagging this many sessions or more refreshes PostgreSQL's statistics of tags.
ANALYZE_AFTER = 1000


def tag_sessions(tag: Tag, sessions: QuerySet[ChatSession], user: Any) -> int:
    """Puts the tag on every session of the queryset that lacks it, however many, in one
    statement (and one more for the activity log); returns how many it was put on."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # Django names the selected column "pk"; the order of a list does not matter here.
    chosen_sql, chosen_params = sessions.order_by().values("pk").query.sql_with_params()
    link, activity = SessionTag._meta.db_table, Activity._meta.db_table
    actor = user.pk if user is not None else None
    with transaction.atomic(), connection.cursor() as cursor:
        # "WHERE true" lets SQLite tell the SELECT from the ON CONFLICT that follows it.
        cursor.execute(
            f"INSERT INTO {link} (tag_id, session_id, added_by_id, added_at) "
            f"SELECT %s, chosen.pk, %s, %s FROM ({chosen_sql}) AS chosen WHERE true "
            "ON CONFLICT (tag_id, session_id) DO NOTHING",
            [tag.pk, actor, now, *chosen_params],
        )
        added = cursor.rowcount
        if connection.vendor == "postgresql" and added > ANALYZE_AFTER:
            # The tag's share of the sessions just changed at a stroke, and the list filtered by
            # it is opened next: without fresh statistics (autovacuum's come within a minute or
            # so) PostgreSQL planned that list for the old share.
            cursor.execute(f"ANALYZE {link}")
        # The links this statement made are those stamped with its time: earlier ones kept
        # theirs.
        cursor.execute(
            f"INSERT INTO {activity} (session_id, actor_id, at, kind, summary) "
            f"SELECT session_id, added_by_id, added_at, %s, %s FROM {link} "
            "WHERE tag_id = %s AND added_at = %s",
            [ActivityKind.TAG_ADDED.value, f"added the tag “{tag.name}”", tag.pk, now],
        )
    return added


def delete_tag(tag: Tag) -> int:
    """Deletes a tag, which takes it off every session; returns how many it was on. The one
    deletion of review data, and pages ask first."""
    count = tag.links.count()
    tag.delete()
    return count


# --- notes --------------------------------------------------------------------------------


def add_note(session: ChatSession, user: Any, text: str) -> Note:
    with transaction.atomic():
        note = Note.objects.create(session=session, author=user, text=text)
        _log(session, user, ActivityKind.NOTE, f"added a note: “{_quote(text)}”")
    return note
