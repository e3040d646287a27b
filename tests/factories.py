"""Factories for the tests: real rows through the models, never mocks."""

import factory
from allauth.account.models import EmailAddress

from accounts.models import User
from cpts_portal.lib.identifiers import with_luhn_check_digit
from directory.models import Practice, Practitioner, Specialty, Territory

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
