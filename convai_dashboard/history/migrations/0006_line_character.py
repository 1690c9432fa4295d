"""Each line names its character, so search filters hits by owner without joining sessions.

The column is added nullable and filled from the line's session; on PostgreSQL it is then made
NOT NULL. On SQLite it stays nullable in the database: making it NOT NULL there (or dropping a
foreign key column) means Django rebuilding history_line, which would drop the full-text
triggers of migration 0004. The store always sets it, so only the declared constraint differs.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Line = apps.get_model("history", "Line")
    ChatSession = apps.get_model("history", "ChatSession")
    Line.objects.update(
        character_id=Subquery(
            ChatSession.objects.filter(pk=OuterRef("session_id")).values("character_id")
        )
    )


def set_not_null(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        schema_editor.execute("ALTER TABLE history_line ALTER COLUMN character_id SET NOT NULL")


def drop_not_null(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        schema_editor.execute("ALTER TABLE history_line ALTER COLUMN character_id DROP NOT NULL")


class AddColumnKeepingTriggers(migrations.AddField):
    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute("ALTER TABLE history_line DROP COLUMN character_id")
        else:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def _field(null: bool) -> models.ForeignKey:
    return models.ForeignKey(
        db_index=False,
        null=null,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to="accounts.character",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_character_session_count"),
        ("history", "0005_session_filters_index"),
    ]

    operations = [
        AddColumnKeepingTriggers(model_name="line", name="character", field=_field(null=True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="line", name="character", field=_field(False))
            ],
            database_operations=[migrations.RunPython(set_not_null, drop_not_null)],
        ),
    ]
