"""Timeline events store what happened (a code and its values), rendered in the reader's language."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("referrals", "0006_new_request_notices")]

    operations = []
