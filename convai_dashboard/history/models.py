"""The local store of Convai history: one history per Convai character, shared by every user
who holds that character (accounts.models.CharacterAccess).

Identities are stable across re-syncs, because review data will hang on them: a session is
(character, Convai's session ID); an interaction is (session, timestamp, ordinal among those
sharing that timestamp); a line is (interaction, position). Re-fetching updates rows in place
and never deletes one, so primary keys, and anything pointing at them, survive.

Not every part of the schema is a model field: the full-text index of lines is SQLite's FTS5
table `history_line_fts` with its triggers (migrations 0004 and 0009) or PostgreSQL's stored
`search_vector` column with its GIN index (migration 0007) and the GIN index of adjacent word
pairs, `history_line_word_pairs` over the function `history_word_pairs` (migration 0019).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.functional import cached_property

from convai_dashboard.accounts import roles
from convai_dashboard.accounts.models import CharacterAccess, Membership, Role
from convai_dashboard.history.holder import Holder
from convai_dashboard.prepared import Prepared

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Speaker(models.TextChoices):
    """The speakers Convai names. Any other value is kept as sent: a third kind of speaker."""

    PLAYER = "User", "Player"
    CHARACTER = "Character", "Character"


class LineKind(models.TextChoices):
    """How a reader sees a line (Line.kind), labelled as the transcript, the backlog and the
    exports all name its speaker; a character's line shows the character's name instead, and
    another speaker's line the name Convai sent, when it sent one."""

    PLAYER = "player", "Player"
    TRIGGER = "trigger", "Game trigger"
    EVENT = "event", "Game event"
    CHARACTER = "character", "Character"
    OTHER = "other", "Other speaker"


class ReviewStatus(models.TextChoices):
    """Where a session stands in the team's review (the review app changes it)."""

    UNREVIEWED = "unreviewed", "Unreviewed"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    NEEDS_CHANGES = "needs_changes", "Needs changes"


class ConvaiFailure(models.TextChoices):
    """Why Convai could not be asked about a character, as the pages' offline banner says it."""

    UNREACHABLE = "unreachable", "Convai could not be reached"
    REFUSED = "refused", "Convai refused the API key"
    RATE_LIMITED = "rate_limited", "Convai is limiting this key's requests"
    UNREADABLE = "unreadable", "Convai's answer could not be read"
    ERROR = "error", "Convai answered with an error"


EVENT_PREFIX = "[An Event has occurred]"
FIRST_LINE_LENGTH = 200
REFUSAL_PREFIX = "Your message was rejected because it contained content that is not allowed"


class ConvaiCharacterQuerySet(models.QuerySet["ConvaiCharacter"]):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> ConvaiCharacterQuerySet:
        """The histories this user may read: those of characters one of their teams holds an
        active access to. Every query that reads history starts here, so anything else is a
        404 by construction."""
        # An anonymous user's pk is None; no user's is 0.
        return self.for_member(user.pk or 0)

    def for_member(self, user_id: int) -> ConvaiCharacterQuerySet:
        held = CharacterAccess.objects.filter(team__memberships__user_id=user_id).active()
        return self.filter(character_id__in=held.values("character_id"))

    def with_reader_role(self, user_id: int) -> ConvaiCharacterQuerySet:
        """Each history with `reader_role`: the highest role the user has in a team that holds
        it actively, or None when none does."""
        roles = Membership.objects.filter(
            user_id=user_id,
            team__accesses__character_id=OuterRef("character_id"),
            team__accesses__suspended_at__isnull=True,
        ).order_by(*Role.highest_first())
        return self.annotate(reader_role=Subquery(roles.values("role")[:1]))

    def all_held(self, user: AbstractBaseUser | AnonymousUser) -> list[ConvaiCharacter]:
        """Every history the user may read, oldest first: what a search covers."""
        return _all_held(user.pk) if isinstance(user.pk, int) else []

    def held_by(self, user: AbstractBaseUser | AnonymousUser, character_id: str) -> ConvaiCharacter:
        """The history of a character the user's teams hold, with the user's `reader_role`,
        made when it is first needed. Raises CharacterAccess.DoesNotExist when none of their
        teams holds an active access to it."""
        # Every page of a character starts here: one query once its history exists.
        held = _held_by(user.pk, character_id) if isinstance(user.pk, int) else []
        if held and held[0].reader_role is not None:
            return held[0]
        if held:
            raise CharacterAccess.DoesNotExist
        # Two of the user's teams may hold it: any one's access names it.
        accesses = CharacterAccess.objects.for_user(user).active()
        access = accesses.filter(character_id=character_id).first()
        if access is None:
            raise CharacterAccess.DoesNotExist
        character, _ = self.get_or_create(character_id=character_id, defaults={"name": access.name})
        return self.with_reader_role(user.pk or 0).get(pk=character.pk)


