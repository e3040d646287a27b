"""Reference data (communes, professions, specialties, digital tools) come from data migrations, so every test
database has them; but a transactional test (browser, workers) empties every table when it ends. Tests that run
after one and need the reference data reload it with ``ensure_reference_data()``, by the migrations' own code."""

from importlib import import_module
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

_LOADERS = (
    ("directory.migrations.0004_load_communes", "load_communes"),
    ("directory.migrations.0005_load_professions_and_specialties", "load"),
    ("directory.migrations.0007_seed_digital_tools", "seed_tools"),
    ("directory.migrations.0010_medical_biology", "load"),
    ("directory.migrations.0015_radiology", "load"),
)


def ensure_reference_data() -> None:
    Commune = apps.get_model("directory", "Commune")
    if Commune.objects.exists():
        return
    schema_editor = SimpleNamespace(connection=connection)
    for module, function in _LOADERS:
        getattr(import_module(module), function)(apps, schema_editor)
