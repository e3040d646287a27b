from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Referral letters and tele-expertise requests between the professionals of the territory."""

    name = "referrals"
    verbose_name = "Adressages et téléexpertise"
