"""Test settings: the real settings, tightened for speed and isolation.

PostgreSQL and Redis are the real servers (a test database, Redis database 15); only the password hasher,
the e-mail backend and a few timings change. Environment variables still win, so CI can point elsewhere.
"""

import os

os.environ["CPTS_SKIP_DOTENV"] = "1"
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-any-deployment-000000000000")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("DEMO_MODE", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cpts_portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("EMAIL_URL", "locmem://")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from cpts_portal.settings import *  # noqa: F403
from cpts_portal.settings import CACHES, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests never store real passwords
CACHES["default"]["KEY_PREFIX"] = "cpts-tests"
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_cpts_portal")}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Celery runs for real in the tests that start a worker; elsewhere delivery is queued on commit and the
# tests run the task themselves, so a test never depends on a worker it did not start.
CELERY_TASK_ALWAYS_EAGER = False
# The live server of the browser tests serves static files itself; WhiteNoise would want collectstatic.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
