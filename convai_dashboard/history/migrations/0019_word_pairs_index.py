"""PostgreSQL indexes the pairs of adjacent words of each line, so that a phrase is found from
the index alone. The GIN index over `search_vector` knows which words a line holds, not where:
for a phrase of common words that never occurs ("gate closed" where every "gate 7 is closed"
line holds both words), PostgreSQL had to read every line holding both words to find none. A
phrase's lines hold each of its pairs, so the pairs' index narrows a phrase to the lines where
its words sit side by side, and `search_vector` confirms the whole phrase.

The pairs come from the folded text, whose words are separated by single spaces (text.fold);
history.search asks for them the same way. SQLite's FTS5 index keeps word positions and needs
none of this.
"""

from django.db import migrations

FORWARD = [
    "CREATE FUNCTION history_word_pairs(words text) RETURNS text[] "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
    "RETURN ARRAY(SELECT w[i] || ' ' || w[i + 1] FROM string_to_array(words, ' ') AS w, "
    "generate_series(1, cardinality(w) - 1) AS i)",
    "CREATE INDEX history_line_word_pairs ON history_line "
    "USING GIN (history_word_pairs(search_text))",
]
BACKWARD = [
    "DROP INDEX history_line_word_pairs",
    "DROP FUNCTION history_word_pairs(text)",
]


def on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("history", "0018_session_filters_by_length")]

    operations = [migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD))]
