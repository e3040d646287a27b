"""Settings of the CPTS portal: one module, every deploy-specific value from the environment (see .env.example).

Values are parsed strictly by ``cpts_portal.env``: a missing secret or a malformed value stops start-up with a
message naming the variable. A ``.env`` file at the project root is read when present (``make demo`` writes
one); variables already set in the environment win.
"""

import os
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv
from kombu import Queue

from cpts_portal.env import (
    env_bool,
    env_database,
    env_email,
    env_int,
    env_list,
    env_redis_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
if os.environ.get("CPTS_SKIP_DOTENV") != "1":  # the test settings never read a developer's .env
    load_dotenv(BASE_DIR / ".env", override=False)

# --- Deploy-specific values -------------------------------------------------------------------------------
SECRET_KEY = env_str("SECRET_KEY")  # no default: a forgotten secret must not become a public one
DEBUG = env_bool("DEBUG", default=False)
DEMO_MODE = env_bool("DEMO_MODE", default=False)  # never derived from DEBUG
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])
DATABASES = {"default": env_database("DATABASE_URL")}
REDIS_URL = env_redis_url("REDIS_URL")
_email_settings = env_email("EMAIL_URL")
# Django's mail API writes outbox rows; the outbox task delivers them through the backend of EMAIL_URL.
EMAIL_BACKEND = "notifications.email.OutboxEmailBackend"
OUTBOX_EMAIL_BACKEND = _email_settings.pop("EMAIL_BACKEND")
globals().update(_email_settings)  # EMAIL_HOST, EMAIL_PORT, … of EMAIL_URL
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="CPTS <ne-pas-repondre@cpts.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env_str("SMS_BACKEND", default="notifications.sms.LogSmsBackend")
SITE_URL = env_str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Applications -----------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Project apps; imports point one way: accounts, notifications <- directory <- the domain apps.
    "cpts_portal",
    "accounts",
    "notifications",
    "directory",
    "referrals",
    "snp",
    "waitlist",
    "newsletter",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",  # on every answer, static files and errors included
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireMfaForPatientDataMiddleware",
]

ROOT_URLCONF = "cpts_portal.urls"
WSGI_APPLICATION = "cpts_portal.wsgi.application"
ASGI_APPLICATION = "cpts_portal.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cpts_portal.context_processors.portal",
            ],
        },
    },
]

# --- Database, cache, sessions ----------------------------------------------------------------------------
# Redis is a cache, not the source of truth: while it is unreachable the backend answers as an empty cache
# (rate limits and throttles fail open, one warning a minute; see docs/deployment.md, "When Redis is down").
# Short timeouts: a Redis on the same network answers in a millisecond, a dead one must not hold a request.
CACHES = {
    "default": {
        "BACKEND": "core.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cpts",
        "TIMEOUT": 300,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 12  # one working day
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Authentication (django-allauth, e-mail login, MFA) ---------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapters.PortalAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CPTS] "
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Brute force: 5 failed sign-ins for one address in 5 minutes lock it for those 5 minutes; an IP gets 20 a
# minute. Counters live in the Redis cache, shared by every web process; while Redis is down they are not
# enforced (core.cache fails open, see docs/deployment.md).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/m/ip,5/300s/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/300s/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/180s/key",
    "change_password": "5/m/user",
}
# Security keys and passkeys (WebAuthn) as a second factor, next to the authenticator app. The relying party
# is the host of the request (ALLOWED_HOSTS vetted it); fido2 accepts only https:// origins, and http://localhost
# for development and the browser tests, so no insecure-origin switch is needed. Passwordless sign-in with a
# passkey stays off: the key is a second factor after the password.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", default="Portail CPTS")
MFA_RECOVERY_CODE_COUNT = 10

# --- REST API -----------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsAuthenticatedWithRequiredMfa"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Bodies bounded in size and depth on every API (see core.api): 413 past 1 MiB, a French 400 too deep.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.BoundedJSONParser",
        "core.api.BoundedFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # The directory's API is open to anonymous readers: a scraper gets 429s, not the national directory.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API du portail CPTS",
    "DESCRIPTION": (
        "API REST du portail territorial. Authentification : jeton personnel "
        "(`Authorization: Token <clé>`, créé sur la page « Mon compte ») ou session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # docs assets served locally: the portal works offline
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.roles.Role",
        "ReferralKindEnum": "referrals.models.Referral.Kind",
        "ContactChannelKindEnum": "directory.models.ContactChannel.Kind",
        "SentOutsideViaEnum": "referrals.services.handling.SentOutsideVia",
        "OutsideStatusEnum": "referrals.serializers.OUTSIDE_STATUS_CHOICES",
        "SnpAudienceEnum": "snp.models.BookingAudience",
        "ChannelAudienceEnum": "directory.models.Audience",
        "SnpSlotKindEnum": "snp.models.SlotKind",
        "WaitlistSexEnum": "waitlist.models.Sex",
        "WaitlistEntryStatusEnum": "waitlist.models.Entry.Status",
        "NewsletterEditionEnum": "newsletter.models.Edition",
    },
}

