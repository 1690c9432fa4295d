"""Review queues: filling one, handing its sessions out one at a time, recording verdicts,
settling disagreements, and the figures a lead reads of it.

Callers pass queues and sessions they found through the reader's team (pages do); nothing here
checks access again. A verdict becomes the session's ordinary review status once the reviews
agree or a lead settles them, through review.actions, so the list and its filters show it.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import krippendorff
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from convai_dashboard.history.listing import Sort
from convai_dashboard.history.models import ChatSession, ReviewStatus
from convai_dashboard.review import actions
from convai_dashboard.review.models import Flag, Queue, QueueItem, QueueReview

# What a reviewer may say of a session: "In review" is where it stands, not a verdict.
VERDICTS = (ReviewStatus.APPROVED, ReviewStatus.NEEDS_CHANGES)


# --- filling a queue ----------------------------------------------------------------------


def add_matching(queue: Queue, sessions: QuerySet[ChatSession], sort: Sort = Sort.NEWEST) -> int:
    """Adds every session of the queryset not in the queue yet, after those it has, in the
    list's order: one statement, however many (docs/performance.md, "Review queues"). Returns
    how many it added."""
    start = _last_position(queue)
    chosen = (
        sessions.order_by()
        .annotate(n=Window(RowNumber(), order_by=[_order(field) for field in sort.order]))
        .values("pk", "n")
    )
    chosen_sql, params = chosen.query.sql_with_params()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = QueueItem._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # "WHERE true" lets SQLite tell the SELECT from the ON CONFLICT that follows it.
        cursor.execute(
            f"INSERT INTO {table} (queue_id, session_id, position, added_at, reviews_done, "
            "final_status) "
            f"SELECT %s, chosen.pk, %s + chosen.n, %s, 0, '' FROM ({chosen_sql}) AS chosen "
            "WHERE true ON CONFLICT (queue_id, session_id) DO NOTHING",
            [queue.pk, start, now, *params],
        )
        added = cursor.rowcount
    _note_characters(queue, sessions)
    return added


def add_sample(queue: Queue, sessions: QuerySet[ChatSession], percent: int, seed: int) -> list[int]:
    """Adds `percent` of the queryset's sessions, drawn with `seed`: the same seed and the
    same sessions give the same sample, in the same order. Returns the sampled pks."""
    pool = list(sessions.order_by("pk").values_list("pk", flat=True))
    size = round(len(pool) * percent / 100) if pool else 0
    chosen = random.Random(seed).sample(pool, max(size, 1) if pool else 0)
    add_sessions(queue, chosen)
    _note_characters(queue, sessions)
    return chosen


def add_sessions(queue: Queue, pks: Iterable[int]) -> int:
    """Adds these sessions (ticked in a list, or sampled), in this order, after the queue's."""
    start = _last_position(queue)
    items = [
        QueueItem(queue=queue, session_id=pk, position=start + n)
        for n, pk in enumerate(pks, start=1)
    ]
    made = QueueItem.objects.bulk_create(items, ignore_conflicts=True, batch_size=2000)
    queue.characters.add(
        *ChatSession.objects.filter(pk__in=[item.session_id for item in items])
        .values_list("character_id", flat=True)
        .distinct()
    )
    return len(made)


def _order(field: str) -> Any:
    return F(field[1:]).desc() if field.startswith("-") else F(field).asc()


def _last_position(queue: Queue) -> int:
    return queue.items.aggregate(last=Max("position"))["last"] or 0


def _note_characters(queue: Queue, sessions: QuerySet[ChatSession]) -> None:
    queue.characters.add(*sessions.order_by().values_list("character_id", flat=True).distinct())


# --- handing out sessions -----------------------------------------------------------------


def held_by(queue: Queue, user: Any, now: datetime | None = None) -> QueueItem | None:
    """The session of the queue this reviewer holds now, if any."""
    now = now or timezone.now()
    return (
        queue.items.filter(held_by=user, held_until__gt=now)
        .select_related("session")
        .order_by("held_since")
        .first()
    )


def start(queue: Queue, user: Any, now: datetime | None = None) -> QueueItem | None:
    """The session the reviewer works on next: the one they hold, or else the first that
    nobody holds, that wants more reviews and that they have not reviewed (those they
    skipped come last), held for them for the queue's hold. None when none is left for them.

    Two reviewers who ask at once get two sessions: the claim is one UPDATE that re-checks
    the hold it takes, and on PostgreSQL passes over the rows another claim has locked."""
    now = now or timezone.now()
    current = held_by(queue, user, now)
    if current is not None:
        return current
    for skipped in (False, True):
        while (claim := _claim(queue, user, now, skipped)).found:
            if claim.pk is not None:
                return QueueItem.objects.select_related("session").get(pk=claim.pk)
    return None


