"""E-mails carry their attachments on the outbox row (the appointment sent to the patient as an .ics)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_outbox_territory_and_recipient_kind")]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="attachments",
            field=models.JSONField(blank=True, default=list, verbose_name="pièces jointes"),
        ),
    ]
