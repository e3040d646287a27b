"""Each practice chooses how its members hear of a new request (at once or in the digest)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0005_no_known_allergies")]

    operations = []
