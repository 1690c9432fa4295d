from __future__ import annotations

from django.contrib import admin

from convai_dashboard.accounts.models import ApiKey, CharacterAccess, Membership, Team


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    # The encrypted key is never shown, not even to an admin.
    list_display = ["label", "team", "masked", "verified_at", "created_at"]
    fields = ["team", "label", "masked", "verified_at", "verification_note"]
    readonly_fields = ["masked", "verified_at", "verification_note"]
    list_filter = ["team"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        # Keys are added through the dashboard, where they are checked against Convai.
        return False


@admin.register(CharacterAccess)
class CharacterAccessAdmin(admin.ModelAdmin):
    """Who holds what, to read and to revoke. Access is proven by Convai, so an admin can
    neither grant it nor lift a suspension; history itself is not in the admin at all."""

    list_display = [
        "display_name",
        "character_id",
        "team",
        "api_key",
        "confirmed_at",
        "suspended_at",
    ]
    list_filter = ["team"]
    search_fields = ["name", "character_id"]
    readonly_fields = [
        "team",
        "api_key",
        "character_id",
        "name",
        "added_at",
        "confirmed_at",
        "suspended_at",
        "suspension_reason",
    ]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """For the site's operators: a team's own admins manage it from the dashboard, where each
    change goes in its audit log."""

    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]
