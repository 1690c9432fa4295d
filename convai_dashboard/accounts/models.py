from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from convai_dashboard.accounts import crypto

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class OwnedQuerySet(models.QuerySet):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> OwnedQuerySet:
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

    def set_secret(self, secret: str) -> None:
        self.encrypted_key = crypto.encrypt(secret)
        self.last_four = secret[-4:]

    def secret(self) -> str:
        return crypto.decrypt(self.encrypted_key)


class Character(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="characters"
    )
    # Deleting a key keeps the character and its stored history readable; it only cannot be
    # refreshed until it is added again under another key.
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="characters"
    )
    character_id = models.CharField(max_length=128)
    # Empty when Convai would not tell the name (the Character API is on another plan tier).
    name = models.CharField(max_length=200, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    sessions_refreshed_at = models.DateTimeField(null=True, blank=True)
    # Sessions stored, kept up to date by the store so a page never counts them all.
    session_count = models.PositiveIntegerField(default=0)
    # The last time Convai could not be asked about this character, and why: pages show it so
    # a reader knows the stored data may be behind.
    convai_error = models.TextField(blank=True)
    convai_error_at = models.DateTimeField(null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "character_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "character_id"], name="unique_character_per_owner"
            )
        ]

    def __str__(self) -> str:
        return self.display_name

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
