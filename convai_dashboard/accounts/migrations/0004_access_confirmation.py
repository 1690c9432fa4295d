"""A user's character becomes their access to a shared history: when Convai confirmed it, and
whether it is suspended. Every existing character was added through a real call to Convai
(a lookup or an import), so each counts as confirmed when it was added."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def confirmed_when_added(apps, schema_editor):
    apps.get_model("accounts", "Character").objects.update(confirmed_at=F("added_at"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_character_session_count")]

    operations = [
        migrations.AddField(
            model_name="character",
            name="confirmed_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="character",
            name="suspended_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="character",
            name="suspension_reason",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(confirmed_when_added, migrations.RunPython.noop),
    ]
