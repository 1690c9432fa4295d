from __future__ import annotations

from django.contrib import admin

from convai_dashboard.accounts.models import ApiKey, Character


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    # The encrypted key is never shown, not even to an admin.
    list_display = ["label", "owner", "masked", "verified_at", "created_at"]
    fields = ["owner", "label", "masked", "verified_at", "verification_note"]
    readonly_fields = ["masked", "verified_at", "verification_note"]
    list_filter = ["owner"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        # Keys are added through the dashboard, where they are checked against Convai.
        return False


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    list_display = ["display_name", "character_id", "owner", "api_key", "sessions_refreshed_at"]
    list_filter = ["owner"]
    search_fields = ["name", "character_id"]
