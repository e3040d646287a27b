from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    """Patients without a GP, their priority and their assignment (built in its own issue)."""

    name = "waitlist"
    verbose_name = "Patients sans médecin traitant"
