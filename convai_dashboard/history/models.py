"""The local store of Convai history.

Identities are stable across re-syncs, because review data will hang on them: a session is
(character, Convai's session ID); an interaction is (session, timestamp, ordinal among those
sharing that timestamp); a line is (interaction, position). Re-fetching updates rows in place
and never deletes one, so primary keys, and anything pointing at them, survive.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from convai_dashboard.accounts.models import Character

PLAYER = "User"
CHARACTER = "Character"
EVENT_PREFIX = "[An Event has occurred]"
REFUSAL_PREFIX = "Your message was rejected because it contained content that is not allowed"


class ChatSession(models.Model):
    # Not indexed alone: unique_session_per_character starts with it and serves its lookups.
    character = models.ForeignKey(
        Character, on_delete=models.CASCADE, related_name="sessions", db_index=False
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

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["character", "session_id"], name="unique_session_per_character"
            )
        ]
        # Keyset pagination walks these in either direction, for each sort of the list.
        indexes = [
            models.Index(fields=["character", "started_at", "session_id"], name="session_by_start"),
            models.Index(
                fields=["character", "interaction_count", "session_id"], name="session_by_length"
            ),
            # Holds every column a filter reads, so counting the matches of any filter reads
            # this index alone, never the table.
            models.Index(
                fields=[
                    "character",
                    "in_memory",
                    "has_trigger",
                    "has_other_speaker",
                    "started_at",
                    "interaction_count",
                    "transcript_fetched_at",
                ],
                name="session_filters",
            ),
        ]

    def __str__(self) -> str:
        return self.session_id


class Interaction(models.Model):
    # Not indexed alone: unique_interaction_in_session starts with it and serves its lookups.
    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    occurred_at = models.DateTimeField()
    # Tells apart interactions that share a timestamp, in the order Convai gave them.
    ordinal = models.PositiveSmallIntegerField(default=0)
    is_trigger_input = models.BooleanField(default=False)

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
        return not any(line.speaker == PLAYER and line.text.strip() for line in self.lines.all())


class Line(models.Model):
    """One turn of an interaction: who spoke, and what."""

    # Not indexed alone: unique_line_in_interaction starts with it and serves its lookups.
    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    # Denormalised so search and review can reach a line's session without a join.
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="lines")
    # Denormalised too (a session never changes character), so search filters hits by owner
    # without joining sessions: PostgreSQL hashed all of a character's sessions to do that.
    # Not indexed: search finds lines by their text first, and only then filters by character.
    character = models.ForeignKey(
        Character, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    position = models.PositiveSmallIntegerField()
    speaker = models.CharField(max_length=100)
    text = models.TextField(blank=True)
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
    def kind(self) -> str:
        """How a reader should see the line: player, trigger, event, character or other.

        Needs the interaction loaded (the transcript view prefetches it).
        """
        if self.speaker == PLAYER:
            if self.interaction.is_trigger_input:
                return "trigger"
            # Games also send events as ordinary player text, without the trigger flag.
            if self.text.startswith(EVENT_PREFIX):
                return "event"
            return "player"
        if self.speaker == CHARACTER:
            return "character"
        return "other"

    @property
    def anchor(self) -> str:
        """The line's id in its transcript page: made of what identifies it, so a link to it
        survives re-syncs and works in a colleague's copy (needs the interaction loaded)."""
        at = self.interaction.occurred_at
        return f"line-{at:%Y%m%dT%H%M%S%f}-{self.interaction.ordinal}-{self.position}"

    @property
    def is_refusal(self) -> bool:
        return self.speaker == CHARACTER and self.text.startswith(REFUSAL_PREFIX)

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()


class SyncRunQuerySet(models.QuerySet):
    def active(self) -> SyncRunQuerySet:
        return self.filter(status__in=SyncRun.ACTIVE)


class SyncRun(models.Model):
    """One sync of a character's whole history, with its progress and outcome."""

    QUEUED, RUNNING, DONE, FAILED, CANCELLED, INTERRUPTED = (
        "queued",
        "running",
        "done",
        "failed",
        "cancelled",
        "interrupted",
    )
    STATUSES = [
        (QUEUED, "Queued"),
        (RUNNING, "Running"),
        (DONE, "Done"),
        (FAILED, "Failed"),
        (CANCELLED, "Cancelled"),
        (INTERRUPTED, "Interrupted"),
    ]
    ACTIVE = (QUEUED, RUNNING)

    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="sync_runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(max_length=12, choices=STATUSES, default=QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written with every progress update; a running sync whose heartbeat stops was killed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    sessions_total = models.PositiveIntegerField(null=True, blank=True)
    sessions_done = models.PositiveIntegerField(default=0)
    new_sessions = models.PositiveIntegerField(default=0)
    transcripts_fetched = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    last_failure = models.TextField(blank=True)
    # Why a run stopped early (invalid key, Convai unreachable, cancelled, interrupted).
    stop_reason = models.TextField(blank=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Two syncs of one character never run at once, whichever process starts them.
            models.UniqueConstraint(
                fields=["character"],
                condition=models.Q(status__in=("queued", "running")),
                name="one_active_sync_per_character",
            )
        ]

    def __str__(self) -> str:
        return f"Sync of {self.character} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if not self.sessions_total:
            return 100 if self.status == self.DONE else 0
        return round(100 * self.sessions_done / self.sessions_total)

    @property
    def seconds_left(self) -> float | None:
        """Estimated from the pace so far; None until there is a pace to go by."""
        if self.status != self.RUNNING or not self.sessions_total or not self.sessions_done:
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
