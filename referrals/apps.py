from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Referral letters and tele-expertise requests (built in its own issue)."""

    name = "referrals"
    verbose_name = "Adressages et téléexpertise"
