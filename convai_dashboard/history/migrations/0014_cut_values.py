"""Lines and interactions say when Convai sent more than the store keeps, and it was cut.

Django adds a NOT NULL column on SQLite by rebuilding the table, which for history_line means
copying every line and dropping the full-text triggers (see 0010). SQLite can add a column
with a constant default in place, so the columns are added by hand, on both databases, as
the fields' db_default describes them.
"""

from django.db import migrations, models

TABLES = ("history_interaction", "history_line")
TYPE = {"sqlite": "bool", "postgresql": "boolean"}


def add_columns(apps, schema_editor):
    column_type = TYPE[schema_editor.connection.vendor]
    for table in TABLES:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN truncated {column_type} DEFAULT false NOT NULL"
        )


def drop_columns(apps, schema_editor):
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN truncated")


class Migration(migrations.Migration):
    dependencies = [("history", "0013_session_by_start_covers_the_overview")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
            state_operations=[
                migrations.AddField(
                    model_name=model,
                    name="truncated",
                    field=models.BooleanField(db_default=False, default=False),
                )
                for model in ("interaction", "line")
            ],
        )
    ]
