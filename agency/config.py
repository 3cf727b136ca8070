"""Configuration: safe defaults, overridden from the environment."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

CODE_ROOT = Path(__file__).resolve().parent.parent
# Where templates/, static/, migrations/ and translations/ are: the checkout itself, or, installed from a
# wheel, the `amiable_data` folder the build puts beside the packages (setup.py), so that site-packages
# does not get top-level folders with such common names.
ROOT = CODE_ROOT if (CODE_ROOT / "templates").is_dir() else CODE_ROOT / "amiable_data"
INSTALLED = ROOT != CODE_ROOT


def _instance_dir() -> Path:
    # Installed, the package's folder is no place for a database: Flask's own default for an installed app.
    default = Path(sys.prefix) / "var" / "amiable-instance" if INSTALLED else ROOT / "instance"
    return Path(os.environ.get("AMIABLE_INSTANCE", default))


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, or a key kept in the instance folder.

    Embedded mode must start without any setup, yet sessions must survive a restart, so a random key
    is generated once and stored beside the SQLite database.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = _instance_dir() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


DEFAULT_MAX_INVOICE_CENTS = 10_000_000_000  # €100,000,000 per invoice
DEFAULT_MAX_CASE_CENTS = 100_000_000_000  # €1,000,000,000 per case (its invoices together), and per payment
DEFAULT_BODACC_API_URL = (
    "https://bodacc-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/annonces-commerciales/records"
)

# "" is plain SMTP (a relay on the same machine), "starttls" upgrades the connection, "ssl" is TLS from the start.
SMTP_DEFAULT_PORTS = {"": 25, "starttls": 587, "ssl": 465}


def _smtp_security(value: str) -> str:
    value = value.strip().lower()
    if value not in SMTP_DEFAULT_PORTS:
        raise ValueError(f"SMTP_SECURITY must be empty, 'starttls' or 'ssl', not {value!r}")
    return value


class Config:
    """Settings of one app instance; `create_app` reads them from a subclass or a dict."""

    def __init__(self) -> None:
        env = os.environ
        instance = _instance_dir()
        self.INSTANCE_DIR = str(instance)
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or f"sqlite:///{instance / 'amiable.db'}"
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = env.get("REDIS_URL", "")
        # Seconds between two runs of the worker's maintenance, which starts RQ's scheduler again after Redis
        # was away and sends a crashed worker's jobs back to their retries (an idle worker waits for a job no
        # longer than this). A minute, as the outbox sweep: RQ's ten would leave retries and scheduled jobs
        # waiting that long after an outage, while a few seconds would wake every idle worker to clean every
        # registry for nothing anyone would notice. Tests shorten it.
        self.WORKER_MAINTENANCE_INTERVAL = int(env.get("WORKER_MAINTENANCE_INTERVAL", "60"))
        # Embedded mode: seconds a request waits for SQLite's write lock before the "busy" page.
        self.SQLITE_BUSY_TIMEOUT = float(env.get("SQLITE_BUSY_TIMEOUT", "15"))
        # Embedded mode runs periodic work on a thread of the web process; tests and CLI switch it off.
        self.SCHEDULER_THREAD = env.get("AMIABLE_SCHEDULER_THREAD", "1") == "1"
        self.DOCUMENTS_DIR = env.get("DOCUMENTS_DIR", str(instance / "documents"))
        # With a bucket, documents go to S3-compatible object storage instead of DOCUMENTS_DIR (agency/storage.py),
        # so machines share them without a shared disk. Credentials: boto3's own (AWS_ACCESS_KEY_ID and
        # AWS_SECRET_ACCESS_KEY, a profile or an instance role). The endpoint is for servers other than AWS
        # (MinIO, Ceph, Scaleway, OVH…); the prefix lets one bucket hold other things too.
        self.DOCUMENTS_S3_BUCKET = env.get("DOCUMENTS_S3_BUCKET", "")
        self.DOCUMENTS_S3_ENDPOINT_URL = env.get("DOCUMENTS_S3_ENDPOINT_URL", "")
        self.DOCUMENTS_S3_REGION = env.get("DOCUMENTS_S3_REGION", "") or env.get("AWS_DEFAULT_REGION", "")
        self.DOCUMENTS_S3_PREFIX = env.get("DOCUMENTS_S3_PREFIX", "")
        # "path" for servers that do not serve bucket names as host names (MinIO by default).
        self.DOCUMENTS_S3_ADDRESSING_STYLE = env.get("DOCUMENTS_S3_ADDRESSING_STYLE", "auto")
        # Seconds to connect, then to wait for an answer, and attempts in all (with backoff) before a document
        # is reported unavailable: a storage that hangs must not hold a request or a worker for long.
        self.DOCUMENTS_S3_CONNECT_TIMEOUT = float(env.get("DOCUMENTS_S3_CONNECT_TIMEOUT", "5"))
        self.DOCUMENTS_S3_READ_TIMEOUT = float(env.get("DOCUMENTS_S3_READ_TIMEOUT", "30"))
        self.DOCUMENTS_S3_MAX_ATTEMPTS = int(env.get("DOCUMENTS_S3_MAX_ATTEMPTS", "3"))
        # Bytes a file attached to a case may hold, checked while it is read (cases/attachments).
        self.ATTACHMENT_MAX_BYTES = int(env.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))

        self.TWILIO_ACCOUNT_SID = env.get("TWILIO_ACCOUNT_SID", "")
        self.TWILIO_AUTH_TOKEN = env.get("TWILIO_AUTH_TOKEN", "")
        self.TWILIO_FROM = env.get("TWILIO_FROM", "")
        # Only for tests and local fakes: where the twilio library sends its HTTP calls.
        self.TWILIO_API_BASE = env.get("TWILIO_API_BASE", "")
        # Seconds to connect to Twilio, then to wait for its answer: a provider that hangs costs one
        # attempt, retried later, instead of holding a worker.
        self.TWILIO_CONNECT_TIMEOUT = float(env.get("TWILIO_CONNECT_TIMEOUT", "5"))
        self.TWILIO_READ_TIMEOUT = float(env.get("TWILIO_READ_TIMEOUT", "15"))
        # Seconds before each new attempt when Twilio did not answer (5xx, 429, timeout); after the last
        # one the SMS is marked failed, for a collector to retry.
        self.SMS_RETRY_DELAYS = tuple(int(s) for s in env.get("SMS_RETRY_DELAYS", "30,120,600,1800").split(","))
        # Seconds an attempt in progress belongs to its worker before another run may look into it: longer
        # than Twilio's timeouts, shorter than the delivery job's own timeout.
        self.SMS_ATTEMPT_LEASE = float(env.get("SMS_ATTEMPT_LEASE", "45"))

        # Card payments online go through Stripe when STRIPE_SECRET_KEY is set; without it (embedded mode) the real
        # library talks to a local fake Stripe on a thread of this process (money/online/embedded.py).
        self.STRIPE_SECRET_KEY = env.get("STRIPE_SECRET_KEY", "")
        self.STRIPE_WEBHOOK_SECRET = env.get("STRIPE_WEBHOOK_SECRET", "")
        # Only for tests and local fakes: where the stripe library sends its HTTP calls.
        self.STRIPE_API_BASE = env.get("STRIPE_API_BASE", "")
        # Seconds to connect to Stripe, then to wait for its answer; the library's own retries (with backoff and
        # the same idempotency key) after a network error, a 409 or a 5xx.
        self.STRIPE_CONNECT_TIMEOUT = float(env.get("STRIPE_CONNECT_TIMEOUT", "5"))
        self.STRIPE_READ_TIMEOUT = float(env.get("STRIPE_READ_TIMEOUT", "20"))
        self.STRIPE_MAX_RETRIES = int(env.get("STRIPE_MAX_RETRIES", "2"))
        # Seconds a webhook's signature stays good: an older delivery is refused as a replay (Stripe's default).
        self.STRIPE_WEBHOOK_TOLERANCE = int(env.get("STRIPE_WEBHOOK_TOLERANCE", "300"))
        # Minutes a payment page stays open (Stripe allows 30 to 1,440).
        self.CHECKOUT_EXPIRY_MINUTES = int(env.get("CHECKOUT_EXPIRY_MINUTES", "60"))
        # Embedded mode: the port of the local fake Stripe (0: any free port).
        self.FAKE_STRIPE_PORT = int(env.get("FAKE_STRIPE_PORT", "0"))

        # E-mail goes through SMTP when SMTP_HOST is set, otherwise it stays in the local outbox.
        self.SMTP_HOST = env.get("SMTP_HOST", "")
        self.SMTP_SECURITY = _smtp_security(env.get("SMTP_SECURITY", ""))
        self.SMTP_PORT = int(env.get("SMTP_PORT") or SMTP_DEFAULT_PORTS[self.SMTP_SECURITY])
        self.SMTP_USER = env.get("SMTP_USER", "")
        self.SMTP_PASSWORD = env.get("SMTP_PASSWORD", "")
        self.SMTP_FROM = env.get("SMTP_FROM", "recouvrement@localhost")
        self.SMTP_TIMEOUT = int(env.get("SMTP_TIMEOUT", "30"))
        # A private certificate authority to trust, for a relay inside the agency's network.
        self.SMTP_CA_FILE = env.get("SMTP_CA_FILE", "")
        # The address the public reaches this platform at (links in messages, Twilio's signatures
        # behind a proxy), e.g. https://recouvrement.example.fr; empty: taken from the request.
        self.PUBLIC_URL = env.get("PUBLIC_URL", "").rstrip("/")

        self.BABEL_DEFAULT_LOCALE = "fr"
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
        self.LANGUAGES = {"fr": "Français", "en": "English"}
        self.BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")

        self.BOOTSTRAP_SERVE_LOCAL = True
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", "0") == "1"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_ENABLED = True
        # Admins and managers (and collectors or client users, by the agency's settings) must set up the second
        # factor before doing anything. Deliberately not read from the environment: only the test harness turns it
        # off, for the tests that are not about signing in (agency/second_factor.py).
        self.SECOND_FACTOR_ENFORCED = True
        # Idle and absolute session expiry (agency.sessions). Likewise only the test harness turns it off, for the
        # tests that move the clock by hours or days within one signed-in browser and are not about expiry.
        self.SESSION_EXPIRY_ENFORCED = True
        # Behind a reverse proxy the public URL matters (Twilio signatures, links in e-mails).
        self.PROXY_FIX = env.get("PROXY_FIX", "0") == "1"
        # /metrics answers callers from these networks (comma-separated addresses or CIDR blocks), or any caller
        # sending `Authorization: Bearer <METRICS_TOKEN>` when a token is set: Prometheus on the same machine
        # by default; from another, its address here or the token (over HTTPS). Behind a proxy, PROXY_FIX makes
        # the address the caller's, not the proxy's.
        self.METRICS_ALLOW = env.get("METRICS_ALLOW", "127.0.0.1,::1")
        self.METRICS_TOKEN = env.get("METRICS_TOKEN", "")
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO").upper()
        self.CASES_PER_PAGE = 50
        # Requests each API token may make per window of API_RATE_WINDOW seconds (0: no limit); beyond it
        # the API answers 429 with Retry-After. 600 a minute syncs 5,000 cases in under ten minutes.
        self.API_RATE_LIMIT = int(env.get("API_RATE_LIMIT", "600"))
        self.API_RATE_WINDOW = int(env.get("API_RATE_WINDOW", "60"))
        # The daily interest run posts a claim again once its last posting is this many days old (letters and
        # payments post on demand): posting every claim every day would add a ledger row per claim per day.
        self.INTEREST_POSTING_DAYS = int(env.get("INTEREST_POSTING_DAYS", "30"))
        # Bounds on amounts typed or placed, far above any real unpaid invoice: beyond them an amount is a typo
        # or an attack. They keep every sum far from BIGINT (9.2e18 cents): the interest query multiplies a
        # claim's principal by a cumulated day-rate of up to about 1e8, and it takes 92 million cases at the
        # case bound before a sum across cases could reach BIGINT (such sums are read as NUMERIC anyway).
        self.MAX_INVOICE_CENTS = int(env.get("MAX_INVOICE_CENTS", DEFAULT_MAX_INVOICE_CENTS))
        self.MAX_CASE_CENTS = int(env.get("MAX_CASE_CENTS", DEFAULT_MAX_CASE_CENTS))
        # The BODACC open-data API the daily insolvency watch asks (keyless; tests point it at a local fake).
        self.BODACC_API_URL = env.get("BODACC_API_URL", DEFAULT_BODACC_API_URL)
        # Seconds to connect, then to wait for an answer; seconds before each new attempt after a timeout, a 5xx or
        # a bad answer (then the run stops, and the debtors not checked are checked first by the next one).
        self.BODACC_CONNECT_TIMEOUT = float(env.get("BODACC_CONNECT_TIMEOUT", "5"))
        self.BODACC_READ_TIMEOUT = float(env.get("BODACC_READ_TIMEOUT", "30"))
        self.BODACC_RETRY_DELAYS = tuple(int(s) for s in env.get("BODACC_RETRY_DELAYS", "5,30").split(",") if s)
        # SIRENs per request, and seconds between two requests: a public service, asked politely.
        self.BODACC_BATCH_SIZE = int(env.get("BODACC_BATCH_SIZE", "40"))
        self.BODACC_PAUSE = float(env.get("BODACC_PAUSE", "1"))

