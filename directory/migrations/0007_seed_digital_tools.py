"""The digital tools of the territory's catalogue, so that every database (the tests' included) starts with them.

Created when missing (by slug), never overwritten: the coordinator keeps the catalogue from the admin afterwards.
"""

from django.db import migrations

# slug -> (name, category)
TOOLS = {
    "mssante": ("MSSanté", "messaging"),
    "omnidoc": ("Omnidoc", "teleexpertise"),
    "doctolib": ("Doctolib", "appointments"),
    "rofim": ("Rofim", "teleexpertise"),
    "mon-espace-sante": ("Mon espace santé / DMP", "health_record"),
    "citana": ("Citana", "appointments"),
    "entr-actes": ("Entr'Actes", "coordination"),
    "paaco-globule": ("Paaco-Globule", "coordination"),
    "viatrajectoire": ("ViaTrajectoire", "orientation"),
    "maiia": ("Maiia", "appointments"),
    "keldoc": ("Keldoc", "appointments"),
}


def seed_tools(apps, schema_editor):
    DigitalTool = apps.get_model("directory", "DigitalTool")
    for slug, (name, category) in TOOLS.items():
        DigitalTool.objects.get_or_create(slug=slug, defaults={"name": name, "category": category})


def remove_tools(apps, schema_editor):
    # Tools in use are protected (PractitionerTool.tool is PROTECT): only unused ones go.
    DigitalTool = apps.get_model("directory", "DigitalTool")
    DigitalTool.objects.filter(slug__in=TOOLS, users__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0006_entries")]

    operations = [migrations.RunPython(seed_tools, remove_tools)]
