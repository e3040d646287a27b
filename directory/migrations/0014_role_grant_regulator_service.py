"""A regulator's grant names its service (SAS / 15, 116 117, SOS Médecins, the CPTS line); earlier ones were the SAS."""

from django.conf import settings
from django.db import migrations, models


def regulators_are_the_sas(apps, schema_editor):
    apps.get_model("directory", "RoleGrant").objects.filter(role="regulator").update(service="sas")


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0013_practitioner_confirmation_link_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='rolegrant',
            name='service',
            field=models.CharField(blank=True, choices=[('sas', 'SAS / 15'), ('116117', '116 117'), ('sos', 'SOS Médecins'), ('cpts_line', 'Ligne de la CPTS')], max_length=20, verbose_name='service'),
        ),
        migrations.RunPython(regulators_are_the_sas, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='rolegrant',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('role', 'regulator'), ('service__gt', '')), models.Q(models.Q(('role', 'regulator'), _negated=True), ('service', '')), _connector='OR'), name='rolegrant_service_of_regulators'),
        ),
    ]