@dataclass(frozen=True)
class _Claim:
    found: bool  # a session was there to take
    pk: int | None  # the one taken; None when another claim took it first (try again)


def _claim(queue: Queue, user: Any, now: datetime, skipped: bool) -> _Claim:
    """Takes the first session free for the reviewer: not reviewed by them or, with `skipped`,
    only skipped by them."""
    items, reviews = QueueItem._meta.db_table, QueueReview._meta.db_table
    at = connection.ops.adapt_datetimefield_value(now)
    until = connection.ops.adapt_datetimefield_value(now + timedelta(minutes=queue.hold_minutes))
    mine = "r.status = ''" if skipped else "r.id IS NULL"
    lock = " FOR UPDATE OF i SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.id FROM {items} i LEFT JOIN {reviews} r "
            "ON r.item_id = i.id AND r.reviewer_id = %s "
            "WHERE i.queue_id = %s AND i.final_status = '' AND i.reviews_done < %s "
            f"AND (i.held_until IS NULL OR i.held_until <= %s) AND {mine} "
            f"ORDER BY i.position LIMIT 1{lock}",
            [user.pk, queue.pk, queue.reviews_wanted, at],
        )
        found = cursor.fetchone()
        if found is None:
            return _Claim(False, None)
        # Taken only if still free: a claim that chose the same session first wins.
        cursor.execute(
            f"UPDATE {items} SET held_by_id = %s, held_since = %s, held_until = %s "
            "WHERE id = %s AND (held_until IS NULL OR held_until <= %s)",
            [user.pk, at, until, found[0], at],
        )
        return _Claim(True, found[0] if cursor.rowcount == 1 else None)


def skip(item: QueueItem, user: Any) -> None:
    """Gives the session back: others get it first, and it comes to this reviewer again only
    when nothing else is left for them."""
    with transaction.atomic():
        _release(item, user)
        QueueReview.objects.get_or_create(item=item, reviewer=user, defaults={"status": ""})


def _release(item: QueueItem, user: Any) -> None:
    QueueItem.objects.filter(pk=item.pk, held_by=user).update(
        held_by=None, held_since=None, held_until=None
    )


def finish(item: QueueItem, user: Any, verdict: ReviewStatus, now: datetime | None = None) -> bool:
    """Records the reviewer's verdict and gives the session back. When the reviews wanted are
    in and agree, their verdict becomes the session's status; when they differ, it waits for
    a lead. False when this reviewer had given their verdict on it already."""
    now = now or timezone.now()
    held_since = item.held_since if item.held_by_id == user.pk else None
    seconds = int((now - held_since).total_seconds()) if held_since else None
    with transaction.atomic():
        review, made = QueueReview.objects.get_or_create(
            item=item, reviewer=user, defaults={"status": verdict, "at": now, "seconds": seconds}
        )
        if not made and not review.skipped:
            _release(item, user)
            return False
        if not made:
            review.status, review.at, review.seconds = verdict, now, seconds
            review.save(update_fields=["status", "at", "seconds"])
        QueueItem.objects.filter(pk=item.pk).update(reviews_done=F("reviews_done") + 1)
        _release(item, user)
        item.refresh_from_db()
        if item.final_status or item.reviews_done < item.queue.reviews_wanted:
            return True
        verdicts = set(item.reviews.exclude(status="").values_list("status", flat=True))
        if len(verdicts) == 1:
            _settle(item, user, ReviewStatus(verdicts.pop()), None, now)
    return True


def resolve(item: QueueItem, lead: Any, status: ReviewStatus) -> None:
    """A lead's final answer on a session whose reviews differ (or any other of the queue)."""
    with transaction.atomic():
        _settle(item, lead, status, lead, timezone.now())


def _settle(item: QueueItem, actor: Any, status: ReviewStatus, lead: Any, now: datetime) -> None:
    QueueItem.objects.filter(pk=item.pk).update(
        final_status=status, settled_by=lead, settled_at=now, held_by=None, held_until=None
    )
    item.final_status, item.settled_by, item.settled_at = status, lead, now
    actions.set_status(item.session, actor, status)


