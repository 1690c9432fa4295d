"""Full-text search over lines: SQLite's FTS5 or a PostgreSQL GIN index, both over the folded
`search_text`; and the values the new fields need for what was stored before them."""

from __future__ import annotations

from django.db import migrations

from convai_dashboard.history.text import fold

SQLITE = [
    # External content: the index stores no second copy of the text, only its terms.
    """CREATE VIRTUAL TABLE history_line_fts USING fts5(
        search_text, content='history_line', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER history_line_fts_insert AFTER INSERT ON history_line BEGIN
        INSERT INTO history_line_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER history_line_fts_delete AFTER DELETE ON history_line BEGIN
        INSERT INTO history_line_fts(history_line_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER history_line_fts_update AFTER UPDATE OF search_text ON history_line BEGIN
        INSERT INTO history_line_fts(history_line_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO history_line_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    "INSERT INTO history_line_fts(history_line_fts) VALUES ('rebuild')",
]
SQLITE_REVERSE = [
    "DROP TRIGGER history_line_fts_update",
    "DROP TRIGGER history_line_fts_delete",
    "DROP TRIGGER history_line_fts_insert",
    "DROP TABLE history_line_fts",
]
POSTGRESQL = [
    "CREATE INDEX history_line_search ON history_line "
    "USING GIN (to_tsvector('simple', search_text))"
]
POSTGRESQL_REVERSE = ["DROP INDEX history_line_search"]


def fill_new_fields(apps, schema_editor):
    Line = apps.get_model("history", "Line")
    ChatSession = apps.get_model("history", "ChatSession")
    Character = apps.get_model("accounts", "Character")
    batch = []
    for line in Line.objects.only("pk", "text").iterator(chunk_size=5000):
        line.search_text = fold(line.text)
        batch.append(line)
        if len(batch) == 5000:
            Line.objects.bulk_update(batch, ["search_text"])
            batch = []
    Line.objects.bulk_update(batch, ["search_text"])
    stored = ChatSession.objects.exclude(transcript_fetched_at=None)
    stored.update(has_trigger=False, has_other_speaker=False)
    stored.filter(interactions__is_trigger_input=True).update(has_trigger=True)
    others = Line.objects.exclude(speaker__in=["User", "Character"]).values("session_id")
    stored.filter(pk__in=others).update(has_other_speaker=True)
    for character in Character.objects.all():
        character.session_count = ChatSession.objects.filter(character=character).count()
        character.save(update_fields=["session_count"])


def index(statements):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_character_session_count"),
        ("history", "0003_search_fields"),
    ]

    operations = [
        migrations.RunPython(fill_new_fields, migrations.RunPython.noop),
        migrations.RunPython(
            index({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            index({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        ),
    ]
