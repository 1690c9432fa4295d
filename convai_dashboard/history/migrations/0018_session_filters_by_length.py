"""Puts the longest sort's key (interaction count, then session ID) after the memory and
trigger columns of the filters' index, so that the list filtered by both and sorted longest
first starts its read at the cursor (history.listing). Counting the matches of any filter
still reads this index alone.

The index is rebuilt: about 0.4 s on SQLite and 0.2 s on PostgreSQL for a character of
100,000 sessions, during which the session table is locked.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0017_stored_version"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="chatsession",
            name="session_filters",
        ),
        migrations.AddIndex(
            model_name="chatsession",
            index=models.Index(
                fields=[
                    "character",
                    "in_memory",
                    "has_trigger",
                    "interaction_count",
                    "session_id",
                    "has_other_speaker",
                    "started_at",
                    "transcript_fetched_at",
                ],
                name="session_filters",
            ),
        ),
    ]
