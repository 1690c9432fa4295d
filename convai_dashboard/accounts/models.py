"""Users' API keys, and which Convai characters each user holds.

A character's history is stored once (history.models.ConvaiCharacter); a user reaches it
through a CharacterAccess that Convai confirmed under that user's own key. This app knows
nothing of history, so the two are joined by Convai's character ID.
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


class OwnedQuerySet(models.QuerySet):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> Self:
        return self.filter(owner_id=user.pk)


class ApiKey(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
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

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "label"], name="unique_key_label_per_owner")
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


class AccessQuerySet(OwnedQuerySet):
    def active(self) -> Self:
        """Accesses that let their holder read the history: not suspended."""
        return self.filter(suspended_at__isnull=True)


class CharacterAccess(models.Model):
    """One user's hold on a Convai character: their key, the name they see, and when Convai
    last confirmed that key for the character.

    A row exists only once Convai has accepted the character under the user's own key, by a
    real call (accounts.checks); typing an ID grants nothing. When Convai later refuses that key
    for the character, the access is suspended, and the history is hidden from its holder until
    a working key confirms it again.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="character_accesses"
    )
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
        ordering = ["name", "character_id"]
        verbose_name_plural = "character accesses"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "character_id"], name="unique_access_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner} → {self.display_name}"

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