# --- Internationalisation: French first, English available; stored in UTC, shown in Europe/Paris ----------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files (vendored from npm by `make assets`, served by WhiteNoise) -------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Celery: Redis is the broker; results are not kept (the outbox rows are the record) --------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again; tasks claim their work
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# `celery -A cpts_portal worker` without -Q consumes every queue listed here.
CELERY_TASK_QUEUES = (Queue("default", routing_key="default"), Queue("outbox", routing_key="outbox"))
# The newsletter's batches deliver mail: they share the outbox queue (each batch is short and the next one waits
# its turn at the configured rate, so a referral's message never waits behind a whole newsletter).
CELERY_TASK_ROUTES = {
    "notifications.tasks.*": {"queue": "outbox"},
    "newsletter.tasks.send_issue_batch": {"queue": "outbox"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged task comes back after this delay; it must exceed the longest retry countdown.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", default=3600, minimum=5),
    # A Redis that vanished without closing the connection must not hang a web request that publishes.
    "socket_timeout": 5,
    "socket_connect_timeout": 2,
}
# Publishing gives up quickly when Redis is down: the outbox row is saved and the sweep queues it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Referral deadlines: a reminder before the target date, the escalation chain after it (recipient, practice,
    # coordination), the reminder to close; hourly, because an urgent request's target is 48 h away and its
    # reminder window 12 h. Each request takes each step once (its timeline event).
    "referral-deadline-reminders": {
        "task": "referrals.tasks.send_deadline_reminders",
        "schedule": crontab(minute=23),
    },
    # The morning digest of the recipient's side (what to acknowledge, what is late), at 7:45 (Paris) on working
    # days, before the secretariats open the phones; "to acknowledge" is a status, not "since yesterday", so
    # Monday's digest misses nothing of the weekend. One per person and day, whatever reruns.
    "referral-daily-digests": {
        "task": "referrals.tasks.send_daily_digests",
        "schedule": crontab(day_of_week="mon-fri", hour=7, minute=45),
    },
    # The coordinators' weekly digest of late requests, Monday 8:15 (Paris), to plan the week's phone calls.
    # One per coordinator, territory and ISO week.
    "referral-weekly-coordinator-digests": {
        "task": "referrals.tasks.send_weekly_coordinator_digests",
        "schedule": crontab(day_of_week="mon", hour=8, minute=15),
    },
    # Measured response delays (6 months of requests, in SQL), replaced nightly at 2:35 when nobody works and
    # before the access-log purge; the directory shows them the next morning.
    "referral-response-statistics": {
        "task": "referrals.tasks.compute_response_statistics",
        "schedule": crontab(hour=2, minute=35),
    },
    # Rows whose delivery could not be queued (Redis down when they were written) must not wait long.
    "outbox-sweep": {"task": "notifications.tasks.sweep_outbox", "schedule": 60.0},
    # Access-log rows are kept for the legal period, then purged at night when nobody works.
    "access-log-retention": {
        "task": "accounts.tasks.purge_old_access_log",
        "schedule": crontab(hour=3, minute=17),
    },
    # Directory entries confirmed more than six months ago are asked "is this still right?" once a month: the
    # service skips entries asked in the last 30 days, so a missed or repeated run sends nothing twice. On the
    # 2nd at 9:40 (Paris), in working hours, when the professional reads mail at the desk, not on the 1st when
    # the month's statements (and New Year's and May Day holidays) fill the mailboxes.
    "directory-confirmation-requests": {
        "task": "directory.tasks.send_confirmation_requests",
        "schedule": crontab(day_of_month=2, hour=9, minute=40),
    },
    # Weekly SNP patterns written 8 weeks ahead, nightly at 1:05: a day is added each night, reruns write nothing.
    "snp-patterns-expand": {"task": "snp.tasks.expand_patterns", "schedule": crontab(hour=1, minute=5)},
    # The patient's reminder before an SNP visit, every 5 minutes so that it leaves within 5 minutes of its time.
    "snp-reminders": {"task": "snp.tasks.send_reminders", "schedule": crontab(minute="*/5")},
    # The coordinators' e-mail of the no-shows to call back, at 8:30 (Paris) on working days, when the coordination
    # starts its calls; "to call back" is a status, so Monday's covers the weekend. One per coordinator, territory
    # and day, whatever reruns; none when nobody is to be called.
    "snp-recall-digests": {
        "task": "snp.tasks.send_recall_digests",
        "schedule": crontab(day_of_week="mon-fri", hour=8, minute=30),
    },
    # Waiting-list proposals a GP left unanswered for 7 days go back to the queue, hourly: an entry waits at most an
    # hour past its deadline; each proposal is claimed by a conditional update, so reruns give nothing back twice.
    "waitlist-proposals-expire": {"task": "waitlist.tasks.expire_proposals", "schedule": crontab(minute=41)},
}
# The waiting list's re-confirmations ("toujours sans médecin traitant ?"), their reminders and the move to inactive:
# daily at 10:10 (Paris), a time to read an SMS, not to be woken by one; each step is claimed once, so a missed
# day goes out the next and a rerun sends nothing.
CELERY_BEAT_SCHEDULE["waitlist-reconfirmations"] = {
    "task": "waitlist.tasks.send_reconfirmations",
    "schedule": crontab(hour=10, minute=10),
}

