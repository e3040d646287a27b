"""Medical biology (TRE_R38 "SM03"), for the labs' biologists: the directory lists them and pharmacists and
practitioners search for "labo", "biologiste". Upserted by code, like 0005."""

from django.db import migrations

SPECIALTIES = {
    "SM03": ("Biologie médicale", ["biologiste", "biologie", "laboratoire", "labo", "analyses"]),
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
    dependencies = [("directory", "0009_import_claims_revisions")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
