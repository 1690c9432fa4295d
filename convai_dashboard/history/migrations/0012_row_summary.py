"""Each stored session keeps its first player line and whether anything was refused, for the
list's rows; filled here for the transcripts stored before, as the store fills them now."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Substr, Trim

# As history.models has them now; a migration keeps its own copy.
EVENT_PREFIX = "[An Event has occurred]"
REFUSAL_PREFIX = "Your message was rejected because it contained content that is not allowed"
FIRST_LINE_LENGTH = 200


def fill(apps, schema_editor):
    Session = apps.get_model("history", "ChatSession")
    Line = apps.get_model("history", "Line")
    said = (
        Line.objects.filter(session=OuterRef("pk"), speaker="User")
        .filter(interaction__is_trigger_input=False)
        .exclude(text__startswith=EVENT_PREFIX)
        .annotate(trimmed=Trim("text"))
        .exclude(trimmed="")
        .order_by("interaction__occurred_at", "interaction__ordinal", "position")
        .values("text")[:1]
    )
    refused = Line.objects.filter(
        session=OuterRef("pk"), speaker="Character", text__startswith=REFUSAL_PREFIX
    )
    Session.objects.exclude(transcript_fetched_at=None).update(
        first_player_line=Coalesce(Substr(Subquery(said), 1, FIRST_LINE_LENGTH), Value("")),
        has_refusal=Exists(refused),
    )


class Migration(migrations.Migration):
    dependencies = [("history", "0011_review_status")]

    operations = [
        migrations.AddField(
            model_name="chatsession",
            name="first_player_line",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=FIRST_LINE_LENGTH
            ),
        ),
        migrations.AddField(
            model_name="chatsession",
            name="has_refusal",
            field=models.BooleanField(blank=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
