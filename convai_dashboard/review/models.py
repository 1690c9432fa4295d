"""Review data: what a team records about a character's shared history. It hangs on the
history's stable sessions and lines (history.models), which re-syncs update in place and never
delete, so nothing here is lost to a re-sync or a refetch. Every item names its author; every
holder of the character sees it, and nobody else (queries start from
history.models.ConvaiCharacter.objects.for_user).

A session's review status is not here but on history.ChatSession (`review_status`), so that
the session list filters by it through an index; the log of who changed it is `Activity`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Line
from convai_dashboard.prepared import Prepared


class FlagCategory(models.TextChoices):
    OUT_OF_CHARACTER = "out_of_character", "Out of character"
    LORE = "lore", "Lore or canon error"
    TONE = "tone", "Tone"
    REPETITION = "repetition", "Repetition"
    WRONG_REFUSAL = "wrong_refusal", "Refusal that should not have happened"
    BROKEN_TRIGGER = "broken_trigger", "Broken trigger or event"
    BUG = "bug", "Bug"
    OTHER = "other", "Other"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    REWRITTEN = "rewritten", "Rewritten"
    APPROVED = "approved", "Approved"
    WONT_FIX = "wont_fix", "Won't fix"


class Flag(models.Model):
    """One reviewer's judgement of one line: what is wrong, and how it should read."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="flags")
    # Denormalised (a line never changes session or character): a transcript loads its flags,
    # and a backlog its character's, each through one index and no join.
    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="flags", db_index=False
    )
    character = models.ForeignKey(
        ConvaiCharacter, on_delete=models.CASCADE, related_name="flags", db_index=False
    )
    # A deleted user's review work stays, unsigned.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    category = models.CharField(max_length=20, choices=FlagCategory)
    comment = models.TextField(blank=True)
    # How the line should have read; empty when the reviewer suggested none.
    rewrite = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=FlagStatus, default=FlagStatus.OPEN)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["session", "line"], name="flag_by_session"),
            models.Index(fields=["character", "created_at"], name="flag_by_character"),
            models.Index(fields=["created_at"], name="flag_by_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} on line {self.line_id}"

    @property
    def is_open(self) -> bool:
        return self.status == FlagStatus.OPEN


class TagColour(models.TextChoices):
    """A fixed palette, each colour with text that meets WCAG AA contrast on it."""

    GREY = "grey", "Grey"
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    TEAL = "teal", "Teal"
    BLUE = "blue", "Blue"
    VIOLET = "violet", "Violet"
    PINK = "pink", "Pink"


class Tag(models.Model):
    """A label a character's reviewers define and put on its sessions."""

    character = models.ForeignKey(ConvaiCharacter, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=40)
    colour = models.CharField(max_length=10, choices=TagColour, default=TagColour.GREY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["character", "name"], name="unique_tag_per_character")
        ]

    def __str__(self) -> str:
        return self.name


def tags_of(character: ConvaiCharacter) -> list[Tag]:
    """The character's tags by name: every page of its list offers them."""
    return _tags_of(character.pk)


_tags_of = Prepared(lambda character_pk: Tag.objects.filter(character_id=character_pk), int)


class SessionTag(models.Model):
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="links")
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="tag_links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index that finds a tag's sessions, for the list's tag filter.
            models.UniqueConstraint(fields=["tag", "session"], name="unique_tag_on_session")
        ]

    def __str__(self) -> str:
        return f"{self.tag} on {self.session_id}"


class Note(models.Model):
    """A reviewer's note on a session: plain text, shown with its line breaks, never as HTML."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    text = models.TextField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class Reading(models.Model):
    """That a user has opened a session: until then it is unread for them. Belongs to the
    user alone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="+")
    first_opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "session"], name="unique_reading_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.session_id}"


class ActivityKind(models.TextChoices):
    STATUS = "status", "Status"
    FLAG = "flag", "Flag"
    FLAG_CHANGED = "flag_changed", "Flag changed"
    TAG_ADDED = "tag_added", "Tag added"
    TAG_REMOVED = "tag_removed", "Tag removed"
    NOTE = "note", "Note"


class Activity(models.Model):
    """The session's log of who changed what, newest last."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=14, choices=ActivityKind)
    # What happened, in words, written when it happened: "set the status to Approved".
    summary = models.CharField(max_length=300)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["session", "at"], name="activity_by_session")]

    def __str__(self) -> str:
        return self.summary


# --- review queues ------------------------------------------------------------------------


class Queue(models.Model):
    """Sessions a lead hands out to a team's reviewers, each to be read `reviews_wanted` times
    by different reviewers. Its items hang on stored sessions, which re-syncs never delete."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="queues")
    name = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    due_on = models.DateField(null=True, blank=True)
    reviews_wanted = models.PositiveSmallIntegerField(default=1)
    # Until a session's reviews are in, no reviewer sees another's verdict or flags on it.
    blind = models.BooleanField(default=True)
    hold_minutes = models.PositiveSmallIntegerField(default=30)
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="review_queues")
    characters = models.ManyToManyField(ConvaiCharacter, related_name="queues")
    # How it was filled, so that a lead can add later matches and anyone can redo a sample:
    # the list's query string, and the sample's share and seed when it is a sample.
    made_from = models.TextField(blank=True)
    sample_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    seed = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reviews_wanted__gte=1, reviews_wanted__lte=5),
                name="queue_reviews_wanted_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return self.name


class QueueItem(models.Model):
    """A session in a queue: who holds it now, how many verdicts it has, and its final one."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="items")
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="+")
    # The order reviewers are given the queue's sessions in.
    position = models.PositiveIntegerField()
    added_at = models.DateTimeField(default=timezone.now)
    reviews_done = models.PositiveSmallIntegerField(default=0)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    held_since = models.DateTimeField(null=True, blank=True)
    held_until = models.DateTimeField(null=True, blank=True)
    # Set when the reviews agree, or a lead settles them; empty until then.
    final_status = models.CharField(max_length=16, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "session"], name="unique_session_per_queue")
        ]
        indexes = [
            # "Start" walks the queue's open items in order.
            models.Index(fields=["queue", "final_status", "position"], name="queue_item_next"),
            # A transcript asks whether it is in a blind queue still open.
            models.Index(fields=["session", "final_status"], name="queue_item_by_session"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} in {self.queue_id}"


class QueueReview(models.Model):
    """One reviewer's verdict on a queue's session, or that they skipped it."""

    item = models.ForeignKey(QueueItem, on_delete=models.CASCADE, related_name="reviews")
    # A deleted user's verdict stays, unsigned.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Empty for a skip: the session comes to that reviewer again only after the others.
    status = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField(default=timezone.now)
    # From "Start" to the verdict; None for a skip.
    seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "reviewer"], name="one_review_per_reviewer")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id}: {self.status or 'skipped'}"

    @property
    def skipped(self) -> bool:
        return not self.status
