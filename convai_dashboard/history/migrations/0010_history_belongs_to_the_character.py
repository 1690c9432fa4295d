"""Sessions, lines and sync runs belong to the ConvaiCharacter made by migration 0009, whose
ids are those of the copies they pointed at, so no value changes: only the foreign keys do.

On SQLite that means Django rebuilding the tables, which drops the full-text triggers that
migration 0004 put on history_line; they are made again here, in both directions. The rebuild
copies every row with its id, so the FTS5 index, which is keyed by line id, stays right.
Line.character also becomes NOT NULL on SQLite, as it has been on PostgreSQL since 0006.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

# The CREATE TRIGGER statements of 0004: the same triggers, from one source.
FTS_TRIGGERS = [
    sql
    for sql in import_module("convai_dashboard.history.migrations.0004_full_text_search").SQLITE
    if sql.startswith("CREATE TRIGGER")
]


def make_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in FTS_TRIGGERS:
            schema_editor.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))


def _to_character(related_name, **options):
    return models.ForeignKey(
        on_delete=django.db.models.deletion.CASCADE,
        related_name=related_name,
        to="history.convaicharacter",
        **options,
    )


class Migration(migrations.Migration):
    dependencies = [("history", "0009_one_history_per_character")]

    operations = [
        # Backwards, the rebuild of history_line comes after this: make the triggers again.
        migrations.RunPython(migrations.RunPython.noop, make_triggers),
        migrations.AlterField(
            model_name="chatsession",
            name="character",
            field=_to_character("sessions", db_index=False),
        ),
        migrations.AlterField(
            model_name="line",
            name="character",
            field=_to_character("+", db_index=False),
        ),
        migrations.AlterField(
            model_name="syncrun",
            name="character",
            field=_to_character("sync_runs"),
        ),
        migrations.RunPython(make_triggers, migrations.RunPython.noop),
    ]
