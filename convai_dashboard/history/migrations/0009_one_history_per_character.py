"""One history per Convai character: each user's copy of a character is merged into one.

For every Convai character ID, a ConvaiCharacter is made with the id of its oldest copy (the
lowest accounts_character id), so that copy's sessions, lines and sync runs keep the values
they point with. Every other copy is merged into it:
- a session only that copy has moves over, with its interactions and lines;
- a session both have is merged: interactions and lines the kept one lacks move over; the
  rest are the same Convai lines stored twice, and the spare copy of each is deleted;
- flags are combined so nothing is lost: "in memory", "has triggers" and "other speakers" if
  either copy says so, "gone from Convai" if either copy found it gone, the earliest
  first-seen and the latest listing and fetch times;
- sync runs all move over; where two copies each had an active run, all but the newest are
  marked interrupted, since one character has one sync at a time.
Migration 0010 then points the foreign keys at the new table.
"""

from collections import defaultdict
from datetime import UTC, datetime

from django.core.management.color import no_style
from django.db import migrations, models
from django.utils import timezone

EARLIEST = datetime.min.replace(tzinfo=UTC)
ACTIVE = ("queued", "running")


def _latest(*values):
    present = [value for value in values if value is not None]
    return max(present) if present else None


def _either(first, second):
    # Flags are None until a transcript is stored; once known, true wins.
    if first is None and second is None:
        return None
    return bool(first) or bool(second)


def merge_copies(apps, schema_editor):
    Copy = apps.get_model("accounts", "Character")
    History = apps.get_model("history", "ConvaiCharacter")
    Session = apps.get_model("history", "ChatSession")
    Line = apps.get_model("history", "Line")
    SyncRun = apps.get_model("history", "SyncRun")

    copies = defaultdict(list)
    for copy in Copy.objects.order_by("pk"):
        copies[copy.character_id].append(copy)
    for character_id, group in copies.items():
        kept = group[0]
        refreshed = max(group, key=lambda c: c.sessions_refreshed_at or EARLIEST)
        failed = max(group, key=lambda c: c.convai_error_at or EARLIEST)
        history = History.objects.create(
            id=kept.pk,
            character_id=character_id,
            name=next((c.name for c in group if c.name), ""),
            created_at=min(c.added_at for c in group),
            sessions_refreshed_at=refreshed.sessions_refreshed_at,
            convai_error=failed.convai_error,
            convai_error_at=failed.convai_error_at,
        )
        _keep_one_active_run(SyncRun, [c.pk for c in group])
        for other in group[1:]:
            _merge_copy(apps, other.pk, kept.pk)
        history.session_count = Session.objects.filter(character_id=kept.pk).count()
        history.save(update_fields=["session_count"])
    # On SQLite the column was nullable (migration 0006); 0010 makes it NOT NULL everywhere.
    for session_pk, character_pk in Session.objects.filter(
        pk__in=Line.objects.filter(character_id__isnull=True).values("session_id")
    ).values_list("pk", "character_id"):
        Line.objects.filter(session_id=session_pk).update(character_id=character_pk)
    if schema_editor.connection.vendor == "postgresql":
        # The ids were given, not drawn: move the sequence past them.
        with schema_editor.connection.cursor() as cursor:
            for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [History]):
                cursor.execute(sql)


def _keep_one_active_run(SyncRun, copy_pks):
    active = list(
        SyncRun.objects.filter(character_id__in=copy_pks, status__in=ACTIVE).order_by(
            "-created_at", "-pk"
        )
    )
    for run in active[1:]:
        run.status = "interrupted"
        run.finished_at = run.heartbeat_at or run.started_at or timezone.now()
        run.stop_reason = (
            "Stopped when the users' copies of this character were merged into one history, "
            "while another sync of it was under way."
        )
        run.save(update_fields=["status", "finished_at", "stop_reason"])


def _merge_copy(apps, source_pk, target_pk):
    Session = apps.get_model("history", "ChatSession")
    Line = apps.get_model("history", "Line")
    SyncRun = apps.get_model("history", "SyncRun")
    for session in Session.objects.filter(character_id=source_pk):
        twin = Session.objects.filter(character_id=target_pk, session_id=session.session_id)
        kept = twin.first()
        if kept is None:
            Session.objects.filter(pk=session.pk).update(character_id=target_pk)
            Line.objects.filter(session_id=session.pk).update(character_id=target_pk)
        else:
            _merge_session(apps, session, kept)
    SyncRun.objects.filter(character_id=source_pk).update(character_id=target_pk)


def _merge_session(apps, spare, kept):
    Session = apps.get_model("history", "ChatSession")
    Interaction = apps.get_model("history", "Interaction")
    Line = apps.get_model("history", "Line")
    known = {
        (interaction.occurred_at, interaction.ordinal): interaction
        for interaction in Interaction.objects.filter(session_id=kept.pk)
    }
    for interaction in Interaction.objects.filter(session_id=spare.pk):
        twin = known.get((interaction.occurred_at, interaction.ordinal))
        if twin is None:
            Interaction.objects.filter(pk=interaction.pk).update(session_id=kept.pk)
            Line.objects.filter(interaction_id=interaction.pk).update(
                session_id=kept.pk, character_id=kept.character_id
            )
            continue
        positions = Line.objects.filter(interaction_id=twin.pk).values_list("position")
        Line.objects.filter(interaction_id=interaction.pk).exclude(position__in=positions).update(
            interaction_id=twin.pk, session_id=kept.pk, character_id=kept.character_id
        )
        if interaction.is_trigger_input and not twin.is_trigger_input:
            Interaction.objects.filter(pk=twin.pk).update(is_trigger_input=True)
    kept.in_memory = kept.in_memory or spare.in_memory
    kept.on_convai = kept.on_convai and spare.on_convai
    kept.first_seen_at = min(kept.first_seen_at, spare.first_seen_at)
    kept.listed_at = max(kept.listed_at, spare.listed_at)
    kept.transcript_fetched_at = _latest(kept.transcript_fetched_at, spare.transcript_fetched_at)
    kept.has_trigger = _either(kept.has_trigger, spare.has_trigger)
    kept.has_other_speaker = _either(kept.has_other_speaker, spare.has_other_speaker)
    stored = Interaction.objects.filter(session_id=kept.pk)
    kept.interaction_count = stored.count()
    kept.last_interaction_at = stored.aggregate(last=models.Max("occurred_at"))["last"]
    kept.save()
    # What is left of the spare copy are lines the kept one has too.
    Session.objects.filter(pk=spare.pk).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_access_confirmation"),
        ("history", "0008_drop_covered_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConvaiCharacter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("character_id", models.CharField(max_length=128, unique=True)),
                ("name", models.CharField(blank=True, max_length=200)),
                ("created_at", models.DateTimeField(default=timezone.now)),
                ("sessions_refreshed_at", models.DateTimeField(blank=True, null=True)),
                ("session_count", models.PositiveIntegerField(default=0)),
                ("convai_error", models.TextField(blank=True)),
                ("convai_error_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["name", "character_id"]},
        ),
        # Backwards, the copies stay merged under the oldest one: nothing is split again.
        migrations.RunPython(merge_copies, migrations.RunPython.noop),
    ]
