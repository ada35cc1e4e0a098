"""Settings for Tingjian, read from the environment.

Every setting has a default that makes ``make run`` work on a fresh machine with nothing
set (SQLite under ``var/``, a generated secret key, the database-backed task queue).
Production sets ``TINGJIAN_DEBUG=0``; then an explicit secret key and allowed hosts are
required and the process refuses to start without them.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("TINGJIAN_VAR_DIR", PROJECT_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = _env_bool("TINGJIAN_DEBUG", True)


def _secret_key() -> str:
    key = os.environ.get("TINGJIAN_SECRET_KEY", "")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "TINGJIAN_SECRET_KEY must be set when TINGJIAN_DEBUG is off."
        )
    # Embedded default: generate once and keep it, so sessions survive restarts.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _encryption_keys() -> list[str]:
    """Fernet keys for channel secrets at rest (see tingjian/channels/secrets.py)."""
    keys = _env_list("TINGJIAN_ENCRYPTION_KEYS", [])
    if keys:
        return keys
    if not DEBUG:
        raise ImproperlyConfigured(
            "TINGJIAN_ENCRYPTION_KEYS must be set when TINGJIAN_DEBUG is off (generate one: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        )
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "encryption_key"
    if not path.exists():
        from cryptography.fernet import Fernet

        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return [path.read_text().strip()]


TINGJIAN_ENCRYPTION_KEYS = _encryption_keys()
ALLOWED_HOSTS = _env_list(
    "TINGJIAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("TINGJIAN_ALLOWED_HOSTS must be set when TINGJIAN_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = _env_list("TINGJIAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_htmx",
    "django_tasks_db",
    "tingjian.audit",
    "tingjian.alerts",
    "tingjian.org",
    "tingjian.customers",
    "tingjian.textintel",
    "tingjian.search",
    "tingjian.knowledge",
    "tingjian.sla",
    "tingjian.cases",
    "tingjian.channels",
    "tingjian.surveys",
    "tingjian.insights",
    "tingjian.radar",
    "tingjian.reports",
    "tingjian.api",
    "tingjian.web",
    "tingjian.demo",
    "tingjian.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "tingjian.urls"
WSGI_APPLICATION = "tingjian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'tingjian.sqlite3'}",
        conn_max_age=int(os.environ.get("TINGJIAN_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; a busy timeout instead of
    # "database is locked" under the small concurrent load of the embedded default.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:case-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hant"
LANGUAGES = [
    ("zh-hant", "繁體中文"),
    ("zh-hans", "简体中文"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TINGJIAN_TIME_ZONE", "Asia/Taipei")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("TINGJIAN_STATIC_ROOT", PROJECT_DIR / "staticfiles"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TINGJIAN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"
        ),
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REFERRER_POLICY = "same-origin"

from django.utils.csp import CSP  # noqa: E402

# No inline scripts anywhere: the policy says so to the browser too.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Without a mail server configured, mail is written to var/mail/ (one file per message) rather
# than printed: the alerts' emails would otherwise flood the terminal `make run` serves from.
_EMAIL_BACKEND = os.environ.get("TINGJIAN_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": (
            {"file_path": str(VAR_DIR / "mail")} if _EMAIL_BACKEND.endswith("filebased.EmailBackend")
            else {
                "host": os.environ.get("TINGJIAN_SMTP_HOST", "localhost"),
                "port": int(os.environ.get("TINGJIAN_SMTP_PORT", "587")),
                "username": os.environ.get("TINGJIAN_SMTP_USER", ""),
                "password": os.environ.get("TINGJIAN_SMTP_PASSWORD", ""),
                "use_tls": os.environ.get("TINGJIAN_SMTP_STARTTLS", "1") == "1",
            } if _EMAIL_BACKEND.endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("TINGJIAN_FROM_EMAIL", "tingjian@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TINGJIAN_LOG_LEVEL", "INFO")},
    # httpx logs request URLs at INFO, and some platform APIs carry tokens in the query
    # string (WeChat's secret, Graph's access_token): never let those reach the log.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # WeasyPrint narrates every layout step of a PDF report at INFO; fontTools its subsetting.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Where the service policy files live; `tingjian policy load` reads them.
TINGJIAN_POLICY_DIR = Path(os.environ.get("TINGJIAN_POLICY_DIR", PROJECT_DIR / "policies"))

# --- Channels (issue 3) -------------------------------------------------------------------
# Where the platforms' APIs live. Settings, so tests and demos point them at a local fake.
TINGJIAN_WECHAT_API_BASE = os.environ.get("TINGJIAN_WECHAT_API_BASE", "https://api.weixin.qq.com")
TINGJIAN_LINE_API_BASE = os.environ.get("TINGJIAN_LINE_API_BASE", "https://api.line.me")
TINGJIAN_LINE_DATA_API_BASE = os.environ.get("TINGJIAN_LINE_DATA_API_BASE", "https://api-data.line.me")
TINGJIAN_GRAPH_API_BASE = os.environ.get("TINGJIAN_GRAPH_API_BASE", "https://graph.facebook.com/v21.0")
# Seconds an outbound call to a platform may take before it counts as failed (and is retried).
TINGJIAN_OUTBOUND_TIMEOUT = float(os.environ.get("TINGJIAN_OUTBOUND_TIMEOUT", "10"))
# The address platforms reach us at; webhook URLs shown to administrators start with it.
TINGJIAN_PUBLIC_URL = os.environ.get("TINGJIAN_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Finished background-task results kept this many days (the database queue), then pruned hourly.
TINGJIAN_TASK_RESULTS_KEEP_DAYS = int(os.environ.get("TINGJIAN_TASK_RESULTS_KEEP_DAYS", "7"))

# Seconds an acknowledge link in a notification email stays valid (default: 7 days).
TINGJIAN_ACK_LINK_MAX_AGE = int(os.environ.get("TINGJIAN_ACK_LINK_MAX_AGE", str(7 * 24 * 3600)))
# Largest webhook body accepted (bytes); larger ones are answered 413 and not stored.
TINGJIAN_WEBHOOK_MAX_BYTES = int(os.environ.get("TINGJIAN_WEBHOOK_MAX_BYTES", str(1024 * 1024)))
# Largest mail fetched whole; the text of a larger one is kept, its attachments are not.
TINGJIAN_EMAIL_MAX_BYTES = int(os.environ.get("TINGJIAN_EMAIL_MAX_BYTES", str(25 * 1024 * 1024)))
# Minutes after a case closes before its satisfaction survey is sent (a reopen in between
# postpones it).
TINGJIAN_SURVEY_DELAY_MINUTES = int(os.environ.get("TINGJIAN_SURVEY_DELAY_MINUTES", "60"))
# Crisis radar: a public complaint alerts at this viral-risk score (0–100); a spike needs at
# least MIN_COUNT cases in the last hour and a Poisson tail probability at most ALPHA against
# the same hour of the week over BASELINE_WEEKS weeks.
TINGJIAN_RADAR_VIRAL_THRESHOLD = int(os.environ.get("TINGJIAN_RADAR_VIRAL_THRESHOLD", "70"))
TINGJIAN_RADAR_BASELINE_WEEKS = int(os.environ.get("TINGJIAN_RADAR_BASELINE_WEEKS", "8"))
TINGJIAN_RADAR_MIN_COUNT = int(os.environ.get("TINGJIAN_RADAR_MIN_COUNT", "5"))
TINGJIAN_RADAR_ALPHA = float(os.environ.get("TINGJIAN_RADAR_ALPHA", "1e-5"))
# Largest attachment downloaded from a platform or uploaded through the web form.
TINGJIAN_ATTACHMENT_MAX_BYTES = int(os.environ.get("TINGJIAN_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Seconds an event may wait for its task before the sweep enqueues it again.
TINGJIAN_INGEST_STUCK_AFTER = int(os.environ.get("TINGJIAN_INGEST_STUCK_AFTER", "300"))
# Uploaded and fetched attachments; served only through a view that checks the case.
MEDIA_ROOT = Path(os.environ.get("TINGJIAN_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/attachments/"
# How many reverse proxies (load balancers) stand in front of Tingjian and append the client's
# address to X-Forwarded-For. 0 (the default) trusts no such header: behind a proxy set it,
# or the web form's per-address rate limit counts the proxy's address for everyone.
TINGJIAN_TRUSTED_PROXIES = int(os.environ.get("TINGJIAN_TRUSTED_PROXIES", "0"))
# Largest call-log file (CSV/XLSX) accepted by the upload page.
TINGJIAN_IMPORT_MAX_BYTES = int(os.environ.get("TINGJIAN_IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
# Phone numbers written without a country code are read as this region's (ISO 3166 code).
TINGJIAN_PHONE_REGION = os.environ.get("TINGJIAN_PHONE_REGION", "TW")

# --- Text intelligence -----------------------------------------------------------------------
# The personal-safety lexicon (TOML); an operator may point at their own list of terms.
TINGJIAN_SAFETY_LEXICON = Path(
    os.environ.get("TINGJIAN_SAFETY_LEXICON", BASE_DIR / "textintel" / "lexicons" / "safety.toml")
)
