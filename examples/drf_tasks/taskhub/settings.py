import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-secret-not-for-production")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
    "tasks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "taskhub.urls"
WSGI_APPLICATION = "taskhub.wsgi.application"


def _database(url: str) -> dict:
    """postgres://user:password@host:port/name -> a DATABASES entry (no dj-database-url needed)."""
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "localhost",
        "PORT": str(parts.port or 5432),
    }


DATABASES = {"default": _database(os.environ.get("DATABASE_URL", "postgres://tasks:tasks@localhost:5432/tasks"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}

# Outside services. The team webhook hears about shared projects (POST /api/projects/{pk}/share/);
# project exports go to an S3 bucket (POST /api/projects/{pk}/export/). AWS credentials come from
# the usual AWS_* variables; AWS_S3_ENDPOINT_URL points at an S3-compatible store (MinIO) when set.
TEAM_WEBHOOK_URL = os.environ.get("TEAM_WEBHOOK_URL", "https://hooks.example.com/taskhub")
TEAM_WEBHOOK_TIMEOUT = float(os.environ.get("TEAM_WEBHOOK_TIMEOUT", "5"))
EXPORTS_BUCKET = os.environ.get("EXPORTS_BUCKET", "taskhub-exports")
AWS_REGION = os.environ.get("AWS_REGION", "us-east-1")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
