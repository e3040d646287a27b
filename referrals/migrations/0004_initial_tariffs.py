"""The tele-expertise tariffs as published when the portal was written. The coordinator keeps them up to date
from the "Tarifs de télé-expertise" page; the code never holds an amount."""

import datetime
from decimal import Decimal

from django.db import migrations

TARIFFS = [
    ("requester", "RQD", "Demande de télé-expertise (médecin requérant)", Decimal("10.00"), datetime.date(2022, 4, 1)),
    ("expert", "TE2", "Télé-expertise (médecin requis)", Decimal("20.00"), datetime.date(2022, 4, 1)),
    ("expert", "TE2", "Télé-expertise (médecin requis)", Decimal("23.00"), datetime.date(2026, 1, 1)),
]


def load(apps, schema_editor):
    Tariff = apps.get_model("referrals", "Tariff")
    for side, code, label, amount, valid_from in TARIFFS:
        Tariff.objects.get_or_create(
            side=side, overseas=False, valid_from=valid_from, defaults={"code": code, "label": label, "amount": amount}
        )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0003_attachments_billing_outside_survey")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
