from __future__ import annotations

from django.urls import path

from convai_dashboard.pages import (
    backlog,
    characters,
    exports,
    keys,
    overview,
    preferences,
    queues,
    review,
    search,
    sessions,
    sync,
    tags,
    teams,
)

TEAM = "teams/<int:team_id>/"
CHARACTER = "characters/<str:character_id>/"
SESSION = CHARACTER + "sessions/<str:session_id>/"
LINE = SESSION + "lines/<int:line_id>/"
QUEUE = TEAM + "queues/<int:queue_id>/"
ITEM = QUEUE + "items/<int:item_id>/"

urlpatterns = [
    path("", characters.characters, name="home"),
    path("characters/add/", characters.character_add, name="character_add"),
    path("characters/import/", characters.characters_import, name="characters_import"),
    path("teams/", teams.teams_page, name="teams"),
    path(TEAM, teams.team_page, name="team"),
    path(TEAM + "members/<int:member_id>/", teams.member_change, name="member_change"),
    path(TEAM + "invitations/", teams.invitation_new, name="invitation_new"),
    path(
        TEAM + "invitations/<int:invitation_id>/withdraw/",
        teams.invitation_revoke,
        name="invitation_revoke",
    ),
    path(TEAM + "audit/", teams.audit_log, name="audit_log"),
    path(TEAM + "settings/", teams.team_settings, name="team_settings"),
    path(
        TEAM + "characters/<str:character_id>/remove/",
        characters.character_remove,
        name="character_remove",
    ),
    path("invitations/<str:token>/", teams.invitation, name="invitation"),
    # Review queues: a reviewer's work across their teams, and each queue of a team.
    path("work/", queues.my_work, name="my_work"),
    path(QUEUE, queues.queue_page, name="queue"),
    path(QUEUE + "edit/", queues.queue_edit, name="queue_edit"),
    path(QUEUE + "delete/", queues.queue_delete, name="queue_delete"),
    path(QUEUE + "add/", queues.queue_add, name="queue_add"),
    path(QUEUE + "results.csv", queues.queue_results, name="queue_results"),
    path(QUEUE + "work/", queues.queue_work, name="queue_work"),
    path(QUEUE + "start/", queues.queue_start, name="queue_start"),
    path(ITEM + "done/", queues.queue_done, name="queue_done"),
    path(ITEM + "skip/", queues.queue_skip, name="queue_skip"),
    path(ITEM + "resolve/", queues.queue_resolve, name="queue_resolve"),
    path("keys/", keys.keys, name="keys"),
    path(TEAM + "keys/<int:pk>/edit/", keys.key_edit, name="key_edit"),
    path(TEAM + "keys/<int:pk>/delete/", keys.key_delete, name="key_delete"),
    path("search/", search.search_page, name="search"),
    path("preferences/", preferences.set_preferences, name="preferences"),
    # The writer's backlog, across characters and of one; and its exports.
    path("flags/", backlog.backlog_page, name="backlog"),
    path("flags/export.csv", exports.flags_csv, name="flags_csv"),
    path("flags/rewrites.jsonl", exports.rewrites_jsonl, name="rewrites_jsonl"),
    path(CHARACTER, sessions.character_page, name="character"),
    path(CHARACTER + "overview/", overview.character_overview, name="character_overview"),
    path(CHARACTER + "refresh/", sessions.refresh, name="refresh_sessions"),
    path(CHARACTER + "sync/", sync.sync_start, name="sync_start"),
    path(CHARACTER + "sync/status/", sync.sync_status, name="sync_status"),
    path(CHARACTER + "sync/cancel/", sync.sync_cancel, name="sync_cancel"),
    path(CHARACTER + "sessions.csv", exports.sessions_csv, name="sessions_csv"),
    path(CHARACTER + "flags/", backlog.backlog_page, name="character_backlog"),
    path(CHARACTER + "flags/export.csv", exports.flags_csv, name="character_flags_csv"),
    path(
        CHARACTER + "flags/rewrites.jsonl",
        exports.rewrites_jsonl,
        name="character_rewrites_jsonl",
    ),
    path(CHARACTER + "flags/<int:flag_id>/", review.flag_edit, name="flag_edit"),
    path(CHARACTER + "queues/new/", queues.queue_new, name="queue_new"),
    path(CHARACTER + "tags/", tags.tags_page, name="tags"),
    path(CHARACTER + "tags/apply/", tags.tags_apply, name="tags_apply"),
    path(CHARACTER + "tags/<int:tag_id>/delete/", tags.tag_delete, name="tag_delete"),
    path(SESSION, sessions.session_page, name="session"),
    path(SESSION + "refetch/", sessions.refetch_transcript, name="refetch_transcript"),
    path(SESSION + "status/", review.session_status, name="session_status"),
    path(SESSION + "tags/", review.session_tag, name="session_tag"),
    path(SESSION + "tags/<int:tag_id>/remove/", review.session_untag, name="session_untag"),
    path(SESSION + "notes/", review.session_note, name="session_note"),
    path(SESSION + "export.json", exports.session_json, name="session_json"),
    path(SESSION + "export.md", exports.session_markdown, name="session_markdown"),
    path(LINE + "flag/", review.flag_new, name="flag_new"),
    path(LINE + "report.md", exports.bug_report, name="bug_report"),
]
