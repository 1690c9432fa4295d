"""A user's character is now their access to the shared history (history migration 0009
moved the history's own state to history.ConvaiCharacter)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_access_confirmation"),
        ("history", "0010_history_belongs_to_the_character"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="character", name="unique_character_per_owner"),
        migrations.RenameModel(old_name="Character", new_name="CharacterAccess"),
        migrations.RemoveField(model_name="characteraccess", name="convai_error"),
        migrations.RemoveField(model_name="characteraccess", name="convai_error_at"),
        migrations.RemoveField(model_name="characteraccess", name="session_count"),
        migrations.RemoveField(model_name="characteraccess", name="sessions_refreshed_at"),
        migrations.AlterModelOptions(
            name="characteraccess",
            options={
                "ordering": ["name", "character_id"],
                "verbose_name_plural": "character accesses",
            },
        ),
        migrations.AlterField(
            model_name="characteraccess",
            name="api_key",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="accesses",
                to="accounts.apikey",
            ),
        ),
        migrations.AlterField(
            model_name="characteraccess",
            name="owner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="character_accesses",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="characteraccess",
            constraint=models.UniqueConstraint(
                fields=("owner", "character_id"), name="unique_access_per_owner"
            ),
        ),
    ]
