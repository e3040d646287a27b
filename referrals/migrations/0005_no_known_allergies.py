"""The GP ticks "no known allergy"; an empty field no longer means it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_initial_tariffs")]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="no_known_allergies",
            field=models.BooleanField(default=False, verbose_name="aucune allergie connue"),
        ),
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.CheckConstraint(
                condition=models.Q(("no_known_allergies", False)) | models.Q(("allergies", "")),
                name="referral_no_known_allergies_without_allergies",
                violation_error_message=(
                    "Vous avez coché « Aucune allergie connue » et décrit des allergies : gardez l'un ou l'autre."
                ),
            ),
        ),
    ]
