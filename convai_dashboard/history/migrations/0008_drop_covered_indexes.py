"""Drops the index Django gives each foreign key where a unique index already starts with
that column and serves every lookup by it: the second index only cost each stored row another
index write.

The indexes are dropped by name on both engines: Django's own way on SQLite rebuilds the
table, and rebuilding history_line would lose the full-text triggers of migration 0004.
"""

import django.db.models.deletion
from django.db import migrations, models

# (model, field, target model, related name, table, column, index Django named)
COVERED = [
    (
        "chatsession",
        "character",
        "accounts.character",
        "sessions",
        "history_chatsession",
        "character_id",
        "history_chatsession_character_id_b0117a27",
    ),
    (
        "interaction",
        "session",
        "history.chatsession",
        "interactions",
        "history_interaction",
        "session_id",
        "history_interaction_session_id_ecca5cc4",
    ),
    (
        "line",
        "interaction",
        "history.interaction",
        "lines",
        "history_line",
        "interaction_id",
        "history_line_interaction_id_b034cab2",
    ),
]


def drop(model, field, to, related_name, table, column, index):
    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(
                model_name=model,
                name=field,
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name=related_name,
                    to=to,
                ),
            )
        ],
        database_operations=[
            migrations.RunSQL(f"DROP INDEX {index}", f"CREATE INDEX {index} ON {table} ({column})")
        ],
    )


class Migration(migrations.Migration):
    dependencies = [("history", "0007_stored_search_vector")]

    operations = [drop(*covered) for covered in COVERED]
