from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """The territory's monthly newsletter (built in its own issue)."""

    name = "newsletter"
    verbose_name = "Lettre d'information"