class ConvaiCharacter(models.Model):
    """A Convai character, stored once: the root of its history, whoever holds it."""

    character_id = models.CharField(max_length=128, unique=True)
    # The name Convai last gave any holder; each holder's own is on their access.
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sessions_refreshed_at = models.DateTimeField(null=True, blank=True)
    # Sessions stored, kept up to date by the store so a page never counts them all.
    session_count = models.PositiveIntegerField(default=0)
    # The last time Convai could not be asked about this character, and why: pages show it so
    # a reader knows the stored data may be behind.
    convai_error = models.TextField(blank=True)
    convai_error_at = models.DateTimeField(null=True, blank=True)
    # What kind of failure that was; empty for one recorded before kinds were (the banner then
    # says what it always said).
    convai_error_kind = models.CharField(max_length=12, choices=ConvaiFailure, blank=True)
    # Counted up by the store each time it writes sessions or transcripts: what is worked out
    # from them (the overview's counts) is cached under it, and a write makes that cache old.
    stored_version = models.PositiveBigIntegerField(default=0)
    # Counted up with each change of a session's review status (review.actions.set_status, the
    # one place that changes it): the overview's status counts are cached under both.
    review_version = models.PositiveBigIntegerField(default=0)

    # The role the reading user has in it, set by ConvaiCharacter.objects.held_by; None for a
    # history read without a reader.
    reader_role: str | None = None

    objects = ConvaiCharacterQuerySet.as_manager()

    class Meta:
        ordering = ["name", "character_id"]

    def __str__(self) -> str:
        return self.display_name

    @cached_property
    def reader_can(self) -> dict[str, bool]:
        """What the reading user may do with this history, by action (accounts.roles)."""
        return roles.can(self.reader_role)

    @property
    def display_name(self) -> str:
        return self.name or self.character_id

    @property
    def convai_unreachable_since_refresh(self) -> bool:
        if self.convai_error_at is None:
            return False
        return (
            self.sessions_refreshed_at is None or self.convai_error_at > self.sessions_refreshed_at
        )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class ChatSessionQuerySet(models.QuerySet):
    def matching(self, filters: dict[str, Any]) -> ChatSessionQuerySet:
        """Sessions that pass the list's filters (pages.list_forms.SessionListForm's cleaned
        data) that are the history's own; each is a bound on a column of an index. The tag
        filter is the review app's (review.queries.tagged)."""
        sessions = self
        if filters.get("status"):
            sessions = sessions.filter(review_status=filters["status"])
        # Whole UTC days.
        if filters.get("start_from"):
            sessions = sessions.filter(started_at__gte=_midnight(filters["start_from"]))
        if filters.get("start_to"):
            sessions = sessions.filter(
                started_at__lt=_midnight(filters["start_to"] + timedelta(days=1))
            )
        for name, field in (
            ("memory", "in_memory"),
            ("trigger", "has_trigger"),
            ("other_speaker", "has_other_speaker"),
        ):
            if filters.get(name):
                sessions = sessions.filter(**{field: filters[name] == "yes"})
        if filters.get("stored"):
            sessions = sessions.filter(transcript_fetched_at__isnull=filters["stored"] == "no")
        low, high = filters.get("min_interactions"), filters.get("max_interactions")
        if low is not None or high is not None:
            # Counts are known only for stored transcripts.
            sessions = sessions.filter(transcript_fetched_at__isnull=False)
        if low is not None:
            sessions = sessions.filter(interaction_count__gte=low)
        if high is not None:
            sessions = sessions.filter(interaction_count__lte=high)
        return sessions


