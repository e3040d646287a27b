"""The Celery application: `celery -A cpts_portal worker` and `celery -A cpts_portal beat` run all background work."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_portal.settings")

app = Celery("cpts_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
