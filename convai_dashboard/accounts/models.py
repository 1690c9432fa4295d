"""Teams, their members and roles, their API keys, and which Convai characters each team holds.

A character's history is stored once (history.models.ConvaiCharacter); a team reaches it
through a CharacterAccess that Convai confirmed under one of the team's keys, and its members
read it with the role their membership gives (accounts.roles). This app knows nothing of
history, so the two are joined by Convai's character ID.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from convai_dashboard.accounts import crypto
from convai_dashboard.prepared import Prepared

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(models.TextChoices):
    """What a member may do in a team, each role all that the one before may and more; what
    each action needs is in accounts.roles."""

    VIEWER = "viewer", "Viewer"
    REVIEWER = "reviewer", "Reviewer"
    LEAD = "lead", "Lead"
    ADMIN = "admin", "Admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @staticmethod
    def highest_first() -> list[str]:
        """An ordering of memberships, highest role first. The values' alphabetical order
        is the reverse of the roles' (tests/test_roles.py holds it), and ordering by the
        column keeps constants out of the prepared queries that read a reader's role."""
        return ["role"]


class Team(models.Model):
    """A game, a studio or a vendor: it holds API keys and the characters proven under them,
    and its members read those characters' history without any key of their own."""

    # Long enough for a personal team, named after its user.
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Its members give a one-time code (TOTP) after signing in (accounts/second_factor.py).
    require_second_factor = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role, default=Role.VIEWER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} as {self.get_role_display()}"


class TeamQuerySet(models.QuerySet):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> Self:
        """Rows of the teams the user is a member of, in any role."""
        return self.filter(team__memberships__user_id=user.pk)

    def administered_by(self, user: AbstractBaseUser | AnonymousUser) -> Self:
        """Rows of the teams the user administers: only their admins see or change keys."""
        return self.filter(team__memberships__user_id=user.pk, team__memberships__role=Role.ADMIN)


class ApiKey(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=100)
    # Fernet token; the key in clear is never stored, logged, or sent back to a browser.
    encrypted_key = models.TextField()
    last_four = models.CharField(max_length=4)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Why a key was saved without full verification (for instance the plan cannot list
    # characters, or Convai was unreachable at the time).
    verification_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["team__name", "label"]
        constraints = [
            models.UniqueConstraint(fields=["team", "label"], name="unique_key_label_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.masked})"

    @property
    def masked(self) -> str:
        return f"…{self.last_four}"

    @sensitive_variables()
    def set_secret(self, secret: str) -> None:
        self.encrypted_key = crypto.encrypt(secret)
        self.last_four = secret[-4:]

    @sensitive_variables()
    def secret(self) -> str:
        return crypto.decrypt(self.encrypted_key)


class AccessQuerySet(TeamQuerySet):
    def active(self) -> Self:
        """Accesses that let their holder read the history: not suspended."""
        return self.filter(suspended_at__isnull=True)


class CharacterAccess(models.Model):
    """One team's hold on a Convai character: the team's key, the name its members see, and
    when Convai last confirmed that key for the character.

    A row exists only once Convai has accepted the character under one of the team's keys, by a
    real call (accounts.checks); typing an ID grants nothing. When Convai later refuses that key
    for the character, the access is suspended, and the history is hidden from the team until
    a working key confirms it again.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="accesses")
    # A deleted key suspends the accesses it proved; the history itself is untouched.
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="accesses"
    )
    character_id = models.CharField(max_length=128)
    # Empty when Convai would not tell the name (the Character API is on another plan tier).
    name = models.CharField(max_length=200, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(default=timezone.now)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)

    objects = AccessQuerySet.as_manager()

    class Meta:
        ordering = ["team__name", "name", "character_id"]
        verbose_name_plural = "character accesses"
        constraints = [
            models.UniqueConstraint(fields=["team", "character_id"], name="unique_access_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.team} → {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.name or self.character_id

    @property
    def is_active(self) -> bool:
        return self.suspended_at is None


class Theme(models.TextChoices):
    AUTO = "auto", "As the system"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class TimeDisplay(models.TextChoices):
    UTC = "utc", "UTC"
    LOCAL = "local", "Local time"


class Preferences(models.Model):
    """How one user likes to read: belongs to the user alone. A user without a row reads with
    the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    # Consecutive lines of one speaker grouped, labels not repeated, times on hover or focus.
    compact = models.BooleanField(default=False)
    times = models.CharField(max_length=8, choices=TimeDisplay, default=TimeDisplay.UTC)
    theme = models.CharField(max_length=8, choices=Theme, default=Theme.AUTO)

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.user}"

    @classmethod
    def of(cls, user: AbstractBaseUser | AnonymousUser) -> Preferences:
        """The user's preferences, or the defaults (unsaved) for a user who set none."""
        if not user.is_authenticated:
            return cls()
        found = _preferences_of(user.pk)
        return found[0] if found else cls(user_id=user.pk)


# Read by every page that shows a user's theme or times (pages.preferences).
_preferences_of = Prepared(lambda user_id: Preferences.objects.filter(user_id=user_id), int)


class AuditEntry(models.Model):
    """One change of a team's members, roles, invitations or keys, as its admins read it."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="audit_entries")
    # Kept when the actor's account goes: the entry says who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    what = models.CharField(max_length=500)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.what}"


class Invitation(models.Model):
    """A link an admin sends to someone to join a team with a role: used once, and only
    before it expires. Only a digest of its token is stored, as of a password."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=10, choices=Role)
    token_digest = models.CharField(max_length=64, unique=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation to {self.team} as {self.get_role_display()}"

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()