class ChatSession(models.Model):
    # Not indexed alone: unique_session_per_character starts with it and serves its lookups.
    character = models.ForeignKey(
        ConvaiCharacter, on_delete=models.CASCADE, related_name="sessions", db_index=False
    )
    session_id = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    in_memory = models.BooleanField(default=False)
    # 0 until the transcript has been fetched (transcript_fetched_at says which).
    interaction_count = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(default=timezone.now)
    listed_at = models.DateTimeField(default=timezone.now)
    transcript_fetched_at = models.DateTimeField(null=True, blank=True)
    # The newest interaction stored: a transcript fetched soon after it may still have grown.
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    # Known once the transcript is stored; kept on the session so filters need no join.
    has_trigger = models.BooleanField(null=True, blank=True)
    has_other_speaker = models.BooleanField(null=True, blank=True)
    # False once a refresh of the list no longer finds it on Convai; it stays stored.
    on_convai = models.BooleanField(default=True)
    # Known once the transcript is stored, and kept on the session so a row of the list shows
    # them without reading lines: the first thing the player typed or said (not a trigger or
    # an event), cut to a row's length, and whether Convai's moderation refused anything.
    # A database default serves the store's raw inserts of session lists.
    first_player_line = models.CharField(
        max_length=FIRST_LINE_LENGTH, blank=True, default="", db_default=""
    )
    has_refusal = models.BooleanField(null=True, blank=True)
    # Review data, kept on the session (not in the review app's tables) so the list filters by
    # status through an index. The store's upserts never write these columns, so a re-sync
    # leaves them as they are; a database default serves its raw inserts.
    review_status = models.CharField(
        max_length=14,
        choices=ReviewStatus,
        default=ReviewStatus.UNREVIEWED,
        db_default=ReviewStatus.UNREVIEWED,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = ChatSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["character", "session_id"], name="unique_session_per_character"
            )
        ]
        # Keyset pagination walks these in either direction, for each sort of the list.
        indexes = [
            # After the list's order, every column the overview of a period counts, so that
            # each of its aggregates is one range scan of this index and never reads the table
            # (history.overview). Wider than the list needs; a second index for the overview
            # alone cost more to write (docs/performance.md, "Overview").
            models.Index(
                fields=[
                    "character",
                    "started_at",
                    "session_id",
                    "review_status",
                    "in_memory",
                    "has_trigger",
                    "interaction_count",
                    "transcript_fetched_at",
                ],
                name="session_by_start",
            ),
            models.Index(
                fields=["character", "interaction_count", "session_id"], name="session_by_length"
            ),
            # The list filtered by review status, and "next unreviewed", newest or oldest first.
            models.Index(
                fields=["character", "review_status", "started_at", "session_id"],
                name="session_by_status",
            ),
            # Holds every column a filter reads, so counting the matches of any filter reads
            # this index alone, never the table. The longest sort's key follows the memory
            # and trigger filters, so that list starts its read at the cursor however sparse
            # its matches are among the sessions of that length (docs/performance.md,
            # "Keyset pages at depth").
            models.Index(
                fields=[
                    "character",
                    "in_memory",
                    "has_trigger",
                    "interaction_count",
                    "session_id",
                    "has_other_speaker",
                    "started_at",
                    "transcript_fetched_at",
                ],
                name="session_filters",
            ),
        ]

    def __str__(self) -> str:
        return self.session_id

    @property
    def is_unreviewed(self) -> bool:
        return self.review_status == ReviewStatus.UNREVIEWED

    @property
    def duration(self) -> float | None:
        """Seconds from its start to its last stored interaction, once the transcript is."""
        if self.last_interaction_at is None:
            return None
        return max(0.0, (self.last_interaction_at - self.started_at).total_seconds())


