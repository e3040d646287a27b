"""Deny by default: every page of the project's apps declares who may open it."""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from core.access import ACCESS_RULE_ATTRIBUTE

# The project's own apps: those in this repository, not installed packages (the .venv lives here too).
PROJECT_MODULES = tuple(
    config.name
    for config in apps.get_app_configs()
    if Path(config.path).is_relative_to(settings.BASE_DIR) and "site-packages" not in Path(config.path).parts
)
# Views whose protection comes from their framework: allauth's own checks, Django's admin and i18n,
# DRF's permission classes (default: signed in, with MFA where the roles reach patient data).
FRAMEWORK_MODULES = ("allauth.", "django.", "rest_framework.", "drf_spectacular.")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_project_page_declares_an_access_rule():
    unguarded = []
    for route, view in _walk(get_resolver().url_patterns):
        module = getattr(view, "__module__", "")
        view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
        if view_class is not None:
            module = view_class.__module__
            if module.endswith(".api") or ".api." in module:  # an app's api package (waitlist.api.pledges)
                continue  # DRF views: DEFAULT_PERMISSION_CLASSES applies unless a view loosens it
        if module.startswith(FRAMEWORK_MODULES):
            continue
        assert module.startswith(PROJECT_MODULES), f"unexpected view module {module} for {route}"
        if not hasattr(view, ACCESS_RULE_ATTRIBUTE):
            unguarded.append(f"{route} -> {module}.{getattr(view, '__name__', view)}")

    assert unguarded == [], "Pages without @public, @authenticated or @permission_required:\n" + "\n".join(unguarded)


def test_the_walk_sees_the_project_pages():
    routes = {route for route, _view in _walk(get_resolver().url_patterns)}

    assert {"healthz", "compte/", "compte/journal-acces/", "envois/"} <= routes
