"""Factories for the tests: real rows through the models, never mocks."""

import factory
from allauth.account.models import EmailAddress

from accounts.models import User
from core.identifiers import with_luhn_check_digit
from directory.models import Commune, Practice, Practitioner, Specialty, Territory

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@cpts.test")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(user=self, email=self.email, primary=True, verified=True)


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"CPTS de test {n}")
    slug = factory.Sequence(lambda n: f"cpts-test-{n}")


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ["code"]

    code = "SM54"
    label = "Médecine générale"


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner

    rpps = factory.Sequence(lambda n: with_luhn_check_digit(f"{2000000000 + n}"))
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    territory = factory.SubFactory(TerritoryFactory)


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Cabinet {n}")
    territory = factory.SubFactory(TerritoryFactory)
    city = "La Roche-sur-Yon"
    postal_code = "85000"


class CommuneFactory(factory.django.DjangoModelFactory):
    """A commune of the reference data; got, not duplicated, when the migration loaded it already (a browser
    test's flush empties the table for the tests after it)."""

    class Meta:
        model = Commune
        django_get_or_create = ["insee_code"]

    insee_code = "85191"
    name = "La Roche-sur-Yon"
    postal_codes = factory.LazyFunction(lambda: ["85000"])
    department = "85"
    region = "52"
    population = 55000
    latitude = 46.67111
    longitude = -1.4293


def vendee_communes() -> dict[str, Commune]:
    """La Roche-sur-Yon, two neighbours, and Saint-Jean-de-Monts on the coast (about 50 km away)."""
    rows = {
        "la_roche": ("85191", "La Roche-sur-Yon", "85000", 55000, 46.67111, -1.4293),
        "mouilleron": ("85155", "Mouilleron-le-Captif", "85000", 5000, 46.7219, -1.45386),
        "venansault": ("85300", "Venansault", "85190", 4700, 46.68, -1.51),
        "saint_jean": ("85234", "Saint-Jean-de-Monts", "85160", 8700, 46.79154, -2.06437),
    }
    return {
        key: CommuneFactory(
            insee_code=code, name=name, postal_codes=[postal_code], population=population, latitude=lat, longitude=lon
        )
        for key, (code, name, postal_code, population, lat, lon) in rows.items()
    }
