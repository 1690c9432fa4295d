"""PostgreSQL keeps each line's parsed words in a stored column and indexes that, instead of
an index over an expression that re-parses the text whenever a row is checked.

Which plan PostgreSQL picks for "newest 50 matches" depends on how common the words are: for a
rare word it reads the index's matches and sorts them; for a common one it walks lines from the
newest and checks each. With only the expression index, each check re-parsed the text, which
made a walk through a million lines for a word in 0.5% of them many times slower than checking
stored words (docs/performance.md, "Search"). Phrases gain too: their matches are confirmed
from the stored word positions.
SQLite's FTS5 index is unchanged.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE history_line ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX history_line_search_vector ON history_line USING GIN (search_vector)",
    "DROP INDEX history_line_search",
]
BACKWARD = [
    "CREATE INDEX history_line_search ON history_line "
    "USING GIN (to_tsvector('simple', search_text))",
    "ALTER TABLE history_line DROP COLUMN search_vector",
]


def on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("history", "0006_line_character")]

    operations = [migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD))]
