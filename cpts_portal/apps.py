from django.apps import AppConfig


class CptsPortalConfig(AppConfig):
    """The project package as an app: shared templates tags, and the commands that span every app."""

    name = "cpts_portal"
    verbose_name = "Portail CPTS"
