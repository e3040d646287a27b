from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    """The territory's monthly newsletter and the weekly directory digest."""

    name = "newsletter"
    verbose_name = "Lettre d'information"

    def ready(self):
        from celery.signals import worker_ready

        from newsletter.services.sending import ISSUE_TEMPLATE, render_delivery
        from notifications.services import email_renderer_register

        email_renderer_register(ISSUE_TEMPLATE, render_delivery)
        worker_ready.connect(_resume_sends_after_restart, weak=False, dispatch_uid="newsletter-resume-sends")


def _resume_sends_after_restart(**_kwargs):
    """A worker that starts again after a crash picks up the sends its predecessor left (see ``sends_resume``)."""
    from newsletter.tasks import resume_sends

    try:
        resume_sends.delay(after_restart=True)
    except Exception:  # the broker is down: the beat's sweep resumes them later
        import logging

        logging.getLogger(__name__).warning("Could not queue the resume of the sends", exc_info=True)
