from django.apps import AppConfig


class SnpConfig(AppConfig):
    """Non-scheduled-care slots and their bookings by regulators (built in its own issue)."""

    name = "snp"
    verbose_name = "Soins non programmés"
