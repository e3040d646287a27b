"""Loads every French commune from directory/data/communes-fr.csv.gz (reference data; see its README).

Streams the gzip through csv into PostgreSQL's COPY: constant memory, about half a second for 35,014 rows.
Every test run creates its database through the migrations, so this is paid on each run: bulk_create in
batches of 5,000 took 4.4 s here (most of it building and binding 280,000 parameters in Python), COPY 0.4 s.
"""

import csv
import gzip
import math
from pathlib import Path

from django.db import migrations

COMMUNES_FILE = Path(__file__).resolve().parent.parent / "data" / "communes-fr.csv.gz"
COLUMNS = ("insee_code", "name", "postal_codes", "department", "region", "population", "latitude", "longitude")


def _float_or_none(value):
    # Empty for 98 communes, and "nan" for two (Solore-en-Forez, Lanester): both mean "position unknown". A NaN
    # stored as a position would break every distance computed over the table (ll_to_earth refuses it).
    number = float(value) if value else None
    return number if number is not None and math.isfinite(number) else None


def load_communes(apps, schema_editor):
    table = apps.get_model("directory", "Commune")._meta.db_table
    quote = schema_editor.connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(column) for column in COLUMNS)}) FROM STDIN"
    with (
        gzip.open(COMMUNES_FILE, "rt", encoding="utf-8", newline="") as file,
        schema_editor.connection.cursor() as cursor,
        cursor.copy(sql) as copy,
    ):
        for row in csv.DictReader(file):
            copy.write_row(
                (
                    row["insee_code"],
                    row["name"],
                    row["postal_codes"].split(),
                    row["department"],
                    row["region"],
                    int(row["population"] or 0),
                    _float_or_none(row["latitude"]),
                    _float_or_none(row["longitude"]),
                )
            )


def delete_communes(apps, schema_editor):
    Commune = apps.get_model("directory", "Commune")
    Territory = apps.get_model("directory", "Territory")
    Territory.communes.through.objects.using(schema_editor.connection.alias).all().delete()
    Commune.objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_reference_data_schema")]

    operations = [migrations.RunPython(load_communes, delete_communes)]
