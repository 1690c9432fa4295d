"""Settings, read from the environment (every variable is listed in README.md).

Development needs no variables beyond DJANGO_DEBUG=1 (the Makefile sets it); with DEBUG off the
server refuses to start until its secrets are given.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from convai_dashboard.accounts.sso.saml.config import saml_app
from convai_dashboard.env import env_bool, env_float, env_int, env_list, env_mapping, env_str
from convai_dashboard.logformat import JSON_LOG_FORMATTER
from convai_dashboard.release import current

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off "
            "(set DJANGO_DEBUG=1 for development)."
        )
    SECRET_KEY = "development-only-secret-key-never-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Before django_tasks_db: its `db_worker` command (with a heartbeat) replaces that app's.
    "convai_dashboard.ops",
    "django_tasks_db",
    "axes",
    "convai_dashboard.accounts",
    # Sign-in through the studio's identity provider: allauth's, with this app's provider in
    # place of allauth's openid_connect (accounts/sso/provider.py).
    "allauth",
    "convai_dashboard.accounts.sso.apps.AllauthAccountConfig",
    "allauth.socialaccount",
    # Its SAML provider, ours in place of allauth's (accounts/sso/saml/provider.py).
    "convai_dashboard.accounts.sso.saml",
    # Its TOTP authenticators, for teams that require a second factor (accounts/second_factor).
    "allauth.mfa",
    "convai_dashboard.accounts.sso",
    "convai_dashboard.history",
    "convai_dashboard.review",
    "convai_dashboard.pages",
    # Only the demo's management commands (seed_demo, load_scale_data); never imported.
    "convai_dashboard.sandbox.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL in the address is a 400 before any view or query sees it.
    "convai_dashboard.pages.middleware.refuse_nul",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "convai_dashboard.accounts.sso.middleware.allauth_where_it_is_read",
    # Cache-Control: private, no-store on every signed-in page.
    "convai_dashboard.pages.middleware.private_pages",
    # Every page needs a signed-in user unless its view says otherwise (only sign-in does).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "convai_dashboard.pages.middleware.second_factor_gate",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "convai_dashboard.urls"
WSGI_APPLICATION = "convai_dashboard.wsgi.application"

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
                "django.template.context_processors.csp",
                "convai_dashboard.pages.queues.work_waiting",
                "convai_dashboard.pages.preferences.display_preferences",
            ],
        },
    },
    {
        # The hot loops of the reading pages (pages/jinja.py); autoescape is on by default.
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "convai_dashboard.pages.jinja.environment"},
    },
]

# SQLite by default; a team deployment points DATABASE_URL at PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and a sync worker write at once: WAL lets readers go on during a write,
    # the busy timeout makes a writer wait instead of failing, and IMMEDIATE transactions take
    # the write lock up front so two writers never deadlock on a lock upgrade. Connections are
    # kept as on PostgreSQL: opening one (the PRAGMAs, Django's functions, the schema read on
    # its first query) was a large share of every request (docs/performance.md, "The
    # signed-in floor").
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Search asks for the newest lines that match, and PostgreSQL's planner chooses between
    # walking lines from the newest and sorting the index's matches by what it thinks a random
    # read costs. Its default (4 times a sequential one) is for spinning disks; on SSD or with
    # the store in memory it made a word in 1,000 of a million lines walk sixty times as many
    # lines instead of reading its matches (docs/performance.md, "Search"). 1.1 is the value
    # PostgreSQL's manual gives.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c random_page_cost=1.1")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# What this process renders with (convai_dashboard.release): every cache key starts with it,
# so nothing cached by an earlier release is read after an upgrade.
RELEASE = current(BASE_DIR)

REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {
        **(
            {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
            if REDIS_URL
            else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        ),
        "KEY_PREFIX": RELEASE,
    }
}
# Off, every page is built in full each time: what a first visit costs, for benchmarks
# (bench/peer_datasette.py --no-cache). Nothing but speed depends on the cache.
if not env_bool("DASHBOARD_CACHE", True):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Axes first: it refuses a locked-out sign-in before the password is hashed, which costs the
# server far more than the attacker.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend's sign-in; the read of the signed-in user on each request is prepared.
    "convai_dashboard.accounts.backends.PasswordBackend",
]
# A trusted proxy (oauth2-proxy, Authelia) names each request's user in this header, which it
# always sets or strips (accounts/proxy.py; README, "Signing in through a proxy"). Off unless set.
TRUSTED_USER_HEADER = env_str("DJANGO_TRUSTED_USER_HEADER").strip()
if TRUSTED_USER_HEADER:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "convai_dashboard.accounts.proxy.TrustedHeaderMiddleware",
    )
    AUTHENTICATION_BACKENDS.append("convai_dashboard.accounts.proxy.TrustedHeaderBackend")
# Optionally, the proxy names the user's groups too (comma-separated), read at their first
# sign-in for TEAM_MAPPING.
TRUSTED_GROUPS_HEADER = env_str("DJANGO_TRUSTED_GROUPS_HEADER").strip()
# Where a user lands at their first sign-in through a proxy or an identity provider: a group
# or an e-mail domain, to a team and a role (env.env_mapping). Nothing maps: no team.
TEAM_MAPPING = env_mapping("DJANGO_TEAM_MAPPING")
# How long an invitation link can be used (once).
INVITATION_DAYS = env_int("DJANGO_INVITATION_DAYS", 7, minimum=1)
# Signing in with a password (django-axes counts the failures); off once single sign-on is on,
# for a studio whose identity provider alone says who may sign in.
PASSWORD_SIGN_IN = env_bool("DJANGO_PASSWORD_SIGN_IN", True)
# OpenID Connect with any provider, by its issuer URL (discovery), through django-allauth: the
# code flow with PKCE, and the ID token's signature, issuer, audience, nonce and expiry
# checked (accounts/sso). README, "Single sign-on".
OIDC_ISSUER = env_str("DJANGO_OIDC_ISSUER").strip()
OIDC_GROUPS_CLAIM = env_str("DJANGO_OIDC_GROUPS_CLAIM", "groups").strip()
# What the sign-in button calls the provider: "Sign in with Studio SSO".
OIDC_NAME = env_str("DJANGO_OIDC_NAME", "Studio SSO")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "studio",
                "name": OIDC_NAME,
                "client_id": env_str("DJANGO_OIDC_CLIENT_ID"),
                "secret": env_str("DJANGO_OIDC_CLIENT_SECRET"),
                "settings": {"server_url": OIDC_ISSUER, "oauth_pkce_enabled": True},
            }
        ]
        if OIDC_ISSUER
        else [],
    },
}
# SAML 2.0, through django-allauth's SAML provider (python3-saml): the identity provider by its
# metadata URL, or by its entity id, single sign-on URL and certificate. Signed assertions are
# required, and users are matched by the persistent NameID alone (accounts/sso/saml). README,
# "Single sign-on".
SAML_METADATA_URL = env_str("DJANGO_SAML_METADATA_URL").strip()
SAML_ENTITY_ID = env_str("DJANGO_SAML_ENTITY_ID").strip()
SAML_SSO_URL = env_str("DJANGO_SAML_SSO_URL").strip()
SAML_CERTIFICATE = env_str("DJANGO_SAML_CERTIFICATE").strip()
SAML_ENABLED = bool(SAML_METADATA_URL or SAML_SSO_URL)
if SAML_SSO_URL and not SAML_METADATA_URL and not (SAML_ENTITY_ID and SAML_CERTIFICATE):
    raise ImproperlyConfigured(
        "DJANGO_SAML_SSO_URL needs DJANGO_SAML_ENTITY_ID and DJANGO_SAML_CERTIFICATE too "
        "(or give DJANGO_SAML_METADATA_URL instead)."
    )
SAML_GROUPS_ATTRIBUTE = env_str("DJANGO_SAML_GROUPS_ATTRIBUTE", "groups").strip()
SAML_NAME = env_str("DJANGO_SAML_NAME", "Studio SAML")
if SAML_ENABLED:
    SOCIALACCOUNT_PROVIDERS["saml"] = {
        "APPS": [
            saml_app(
                SAML_NAME,
                (
                    {"metadata_url": SAML_METADATA_URL, "entity_id": SAML_ENTITY_ID or None}
                    if SAML_METADATA_URL
                    else {
                        "entity_id": SAML_ENTITY_ID,
                        "sso_url": SAML_SSO_URL,
                        "x509cert": SAML_CERTIFICATE,
                    }
                ),
                env_str("DJANGO_SAML_SP_ENTITY_ID").strip() or None,
            )
        ]
    }
ACCOUNT_ADAPTER = "convai_dashboard.accounts.sso.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "convai_dashboard.accounts.sso.adapters.SocialAccountAdapter"
# A first sign-in makes the user at once, matched by the provider's `sub` or persistent NameID,
# never by e-mail.
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
MFA_TOTP_ISSUER = "Convai Chat History"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# Convai gives every time without a zone and shows them as UTC; so does the dashboard.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "convai_dashboard.staticfiles.ManifestStorage"
        )
    },
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Everything the pages load comes from this server: no inline script, no CDN.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    # The sign-in form's answer redirects to the identity provider, which form-action covers
    # (only the origin counts after a redirect). A SAML identity provider given by its metadata
    # URL signs on at that URL's host, unless DJANGO_SAML_SSO_URL names another.
    "form-action": [
        CSP.SELF,
        *([OIDC_ISSUER] if OIDC_ISSUER else []),
        *([_origin(SAML_SSO_URL or SAML_METADATA_URL)] if SAML_ENABLED else []),
    ],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# HTTPS hardening is on in production by default; an internal deployment served over plain HTTP
# turns it off explicitly (and `check --deploy` will then say so).
_HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = _HTTPS
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if _HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Django's own sessions: in the database, read through the cache where the cache is Redis,
# which every worker shares. Each worker's memory cache would keep a signed-out session alive
# in the others, so without Redis they are read from the database alone.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
_BEHIND_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", False)
if _BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Monitors may ask for /healthz over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SILENCED_SYSTEM_CHECKS = ["security.W021"] if not SECURE_HSTS_PRELOAD else []

# --- Sign-in throttling (django-axes) ----------------------------------------------------------
# Failed sign-ins to /login/ and /admin/login/ are counted per user name and address together:
# guessing an account's password from one address stops after the limit, while one person's typos
# never lock out colleagues behind the same office address, nor the account's owner elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Not verbose: no banner on every manage.py command (cron would mail it), and no user agent in
# the log lines.
AXES_VERBOSE = False
# Failed sign-ins are logged with the user name and address they came from (axes masks both by
# default); the password never is.
AXES_SENSITIVE_PARAMETERS: list[str] = []
if _BEHIND_PROXY:
    # Behind the proxy every connection comes from the proxy: count the address it saw instead.
    AXES_CLIENT_IP_CALLABLE = "convai_dashboard.accounts.signin.client_ip"

# --- Convai ---------------------------------------------------------------------------------
CONVAI_API_URL = env_str("CONVAI_API_URL", "https://api.convai.com").rstrip("/")
# The one proxy Convai is reached through, if any: the client ignores HTTP(S)_PROXY (README).
CONVAI_PROXY = env_str("CONVAI_PROXY")
CONVAI_CONNECT_TIMEOUT = env_float("CONVAI_CONNECT_TIMEOUT", 3.05, minimum=0.1)
CONVAI_READ_TIMEOUT = env_float("CONVAI_READ_TIMEOUT", 20.0, minimum=0.1)
# Seconds a person's page request waits for Convai's answer, so that a slow Convai holds a server
# thread for seconds, not for the read timeout above (syncs, in the background, keep that one).
# A page that needs what is not stored yet shows itself first, and fetches in a request of its own.
CONVAI_PAGE_TIMEOUT = env_float("CONVAI_PAGE_TIMEOUT", 5.0, minimum=0.1)
# Retries of calls made outside a page request and a sync (the demo and scale commands): a page
# asks once (convai.configured.page_limits), a sync has SYNC_RETRIES.
CONVAI_RETRIES = env_int("CONVAI_RETRIES", 3, minimum=0)
# Seconds; retries wait 0, then 2x, 4x... this (capped at 8 s) unless Convai says Retry-After.
CONVAI_BACKOFF_FACTOR = env_float("CONVAI_BACKOFF_FACTOR", 0.5)
# A Retry-After longer than this is not waited for by those calls.
CONVAI_MAX_RETRY_AFTER = env_float("CONVAI_MAX_RETRY_AFTER", 10.0)

# Fernet keys (comma-separated, newest first) that encrypt stored Convai API keys. Several keys
# allow rotation: the first encrypts, all decrypt, `manage.py rotate_api_keys` re-encrypts.
CONVAI_KEY_ENCRYPTION_KEYS = env_list("CONVAI_KEY_ENCRYPTION_KEYS")
if not CONVAI_KEY_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "CONVAI_KEY_ENCRYPTION_KEYS is required when DJANGO_DEBUG is off; make one with "
            "python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    CONVAI_KEY_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    ]

# --- Sync --------------------------------------------------------------------------------------
# Background syncs run as django.tasks tasks, stored in the database and run by
# `manage.py db_worker` (django-tasks-db): no broker to deploy.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
SYNC_CONCURRENCY = env_int("SYNC_CONCURRENCY", 8, minimum=1)
# A sync waits out longer rate limits than a page request may, and retries more.
SYNC_RETRIES = env_int("SYNC_RETRIES", 5, minimum=0)
SYNC_MAX_RETRY_AFTER = env_float("SYNC_MAX_RETRY_AFTER", 120.0)
# A transcript fetched within this many minutes of its last interaction is fetched again by the
# next sync: the player may have gone on talking.
SYNC_SETTLE_MINUTES = env_int("SYNC_SETTLE_MINUTES", 60, minimum=0)
# A running sync that has not reported progress for this long was killed (worker restart).
SYNC_STALE_SECONDS = env_int("SYNC_STALE_SECONDS", 30, minimum=5)
# Each task worker writes a heartbeat this often; /healthz reports a worker gone after three
# missed beats.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10, minimum=1)

SESSIONS_PER_PAGE = env_int("DASHBOARD_SESSIONS_PER_PAGE", 50, minimum=1)
SEARCH_HITS_PER_PAGE = env_int("DASHBOARD_SEARCH_HITS_PER_PAGE", 50, minimum=1)
# How long a page of search results stays cached. Its key holds the stored_version of every
# character searched, so a store write makes it old at once; this bounds only the memory of
# searches no one repeats. 0 turns the cache off (docs/performance.md, "Caches").
SEARCH_CACHE_SECONDS = env_int("DASHBOARD_SEARCH_CACHE_SECONDS", 15 * 60, minimum=0)

# JSON lines on stdout (python-json-logger), one object a record, for a log collector; plain text
# on stderr otherwise. `make serve` turns it on; gunicorn.conf.py logs the same way.
LOG_JSON = env_bool("DJANGO_LOG_JSON", False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": JSON_LOG_FORMATTER},
    "handlers": {
        "console": (
            {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}
            if LOG_JSON
            else {"class": "logging.StreamHandler"}
        )
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # urllib3 logs retried URLs at DEBUG; the API key travels in a header it never logs, but
    # keep it quiet anyway so a DEBUG log level cannot grow into a request dump.
    "loggers": {
        "urllib3": {"level": "WARNING"},
        # Failed sign-ins and lock-outs are warnings; axes's notes on every good sign-in are not
        # worth a line each.
        "axes": {"level": "WARNING"},
    },
}
