"""Trigram indexes on the household members' names, through the project's one normalisation
(``directory_search_text``, as the practitioners' and communes' names): a name typed with or without accents,
with a typo, is found by ``%`` / ``similarity`` on the index (the coordinator's search of duplicates).

Written in SQL and kept out of the model's state: ``HouseholdMember``'s Meta belongs to the models' migration,
this part adds indexes only."""

from django.db import migrations

INDEXES = {
    "waitlist_member_family_trgm": "family_name",
    "waitlist_member_given_trgm": "given_names",
}


class Migration(migrations.Migration):
    dependencies = [("waitlist", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=(
                f"CREATE INDEX IF NOT EXISTS {name} ON waitlist_householdmember "
                f"USING gin (directory_search_text({column}) gin_trgm_ops)"
            ),
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, column in INDEXES.items()
    ]