def delete_queue(queue: Queue, user: Any) -> int:
    """Deletes the queue and keeps what its reviewers did: flags are ordinary flags already,
    and an unsettled session's verdicts become its status when they agree, or else a note
    that lists them. Returns how many sessions kept such a verdict."""
    kept = 0
    with transaction.atomic():
        unsettled = (
            queue.items.filter(final_status="", reviews_done__gt=0)
            .select_related("session")
            .prefetch_related("reviews__reviewer")
        )
        for item in unsettled:
            given = [review for review in item.reviews.all() if not review.skipped]
            verdicts = {review.status for review in given}
            if len(verdicts) == 1:
                actions.set_status(item.session, user, ReviewStatus(verdicts.pop()))
            else:
                said = "; ".join(
                    f"{_name(review.reviewer)}: {ReviewStatus(review.status).label}"
                    for review in given
                )
                actions.add_note(item.session, user, f"Verdicts in the queue “{queue}”: {said}")
            kept += 1
        queue.delete()
    return kept


def _name(user: Any) -> str:
    return user.get_username() if user is not None else "a former user"


# --- what a reviewer has waiting ----------------------------------------------------------


def waiting(user: Any, queues: QuerySet[Queue] | None = None) -> QuerySet[QueueItem]:
    """The sessions of the reviewer's queues they could take: open, wanting reviews, and not
    reviewed by them (skipped ones count)."""
    queues = queues if queues is not None else Queue.objects.filter(reviewers=user)
    reviewed = QueueReview.objects.filter(reviewer=user).exclude(status="")
    return QueueItem.objects.filter(
        queue__in=queues, final_status="", reviews_done__lt=F("queue__reviews_wanted")
    ).exclude(pk__in=reviewed.values("item_id"))


def waiting_count(user: Any) -> int:
    """What the header shows: how many sessions wait for this reviewer, in all their queues."""
    return waiting(user).count()


# --- progress and agreement ---------------------------------------------------------------


@dataclass
class Progress:
    total: int = 0
    done: int = 0  # settled, or with every review wanted in
    held: int = 0
    left: int = 0
    awaiting_lead: int = 0
    median_seconds: float | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class ReviewerProgress:
    reviewer: Any
    done: int
    held: int
    left: int
    median_seconds: float | None


def progress(queue: Queue, now: datetime | None = None) -> Progress:
    now = now or timezone.now()
    wanted = queue.reviews_wanted
    figures = queue.items.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=~Q(final_status="") | Q(reviews_done__gte=wanted)),
        held=Count("pk", filter=Q(held_until__gt=now)),
        awaiting=Count("pk", filter=Q(final_status="", reviews_done__gte=wanted)),
    )
    seconds = QueueReview.objects.filter(item__queue=queue, seconds__isnull=False)
    return Progress(
        total=figures["total"],
        done=figures["done"],
        held=figures["held"],
        left=figures["total"] - figures["done"],
        awaiting_lead=figures["awaiting"],
        median_seconds=_median(seconds.values_list("seconds", flat=True)),
    )


def reviewer_progress(queue: Queue, now: datetime | None = None) -> list[ReviewerProgress]:
    """Each assigned reviewer's share: verdicts given, sessions held now, and sessions left
    that they could still take."""
    now = now or timezone.now()
    times: dict[int, list[int]] = defaultdict(list)
    done: dict[int, int] = defaultdict(int)
    for reviewer_id, seconds in (
        QueueReview.objects.filter(item__queue=queue).exclude(status="")
    ).values_list("reviewer_id", "seconds"):
        done[reviewer_id] += 1
        if seconds is not None:
            times[reviewer_id].append(seconds)
    held = dict(
        queue.items.filter(held_until__gt=now)
        .values_list("held_by_id")
        .annotate(n=Count("pk"))
        .values_list("held_by_id", "n")
    )
    rows = []
    for reviewer in queue.reviewers.order_by("username"):
        left = waiting(reviewer, Queue.objects.filter(pk=queue.pk)).count()
        rows.append(
            ReviewerProgress(
                reviewer,
                done[reviewer.pk],
                held.get(reviewer.pk, 0),
                left,
                _median(times[reviewer.pk]),
            )
        )
    return rows