# --- Outbox ---------------------------------------------------------------------------------------------------
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", default=6, minimum=1)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", default=30, minimum=1)
# A pending row older than this with no task carrying it is queued again by the sweep.
OUTBOX_SWEEP_GRACE_SECONDS = env_int("OUTBOX_SWEEP_GRACE_SECONDS", default=120, minimum=0)
# A row claimed this long ago and still "sending" was left by a dead worker.
OUTBOX_STALE_CLAIM_SECONDS = env_int("OUTBOX_STALE_CLAIM_SECONDS", default=900, minimum=1)
ACCESS_LOG_RETENTION_DAYS = env_int("ACCESS_LOG_RETENTION_DAYS", default=365 * 6, minimum=30)
# How long before a non-scheduled-care visit the patient gets their reminder.
SNP_REMINDER_MINUTES = env_int("SNP_REMINDER_MINUTES", default=120, minimum=15)
# Public waiting-list sign-ups (the page and the API, codes typed included) per client address and hour; 0 turns
# the limit off (the sign-up benchmark's server does, for its burst from one address).
WAITLIST_SIGNUPS_PER_HOUR = env_int("WAITLIST_SIGNUPS_PER_HOUR", default=20, minimum=0)
WAITLIST_SIGNUP_RATE = f"{WAITLIST_SIGNUPS_PER_HOUR}/hour" if WAITLIST_SIGNUPS_PER_HOUR else None

# --- Security: secure by default outside DEBUG ---------------------------------------------------------------
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# Behind the proxy every request comes from its address: allauth's per-IP sign-in limits must read the
# client's address from X-Forwarded-For instead, trusting exactly one proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = 1 if BEHIND_TLS_PROXY else 0
# The throttles count by client address: X-Forwarded-For is read only from the one proxy we stand behind (a
# client that sends its own header must not get a fresh budget with each request).
REST_FRAMEWORK["NUM_PROXIES"] = 1 if BEHIND_TLS_PROXY else 0
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = False
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a one-way commitment for the whole domain; each CPTS decides it with its host.
    "security.W021",
]

# --- Logging: to stdout, one line per event ---------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
    # WeasyPrint narrates every step of every PDF at INFO: only its warnings are worth a line.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
# Public newsletter subscriptions (the page and the API) per client address and hour; 0 turns the limit off.
NEWSLETTER_SUBSCRIBES_PER_HOUR = env_int("NEWSLETTER_SUBSCRIBES_PER_HOUR", default=20, minimum=0)
NEWSLETTER_SUBSCRIBE_RATE = f"{NEWSLETTER_SUBSCRIBES_PER_HOUR}/hour" if NEWSLETTER_SUBSCRIBES_PER_HOUR else None
# New professional accounts get the professional edition of the newsletter by default: once a day is soon enough
# (the next issue is monthly); each account is subscribed once, and one that left the edition is left alone.
CELERY_BEAT_SCHEDULE["newsletter-professional-accounts"] = {
    "task": "newsletter.tasks.subscribe_professional_accounts",
    "schedule": crontab(hour=5, minute=40),
}
# Sending an issue: batches of this many messages over one SMTP connection, at most this many messages a minute
# (0: as fast as the mail server takes them). Ask your relay what it accepts; 600 a minute is a safe start.
NEWSLETTER_SEND_BATCH_SIZE = env_int("NEWSLETTER_SEND_BATCH_SIZE", default=100, minimum=1)
NEWSLETTER_SEND_RATE_PER_MINUTE = env_int("NEWSLETTER_SEND_RATE_PER_MINUTE", default=600, minimum=0)
# Batches of one issue that leave at once (one per worker process that takes them): the rate above is shared.
NEWSLETTER_SEND_CHAINS = env_int("NEWSLETTER_SEND_CHAINS", default=2, minimum=1)
# A send whose chain of batches gave no sign of life for this long is resumed by the next sweep (a worker that
# starts resumes at once).
NEWSLETTER_SEND_STALE_SECONDS = env_int("NEWSLETTER_SEND_STALE_SECONDS", default=180, minimum=10)
CELERY_BEAT_SCHEDULE["newsletter-sends"] = {
    "task": "newsletter.tasks.resume_sends",
    "schedule": 60.0,
}
# The weekly digest of the directory's changes leaves on Monday morning for the week that ended (Paris time).
CELERY_BEAT_SCHEDULE["newsletter-weekly-digest"] = {
    "task": "newsletter.tasks.send_weekly_digests",
    "schedule": crontab(day_of_week="mon", hour=7, minute=15),
}