class Interaction(models.Model):
    # Not indexed alone: unique_interaction_in_session starts with it and serves its lookups.
    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    occurred_at = models.DateTimeField()
    # Tells apart interactions that share a timestamp, in the order Convai gave them.
    ordinal = models.PositiveSmallIntegerField(default=0)
    is_trigger_input = models.BooleanField(default=False)
    # The transcript went on past what the store keeps (convai.records.LINES_MAX) in this
    # interaction: its further turns, and any further interactions, were cut. A database
    # default lets migration 0012 add the column without rebuilding the table on SQLite.
    truncated = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["occurred_at", "ordinal"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "occurred_at", "ordinal"], name="unique_interaction_in_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id} @ {self.occurred_at.isoformat()}"

    @property
    def character_spoke_first(self) -> bool:
        """No player, trigger or event text opened this exchange (uses prefetched lines)."""
        return not any(line.is_player and line.text.strip() for line in self.lines.all())


class Line(models.Model):
    """One turn of an interaction: who spoke, and what."""

    # Not indexed alone: unique_line_in_interaction starts with it and serves its lookups.
    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    # Denormalised so search and review can reach a line's session without a join.
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="lines")
    # Denormalised too (a session never changes character), so search filters hits by the
    # reader's characters without joining sessions: PostgreSQL hashed all of a character's
    # sessions to do that. Not indexed: search finds lines by their text first, and only then
    # filters by character.
    character = models.ForeignKey(
        ConvaiCharacter, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    position = models.PositiveSmallIntegerField()
    speaker = models.CharField(max_length=100)
    text = models.TextField(blank=True)
    # The speaker or the text was longer than the store keeps (convai.records), and was cut.
    truncated = models.BooleanField(default=False, db_default=False)
    # The text folded for full-text search (text.fold); both search engines index this.
    search_text = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "position"], name="unique_line_in_interaction"
            )
        ]

    def __str__(self) -> str:
        return f"{self.speaker}: {self.text[:40]}"

    @property
    def kind(self) -> LineKind:
        """How a reader should see the line. Needs the interaction loaded (the transcript view
        prefetches it)."""
        if self.speaker == Speaker.PLAYER:
            if self.interaction.is_trigger_input:
                return LineKind.TRIGGER
            # Games also send events as ordinary player text, without the trigger flag.
            if self.text.startswith(EVENT_PREFIX):
                return LineKind.EVENT
            return LineKind.PLAYER
        if self.speaker == Speaker.CHARACTER:
            return LineKind.CHARACTER
        return LineKind.OTHER

    def speaker_label(self, character: ConvaiCharacter) -> str:
        """Who said the line, as pages and exports show it; `character` is the line's, which
        the caller holds already. Needs the interaction loaded."""
        kind = self.kind
        if kind == LineKind.CHARACTER:
            return character.display_name
        if kind == LineKind.OTHER and self.speaker:
            return self.speaker
        return kind.label

    @property
    def is_player(self) -> bool:
        return self.speaker == Speaker.PLAYER

    @property
    def anchor(self) -> str:
        """The line's id in its transcript page: made of what identifies it, so a link to it
        survives re-syncs and works in a colleague's copy (needs the interaction loaded)."""
        at = self.interaction.occurred_at
        return f"line-{at:%Y%m%dT%H%M%S%f}-{self.interaction.ordinal}-{self.position}"

    @property
    def is_refusal(self) -> bool:
        return self.speaker == Speaker.CHARACTER and self.text.startswith(REFUSAL_PREFIX)

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()