def _median(values: Iterable[int | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


@dataclass
class Agreement:
    sessions: int  # with two verdicts or more: what the figures rest on
    percent: float | None  # of pairs of verdicts on a session that are the same
    alpha: float | None  # Krippendorff's, nominal


def agreement(queue: Queue) -> Agreement:
    """How far the reviewers agree on status, over the sessions two or more reviewed."""
    by_item: dict[int, dict[Any, str]] = defaultdict(dict)
    for item, reviewer, status in (
        QueueReview.objects.filter(item__queue=queue)
        .exclude(status="")
        .values_list("item_id", "reviewer_id", "status")
    ):
        by_item[item][reviewer] = status
    return agreement_of(list(by_item.values()))


def agreement_of(sessions: list[dict[Any, str]]) -> Agreement:
    """Percent agreement and Krippendorff's alpha (nominal) of these sessions' verdicts, each
    a mapping of reviewer to verdict. Sessions with fewer than two verdicts tell nothing of
    agreement and are left out."""
    rated = [given for given in sessions if len(given) >= 2]
    if not rated:
        return Agreement(0, None, None)
    pairs = agreeing = 0
    for given in rated:
        said = list(given.values())
        for n, first in enumerate(said):
            pairs += len(said) - n - 1
            agreeing += sum(first == second for second in said[n + 1 :])
    codes = {status: n for n, status in enumerate(sorted({s for g in rated for s in g.values()}))}
    raters = sorted({reviewer for given in rated for reviewer in given}, key=str)
    # Raters as rows, sessions as columns; NaN where a reviewer gave no verdict.
    table = [
        [float(codes[given[r]]) if r in given else float("nan") for given in rated] for r in raters
    ]
    # With one verdict only among them all, alpha is undefined (no disagreement to expect).
    alpha = (
        float(krippendorff.alpha(reliability_data=table, level_of_measurement="nominal"))
        if len(codes) > 1
        else None
    )
    return Agreement(len(rated), 100 * agreeing / pairs, alpha)


# --- a lead's view ------------------------------------------------------------------------


def awaiting_lead(queue: Queue) -> QuerySet[QueueItem]:
    """Sessions whose reviews are in and differ: a lead picks the final status."""
    return queue.items.filter(final_status="", reviews_done__gte=queue.reviews_wanted)


def side_by_side(item: QueueItem) -> list[tuple[QueueReview, list[Flag]]]:
    """Each reviewer's verdict on the session with the flags they put on it since it joined
    the queue."""
    reviews = list(item.reviews.exclude(status="").select_related("reviewer"))
    flags: dict[int | None, list[Flag]] = defaultdict(list)
    for flag in Flag.objects.filter(
        session_id=item.session_id, created_at__gte=item.added_at
    ).select_related("line"):
        flags[flag.author_id].append(flag)
    return [(review, flags[review.reviewer_id]) for review in reviews]


RESULT_HEADER = [
    "queue",
    "character_id",
    "session_id",
    "reviewer",
    "verdict",
    "reviewed_at",
    "seconds",
    "final_status",
    "settled_by",
]


def result_rows(queue: Queue) -> Iterator[list[Any]]:
    """The queue's results: a row per session and reviewer (a session nobody reviewed yet
    has one, without a reviewer), each with the final verdict."""
    reviews: dict[int, list[QueueReview]] = defaultdict(list)
    for review in (
        QueueReview.objects.filter(item__queue=queue).exclude(status="").select_related("reviewer")
    ):
        reviews[review.item_id].append(review)
    items = queue.items.select_related("session__character", "settled_by").order_by("position")
    for item in items.iterator(chunk_size=2000):
        common = [queue.name, item.session.character.character_id, item.session.session_id]
        final = [item.final_status, _name(item.settled_by) if item.settled_by_id else ""]
        for review in reviews.get(item.pk) or [None]:  # type: ignore[list-item]
            if review is None:
                yield [*common, "", "", "", "", *final]
            else:
                yield [
                    *common,
                    _name(review.reviewer),
                    review.status,
                    review.at.isoformat(),
                    "" if review.seconds is None else review.seconds,
                    *final,
                ]


def blinded_since(session: ChatSession, reader: Any) -> datetime | None:
    """When the reader's view of this session's review became blind: the earliest time it
    joined a blind queue of theirs whose reviews of it are not all in. None when it is in
    none."""
    if reader is None or reader.pk is None:
        return None
    found = QueueItem.objects.filter(
        session=session,
        final_status="",
        reviews_done__lt=F("queue__reviews_wanted"),
        queue__blind=True,
        queue__reviewers=reader,
    ).aggregate(since=Min("added_at"))
    return found["since"]
