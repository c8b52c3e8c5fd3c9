"""Django settings for motcua. Everything configurable comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("MOTCUA_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("DEBUG", "0") == "1"
# The demo office (`make run`, `make setup`): published logins over plain http on loopback.
# Anything else with DEBUG off is a production start: secure defaults below, a secret key from
# the environment, and the server refuses to start on demo accounts or demo data
# (web/production.py).
MOTCUA_DEMO = os.environ.get("MOTCUA_DEMO", "0") == "1"
PRODUCTION = not DEBUG and not MOTCUA_DEMO


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def db_pool_max(environ: Any = os.environ) -> int:
    """How many PostgreSQL connections one process may hold: `DB_POOL_MAX`, else one for each
    thread that runs requests (`WEB_THREADS`: gunicorn's `--threads`) plus 2 for the process's
    own work (event streams' catch-up reads), and never fewer than 8. A request that finds every
    connection taken waits `DB_POOL_TIMEOUT` seconds, then fails (deploy/README.md)."""
    if environ.get("DB_POOL_MAX"):
        return int(environ["DB_POOL_MAX"])
    return max(8, int(environ.get("WEB_THREADS") or 0) + 2)


def _insecure_key(key: str) -> bool:
    # The same rule as Django's security.W009: short, repetitive or Django's placeholder.
    return len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure")


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if PRODUCTION and _insecure_key(SECRET_KEY):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Chạy thật (DEBUG tắt, không ở chế độ demo) cần biến môi trường SECRET_KEY: một chuỗi "
        "ngẫu nhiên từ 50 ký tự, ví dụ `python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'`. Chạy bản demo: MOTCUA_DEMO=1."
    )
if not SECRET_KEY:
    # Demo and development: a per-install key kept under var/, never committed, stable across
    # restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "huey.contrib.djhuey",
    "motcua.core",
    "motcua.org",
    "motcua.worktime",
    "motcua.catalog",
    "motcua.dossiers",
    "motcua.documents",
    "motcua.correspondence",
    "motcua.payments",
    "motcua.delivery",
    "motcua.homeservice",
    "motcua.notifications",
    "motcua.campaigns",
    "motcua.biometrics",
    "motcua.queueing",
    "motcua.portal",
    "motcua.reports",
    "motcua.web",
]

MIDDLEWARE = [
    # First: REMOTE_ADDR is the real client's address (X-Forwarded-For from TRUSTED_PROXIES only).
    "motcua.web.proxy.TrustedProxyMiddleware",
    "motcua.web.bodylimit.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files come pre-compressed), before anything that writes bodies.
    "motcua.web.middleware.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "motcua.web.middleware.ApiRequestMiddleware",  # API: CSRF for session writes, no NUL
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every page (CONTENT_SECURITY_POLICY below).
    "motcua.web.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "motcua.web.middleware.CurrentUnitMiddleware",
    # Counts visits through a campaign's link (cd=CODE.channel); no personal data.
    "motcua.campaigns.tracking.CampaignLinkMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"
ASGI_APPLICATION = "motcua.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "motcua.web.context.navigation",
            ],
        },
    }
]

SQLITE_PATH = VAR_DIR / "motcua.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}", conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0"))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN so
    # two writers queue on busy_timeout instead of failing with "database is locked" mid-way.
    # Django's backend with its writers queued by the operating system instead of SQLite's
    # sleeping busy handler (core/backends/sqlite3/base.py); MOTCUA_SQLITE_WRITER_QUEUE=0: Django's own.
    if os.environ.get("MOTCUA_SQLITE_WRITER_QUEUE", "1") != "0":
        DATABASES["default"]["ENGINE"] = "motcua.core.backends.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file (not memory) so concurrency tests use real connections; per process so that
    # parallel test runs on one machine never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_motcua_{os.getpid()}"}
    if os.environ.get("DB_POOL", "1") != "0":  # psycopg pool per process (DB_POOL=0: off)
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections, not Django
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            # Empty while idle (an idle process holds no connection but its listener's); the
            # pool closes one unused connection every `max_idle` seconds in which at least one
            # stayed unused (psycopg_pool 3.x), so a busy pool stays warm.
            "min_size": int(os.environ.get("DB_POOL_MIN", "0")),
            "max_size": db_pool_max(),
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
            "max_idle": float(os.environ.get("DB_POOL_MAX_IDLE", "5")),
        }

        def _forget_pools_in_child() -> None:  # a forked child must not use the parent's sockets
            from django.db.backends.postgresql.base import DatabaseWrapper

            getattr(DatabaseWrapper, "_connection_pools", {}).clear()

        os.register_at_fork(after_in_child=_forget_pools_in_child)

# PostgreSQL: the few hot plain-SQL statements (core.rawsql.prepared_cursor: the public lookup,
# the API token's read, the queue's check-in, call-next and counter buttons in queueing.hotsql,
# the ticket number, core.rawsql.insert and first_by) are kept prepared on each connection,
# parsed and planned once instead of at every request. Off (DB_PREPARE=0) behind a pooler that
# does not keep a session per client (PgBouncer in transaction mode); Django's own statements
# are never prepared.
DB_PREPARED_STATEMENTS = os.environ.get("DB_PREPARE", "1") != "0"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Brute-force protection for the login page and the token API alike.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A lockout answers JSON `{"code","message"}` under /api/, the Vietnamese page elsewhere.
AXES_LOCKOUT_CALLABLE = "motcua.core.throttle.axes_lockout_response"
# Password spraying: failed logins from one address across any usernames (login page and token
# API together), on top of axes' per-username-and-address lockout.
LOGIN_FAILURES_PER_ADDRESS = os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "30/h")
AXES_ENABLED = os.environ.get("AXES_ENABLED", "1") == "1"
# django-axes has no Vietnamese admin; lockouts are lifted with `motcua axes_reset_username NAME`.
AXES_ENABLE_ADMIN = False

LANGUAGE_CODE = "vi"
# Vietnamese only: with English listed, an English-language browser got Django's English
# messages and month-first dates. Date formats (dd/mm/yyyy) live in motcua/formats/vi.
LANGUAGES = [("vi", "Tiếng Việt")]
FORMAT_MODULE_PATH = ["motcua.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names + .gz/.br at collectstatic, served with a one-year immutable cache lifetime;
    # files not (yet) collected fall back to their plain names (see web/staticstorage.py).
    "staticfiles": {"BACKEND": "motcua.web.staticstorage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
# Source maps and type declarations are only read by developer tools: not worth compressing
# (they are half the vendor folders and would triple the time collectstatic takes).
# Only the hashed copies stay in STATIC_ROOT (and get compressed): half the disk and half the
# time of every collectstatic; a plain name is still served from the app folders (finders).
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br"),
    *("swf", "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4"),
    *("mpeg", "mpg", "webm", "wmv", "map", "ts", "cjs"),
]
# Front-end libraries come from the npm registry at set-up (package.json + lock file) and are
# served from our own static files under /static/vendor/<name>/: never a CDN at run time.
NODE_MODULES_DIR = Path(os.environ.get("MOTCUA_NODE_MODULES", PROJECT_DIR / "node_modules"))
_VENDOR_DIRS = {
    "swagger-ui": "swagger-ui-dist",
    "chartjs": "chart.js/dist",
    "leaflet": "leaflet/dist",
    "altcha": "altcha/dist",
}
STATICFILES_DIRS = [
    (f"vendor/{name}", str(NODE_MODULES_DIR / sub))
    for name, sub in _VENDOR_DIRS.items()
    if (NODE_MODULES_DIR / sub).is_dir()
]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"
        if not os.environ.get("REDIS_URL")
        else "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "motcua"),
    },
    # Rate limits, lockouts and code locks: shared by every server process. Redis when
    # REDIS_URL is set, else a table in the database (created by migrate, core 0004).
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache"
        if os.environ.get("REDIS_URL")
        else "motcua.core.throttle.SharedDatabaseCache",
        "LOCATION": os.environ.get("REDIS_URL", "motcua_ratelimit_cache"),
        "KEY_PREFIX": "rl",
        "OPTIONS": {} if os.environ.get("REDIS_URL") else {"MAX_ENTRIES": 100_000},
    },
}
RATELIMIT_USE_CACHE = "ratelimit"
# Public pages kept whole for every visitor (core.cache.shared_page): the same shared store,
# its own key prefix.
CACHES["shared"] = {**CACHES["ratelimit"], "KEY_PREFIX": "pg"}  # type: ignore[dict-item]

# Background jobs: Huey on SQLite under var/ by default, Redis when REDIS_URL is set.
_huey_immediate = os.environ.get("HUEY_IMMEDIATE", "0") == "1"
if os.environ.get("REDIS_URL"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "motcua",
        "url": os.environ["REDIS_URL"],
        "immediate": _huey_immediate,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "motcua",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": _huey_immediate,
    }

RATELIMIT_VIEW = "motcua.web.views.ratelimited"
# Behind a reverse proxy (deploy/README.md): the addresses (or networks) of the proxies whose
# X-Forwarded-For / X-Forwarded-Proto are believed, e.g. TRUSTED_PROXIES=127.0.0.1. Empty: none.
TRUSTED_PROXIES = [a.strip() for a in os.environ.get("TRUSTED_PROXIES", "").split(",") if a.strip()]
# Rate limits and login lockouts keyed on the real client, never on a header a client forged.
RATELIMIT_IP_META_KEY = "motcua.web.proxy.ratelimit_address"
AXES_CLIENT_IP_CALLABLE = "motcua.web.proxy.client_address"
# Off only for load benchmarks on loopback, where every client shares one address.
RATELIMIT_ENABLE = os.environ.get("RATELIMIT_ENABLE", "1") == "1"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

# HTTPS: on by default in production, off for the demo on http://127.0.0.1; each one can be set
# by an environment variable of the same name (1/0). `motcua check --deploy` passes with the
# production defaults.
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS") or (str(365 * 24 * 3600) if PRODUCTION else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = _env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
# A load balancer's health probe may come over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_REFERRER_POLICY = os.environ.get("SECURE_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Behind a reverse proxy that terminates TLS: the header it sets and the value meaning https,
# e.g. SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto (value https by default). Only set it when the
# proxy always overwrites that header: a client could otherwise claim https itself.
_proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = (
    (
        "HTTP_" + _proxy_header.split("=")[0].strip().upper().replace("-", "_"),
        (_proxy_header.split("=", 1)[1].strip() if "=" in _proxy_header else "https"),
    )
    if _proxy_header
    else None
)

MOTCUA: dict[str, Any] = {
    # Address printed in QR codes on forms and slips when no request tells it (jobs, CLI).
    "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
    # Face data: templates of "today only" check-ins are purged at closing by a job.
    "FACE_MATCH_THRESHOLD": float(os.environ.get("FACE_MATCH_THRESHOLD", "0.42")),
    "FACE_MATCH_MARGIN": float(os.environ.get("FACE_MATCH_MARGIN", "0.08")),
    "FACE_ENGINE": os.environ.get("FACE_ENGINE", "motcua.biometrics.engine.OpenCVFaceEngine"),
    # "Remember me" face templates are deleted after this many days without a visit.
    "FACE_REMEMBER_RETENTION_DAYS": int(os.environ.get("FACE_REMEMBER_RETENTION_DAYS", "730")),
    # Public dossier lookups per client address and minute (API).
    "PUBLIC_LOOKUP_PER_MINUTE": int(os.environ.get("PUBLIC_LOOKUP_PER_MINUTE", "20")),
    # Kiosk check-ins per client address: every request (camera frames come ~85 a minute from
    # one kiosk, and an office's kiosks often share one address), and identifications by
    # ID-card QR or phone number (guessing numbers). Generous for a busy office's peak.
    "KIOSK_CHECK_IN_PER_MINUTE": int(os.environ.get("KIOSK_CHECK_IN_PER_MINUTE", "1200")),
    "KIOSK_IDENTIFY_PER_MINUTE": int(os.environ.get("KIOSK_IDENTIFY_PER_MINUTE", "120")),
    "API_TOKEN_TTL_HOURS": int(os.environ.get("API_TOKEN_TTL_HOURS", "12")),
    # Anonymous online submissions (no official token): per client address and hour, and per
    # identity number (CCCD) and day. A submission takes no official number until accepted.
    "ONLINE_SUBMISSIONS_PER_HOUR": int(os.environ.get("ONLINE_SUBMISSIONS_PER_HOUR", "10")),
    "ONLINE_SUBMISSIONS_PER_ID_PER_DAY": int(
        os.environ.get("ONLINE_SUBMISSIONS_PER_ID_PER_DAY", "3")
    ),
    # Request bodies above this are refused from their Content-Length, before being read
    # (web.bodylimit); a reception form carries several scans of at most 10 MB each.
    "MAX_REQUEST_BYTES": int(os.environ.get("MAX_REQUEST_BYTES", str(25 * 1024 * 1024))),
    # edXML packages from the document exchange platform (correspondence.edxml): larger ones
    # are refused with a reason; the platform authenticates with this key (X-Exchange-Key).
    "EDXML_MAX_BYTES": int(os.environ.get("EDXML_MAX_BYTES", str(20 * 1024 * 1024))),
    "EXCHANGE_INBOX_KEY": os.environ.get("EXCHANGE_INBOX_KEY", ""),
    # Answers kept for `Idempotency-Key` retries of creating API calls (core.idempotency).
    "IDEMPOTENCY_KEY_TTL_HOURS": int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24")),
    # Base map of /co-quan/: a tile server the office can reach ({z}/{x}/{y} template, e.g. the
    # province's own server); empty = no base map (markers over imported ward boundaries and
    # the list of offices). The attribution is what the tile provider's licence requires.
    "MAP_TILE_URL": os.environ.get("MAP_TILE_URL", ""),
    "MAP_TILE_ATTRIBUTION": os.environ.get("MAP_TILE_ATTRIBUTION", ""),
    "MAP_MAX_ZOOM": int(os.environ.get("MAP_MAX_ZOOM", "18")),
}

# The map tile server's origin: the Content-Security-Policy's img-src allows it
# (web.middleware.ContentSecurityPolicyMiddleware reads it from MOTCUA["MAP_TILE_URL"]).
MAP_TILE_ORIGIN = (
    "{0.scheme}://{0.netloc}".format(urlsplit(MOTCUA["MAP_TILE_URL"]))
    if MOTCUA["MAP_TILE_URL"]
    else ""
)

# Content-Security-Policy (django-csp 4): scripts, styles, fonts and requests from our own
# static files and pages only; no inline script or style anywhere (templates keep none), no
# framing, no plugins. Images may also be data: URIs (QR codes, chart exports) and the map's
# tiles.
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # + the tile server's origin (MAP_TILE_ORIGIN), added per response by the middleware.
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "level": os.environ.get("LOG_LEVEL", "WARNING"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
