"""Radiology (TRE_R38 "SM44", radio-diagnostic et imagerie médicale), for the imaging practices that offer the
CPTS's GPs examinations within 48 h: the directory lists them and GPs search for "radio", "imagerie", "scanner".
Upserted by code, like 0005."""

from django.db import migrations

SPECIALTIES = {
    "SM44": (
        "Radio-diagnostic et imagerie médicale",
        ["radiologue", "radiologie", "radio", "imagerie", "échographie", "scanner", "IRM"],
    ),
}


def load(apps, schema_editor):
    Profession = apps.get_model("directory", "Profession")
    Specialty = apps.get_model("directory", "Specialty")
    db = schema_editor.connection.alias
    physician = Profession.objects.using(db).get(code="10")
    for code, (label, synonyms) in SPECIALTIES.items():
        Specialty.objects.using(db).update_or_create(
            code=code, defaults={"label": label, "synonyms": synonyms, "profession": physician}
        )


class Migration(migrations.Migration):
    dependencies = [("directory", "0014_role_grant_regulator_service")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
