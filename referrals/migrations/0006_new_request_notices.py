"""Each practice chooses how its members hear of a new request (at once or in the digest)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0005_no_known_allergies"),
        ("directory", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="NewRequestNotices",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "when",
                    models.CharField(
                        choices=[
                            ("each_request", "À chaque nouvelle demande"),
                            ("morning_digest", "Dans le récapitulatif du matin"),
                        ],
                        default="morning_digest",
                        max_length=20,
                        verbose_name="prévenir des nouvelles demandes",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="modifié le")),
                (
                    "practice",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="new_request_notices",
                        to="directory.practice",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "avis de nouvelle demande",
                "verbose_name_plural": "avis de nouvelle demande",
            },
        ),
    ]