class SyncRunQuerySet(models.QuerySet):
    def active(self) -> SyncRunQuerySet:
        return self.filter(status__in=SyncStatus.active())


class SyncStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    INTERRUPTED = "interrupted", "Interrupted"

    @classmethod
    def active(cls) -> tuple[SyncStatus, SyncStatus]:
        return (cls.QUEUED, cls.RUNNING)


class SyncRun(models.Model):
    """One sync of a character's whole history, with its progress and outcome. A character has
    one history, so one sync at a time serves every holder, whoever started it."""

    character = models.ForeignKey(
        ConvaiCharacter, on_delete=models.CASCADE, related_name="sync_runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(max_length=12, choices=SyncStatus, default=SyncStatus.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written with every progress update; a running sync whose heartbeat stops was killed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The process that holds the run (history.holder): set when a worker starts it, or when a
    # command claims it to run at once. A run whose process is gone from this host is taken
    # over at once; one held on another host only once its heartbeat is stale.
    holder_host = models.CharField(max_length=255, blank=True)
    holder_pid = models.PositiveIntegerField(null=True, blank=True)
    holder_started = models.CharField(max_length=100, blank=True)
    cancel_requested = models.BooleanField(default=False)
    sessions_total = models.PositiveIntegerField(null=True, blank=True)
    sessions_done = models.PositiveIntegerField(default=0)
    new_sessions = models.PositiveIntegerField(default=0)
    transcripts_fetched = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    last_failure = models.TextField(blank=True)
    # Why a run stopped early (no working key, Convai unreachable, cancelled, interrupted).
    stop_reason = models.TextField(blank=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Two syncs of one character never run at once, whichever process starts them.
            models.UniqueConstraint(
                fields=["character"],
                condition=models.Q(status__in=SyncStatus.active()),
                name="one_active_sync_per_character",
            )
        ]

    def __str__(self) -> str:
        return f"Sync of {self.character} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in SyncStatus.active()

    @property
    def is_queued(self) -> bool:
        return self.status == SyncStatus.QUEUED

    @property
    def holder(self) -> Holder | None:
        if self.holder_pid is None:
            return None
        return Holder(self.holder_host, self.holder_pid, self.holder_started)

    @property
    def percent(self) -> int:
        if not self.sessions_total:
            return 100 if self.status == SyncStatus.DONE else 0
        return round(100 * self.sessions_done / self.sessions_total)

    @property
    def seconds_left(self) -> float | None:
        """Estimated from the pace so far; None until there is a pace to go by."""
        if self.status != SyncStatus.RUNNING or not self.sessions_total or not self.sessions_done:
            return None
        if self.started_at is None:
            return None
        elapsed = (timezone.now() - self.started_at).total_seconds()
        remaining = self.sessions_total - self.sessions_done
        return elapsed / self.sessions_done * remaining

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def session_of(character: ConvaiCharacter, session_id: str) -> ChatSession | None:
    """The character's session with Convai's ID, if stored: what a transcript's page opens."""
    found = _session_of(character.pk, session_id)
    if not found:
        return None
    found[0].character = character
    return found[0]


def latest_sync_run(character: ConvaiCharacter) -> SyncRun | None:
    """The character's newest sync run, which every page of its list shows."""
    found = _latest_run(character.pk)
    return found[0] if found else None


# The queries every page of a character, and every search, starts with.
_held_by = Prepared(
    lambda user_id, character_id: ConvaiCharacter.objects.with_reader_role(user_id).filter(
        character_id=character_id
    ),
    int,
    str,
)
_all_held = Prepared(
    lambda user_id: ConvaiCharacter.objects.for_member(user_id).order_by("pk"), int
)
_session_of = Prepared(
    lambda character_pk, session_id: ChatSession.objects.filter(
        character_id=character_pk, session_id=session_id
    ),
    int,
    str,
)
_latest_run = Prepared(
    lambda character_pk: SyncRun.objects.filter(character_id=character_pk)[:1], int
)
