"""Settings from environment variables, with safe defaults for a laptop.

Every variable is documented in docs/operations.md (設定（環境変数）); keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """The app cannot start with the configuration it was given."""


def _secret_key(instance_path: Path, production: bool) -> str:
    """SECRET_KEY from the environment; in development, one generated once into instance/.

    Production never falls back silently: a key that changes on restart would sign everyone out and
    invalidate every form, and a key in the repository would let anyone forge sessions.
    """
    key = os.environ.get("SECRET_KEY", "").strip()
    if key and production and len(key) < 32:
        raise ConfigError("SECRET_KEY が短すぎます。32文字以上のランダムな文字列にしてください。")
    if key:
        return key
    if production:
        raise ConfigError(
            "SECRET_KEY が設定されていません。TRAINER_ENV=production では SECRET_KEY "
            "(32文字以上のランダムな文字列) が必要です。"
        )
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with mode 0600: the key signs sessions, so only the app's user may read it.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


# What TRAINER_ENV may say. Anything else is refused: a typo such as "Production" or "prod"
# would otherwise run a public server in development mode (a generated key, http cookies,
# SQLite, the demo loader) without a word.
ENVIRONMENTS = ("development", "production")


def _environment() -> str:
    raw = os.environ.get("TRAINER_ENV", "").strip()
    if not raw:
        return "development"
    if raw not in ENVIRONMENTS:
        raise ConfigError(
            f"TRAINER_ENV は {' か '.join(ENVIRONMENTS)} にしてください (いま: {_shown(raw)})。"
            "本番のサーバーでは TRAINER_ENV=production です (小文字で正確に)。"
        )
    return raw


def _shown(value: str) -> str:
    """A value as it may be echoed in an error: everything before its last @ (a URL's user name
    and password, even one typed with / or # in it) replaced by ***, the scheme kept. Error
    messages reach terminals, service logs and tickets; a password must not travel with them."""
    if "@" not in value:
        return value
    before, _, after = value.rpartition("@")
    scheme, separator, _ = before.partition("://")
    return f"{scheme}://***@{after}" if separator else f"***@{after}"


def _flag(name: str) -> bool:
    """An on/off variable: 1, true, yes or on (any case) switch it on; anything else is off."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _database_url(instance_path: Path, production: bool) -> str:
    """DATABASE_URL with the psycopg driver named; in development a SQLite file by default.

    Production wants PostgreSQL: several workers and hosts write at once, and a SQLite file
    left under instance/ by a forgotten variable would quietly become the real database.
    TRAINER_ALLOW_SQLITE=1 is the explicit choice of one small office on one host.
    """
    url = os.environ.get("DATABASE_URL", "").strip()
    # Hosting panels still hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if production and not url.startswith("postgresql"):
        example = "postgresql://ユーザー:パスワード@ホスト/DB名"
        if url and not url.startswith("sqlite:"):
            raise ConfigError(
                # Only the scheme is echoed: the rest of the URL may hold a password.
                f"DATABASE_URL には PostgreSQL の URL ({example}) を設定してください"
                f" (いま: {url.partition(':')[0]}:…)。"
            )
        if not _flag("TRAINER_ALLOW_SQLITE"):
            raise ConfigError(
                f"DATABASE_URL に PostgreSQL の URL ({example}) が設定されていません。"
                "TRAINER_ENV=production では PostgreSQL を使います。1台のサーバーで小さな事務所"
                "だけが使う場合に限り、TRAINER_ALLOW_SQLITE=1 で SQLite を使えます。"
            )
    if not url:
        instance_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_path / 'mimamori.sqlite3'}"
    return url


def _base_url(production: bool) -> str:
    """TRAINER_BASE_URL without a trailing slash; required, and https, in production.

    It is printed on certificates and badges as QR codes for years, so production never
    falls back to the laptop's address. http is refused there: production cookies are Secure
    (a browser would not send them back over http, so nobody could sign in), and the personal
    links in those codes sign learners in, so they must not travel in clear text.
    """
    raw = os.environ.get("TRAINER_BASE_URL", "").strip()
    if not production:
        return (raw or "http://127.0.0.1:5000").rstrip("/")
    if not raw:
        raise ConfigError(
            "TRAINER_BASE_URL が設定されていません。TRAINER_ENV=production では、"
            "利用者が開く公開アドレス (例: https://mimamori.example.jp) が必要です。"
            "QRコードとリンクはこのアドレスで作られます。"
        )
    try:
        parts = urlsplit(raw)
        hostname = parts.hostname
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        parts, hostname = None, None
    if parts is None or parts.scheme != "https" or not hostname:
        raise ConfigError(
            f"TRAINER_BASE_URL は https:// で始まるアドレスにしてください (いま: {_shown(raw)})。"
            "TRAINER_ENV=production ではクッキーを HTTPS だけで送るため、http では"
            "ログインできません。"
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            "TRAINER_BASE_URL にユーザー名やパスワード (@ より前) は付けられません "
            f"(いま: {_shown(raw)})。QRコードとリンクに印刷されるアドレスです。"
        )
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ConfigError(
            f"TRAINER_BASE_URL はホスト名までにしてください (例: https://mimamori.example.jp)。"
            f"パスや ? 以降は付けられません (いま: {_shown(raw)})。"
        )
    return raw.rstrip("/")


# What Flask-Limiter accepts for Redis (limits' storage schemes).
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "redis+sentinel://", "redis+cluster://")


def _redis_url() -> str:
    """REDIS_URL, checked: "" when unset. The rate limits and the worker's queue use it."""
    url = os.environ.get("REDIS_URL", "").strip()
    if url and not url.startswith(REDIS_SCHEMES):
        raise ConfigError(
            # Only the scheme is echoed: the rest of the URL may hold a password.
            "REDIS_URL は redis:// か rediss:// で始まる URL にしてください "
            f"(例: redis://127.0.0.1:6379/0、いま: {url.partition(':')[0]}:…)。"
        )
    return url


def _rate_limit_storage() -> str:
    """Redis when REDIS_URL is set (counts shared by every worker and host), else memory."""
    return _redis_url() or "memory://"


def _rate_limits_enabled(production: bool) -> bool:
    enabled = os.environ.get("RATELIMIT_ENABLED", "1").strip() != "0"
    if production and not enabled:
        raise ConfigError(
            "RATELIMIT_ENABLED=0 は TRAINER_ENV=production では使えません。"
            "ログインと個人用リンクの回数制限は、パスワードやリンクの総当たりを防ぐためのものです。"
        )
    return enabled


# Content lives beside the package in the repository: courses/ and quizzes/
# (see docs/content-format.md).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load_config(instance_path: Path) -> dict[str, object]:
    """Build the Flask config mapping from the environment.

    Raises ConfigError, with a Japanese message naming the variable, when TRAINER_ENV is neither
    development nor production, and when production lacks something it must not guess:
    SECRET_KEY, an https TRAINER_BASE_URL, and a PostgreSQL DATABASE_URL (or
    TRAINER_ALLOW_SQLITE=1). No message echoes a URL's user name or password.
    """
    production = _environment() == "production"
    secret_key = _secret_key(instance_path, production)
    base_url = _base_url(production)
    return {
        "TRAINER_ENV": "production" if production else "development",
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path, production),
        "TRAINER_BASE_URL": base_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Cookies are sent only over https in production (create_app also marks them Secure
        # whenever the base URL is https, e.g. a staging site in development mode).
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        # Learners open their personal link once and stay signed in on their phone.
        "REMEMBER_COOKIE_DURATION": timedelta(days=180),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "RATELIMIT_STORAGE_URI": _rate_limit_storage(),
        "REDIS_URL": _redis_url(),  # also the worker's queue (trainer/worker.py)
        # Redis down: each worker counts in its own memory until Redis answers again, rather
        # than every sign-in and personal link failing with an error page.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_ENABLED": _rate_limits_enabled(production),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "PASSWORD_MIN_LENGTH": 10,
        "PASSWORD_RESET_HOURS": 72,
        "MEMBERS_PER_PAGE": 50,
        "COURSES_DIR": Path(os.environ.get("TRAINER_COURSES_DIR") or PROJECT_ROOT / "courses"),
        "QUIZZES_DIR": Path(os.environ.get("TRAINER_QUIZZES_DIR") or PROJECT_ROOT / "quizzes"),
        # The Ed25519 key that signs /verify/<token>.json; generated here on first use. Several
        # hosts must share one file (docs/operations.md, 導入).
        "SIGNING_KEY_FILE": Path(
            os.environ.get("TRAINER_SIGNING_KEY_FILE") or instance_path / "issuer_ed25519.pem"
        ),
        # Number of reverse proxies (nginx, a load balancer) in front of the app whose
        # X-Forwarded-For / X-Forwarded-Proto may be trusted. 0: trust none.
        # deploy/gunicorn.conf.py reads the same variable (proxy_count()).
        "TRAINER_PROXY_COUNT": proxy_count(),
        # How long one rendering of a workshop's projector counts is served to every screen
        # that shows it (workshops/live_cache.py), and one reading of its phase to the phones
        # that poll it (workshops/phase_poll.py). 0: read on every request.
        "PROJECTOR_CACHE_SECONDS": _projector_cache_seconds(),
        **_retention_settings(),
        # Outgoing mail (trainer/mail): SMTP_HOST "" means not set up, and mail stays queued.
        **_smtp_settings(),
    }


SMTP_SECURITY = ("starttls", "tls", "none")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def _smtp_settings() -> dict[str, object]:
    """TRAINER_SMTP_* and TRAINER_MAIL_FROM. No host: mail is not set up (nothing is sent, the
    queue keeps every message). With a host, the sender address is required. No message ever
    echoes the password."""
    host = os.environ.get("TRAINER_SMTP_HOST", "").strip()
    security = os.environ.get("TRAINER_SMTP_SECURITY", "").strip().lower() or "starttls"
    if security not in SMTP_SECURITY:
        raise ConfigError(
            f"TRAINER_SMTP_SECURITY は {'、'.join(SMTP_SECURITY)} のどれかにしてください "
            f"(いま: {_shown(security)})。starttls (587番) か tls (465番) が普通です。"
        )
    raw_port = os.environ.get("TRAINER_SMTP_PORT", "").strip()
    port = int(raw_port) if raw_port.isdigit() else 0
    if raw_port and not 1 <= port <= 65535:
        raise ConfigError(
            f"TRAINER_SMTP_PORT は 1 から 65535 までのポート番号にしてください (いま: "
            f"{_shown(raw_port)})。STARTTLS なら 587、TLS なら 465 が普通です。"
        )
    user = os.environ.get("TRAINER_SMTP_USER", "").strip()
    password = os.environ.get("TRAINER_SMTP_PASSWORD", "")
    sender = os.environ.get("TRAINER_MAIL_FROM", "").strip()
    if host:
        _check_smtp(host, security, user, password, sender)
    return {
        "SMTP_HOST": host,
        "SMTP_PORT": port or (465 if security == "tls" else 587),
        "SMTP_SECURITY": security,
        "SMTP_USER": user,
        "SMTP_PASSWORD": password,
        "MAIL_FROM": sender,
        # True (tests): views deliver queued mail at once instead of in a background thread.
        "MAIL_DELIVER_INLINE": False,
        # TRAINER_WORKER_IMMEDIATE=1: the worker's tasks run at once in the web process (no queue,
        # no `trainer worker`; a page that sends mail waits for the server). Unset: only in tests.
        "WORKER_IMMEDIATE": True if _flag("TRAINER_WORKER_IMMEDIATE") else None,
    }


def _check_smtp(host: str, security: str, user: str, password: str, sender: str) -> None:
    if not sender or " " in sender or sender.count("@") != 1 or sender.startswith("@"):
        raise ConfigError(
            "TRAINER_MAIL_FROM に送信元のメールアドレスを設定してください "
            f"(例: mimamori@city.example.lg.jp、いま: {_shown(sender) or '空'})。"
            "TRAINER_SMTP_HOST を設定したときは必要です。"
        )
    if password and not user:
        raise ConfigError(
            "TRAINER_SMTP_PASSWORD があるのに TRAINER_SMTP_USER がありません。"
            "SMTP の認証には、ユーザー名とパスワードの両方を設定してください。"
        )
    if password and security == "none" and host not in _LOCAL_HOSTS:
        raise ConfigError(
            "TRAINER_SMTP_SECURITY=none では、パスワードが暗号化されずに送られます。"
            f"{host} へは starttls か tls を使ってください"
            " (暗号化なしは、同じサーバー上の中継 (localhost) に限ります)。"
        )


def _retention_days() -> int:
    raw = os.environ.get("TRAINER_CONCERN_RETENTION_DAYS", "").strip() or "365"
    if not raw.isdigit() or not 1 <= int(raw) <= 3650:
        raise ConfigError(
            "TRAINER_CONCERN_RETENTION_DAYS は 1 から 3650 までの日数にしてください "
            f"(いま: {_shown(raw)})。完了した気づき報告の個人情報を消すまでの日数です。"
        )
    return int(raw)


def _retention_settings() -> dict[str, int]:
    return {
        # Days after a concern report is closed (完了) until its personal details are deleted
        # (concerns/retention.py); the anonymous counts stay.
        "CONCERN_RETENTION_DAYS": _retention_days(),
        # Days after a mail was sent (or failed) until its address and body are erased
        # (mail/outbox.py erase_old); the row, its status and subject stay for the counts.
        "MAIL_RETENTION_DAYS": _mail_retention_days(),
    }


def _mail_retention_days() -> int:
    raw = os.environ.get("TRAINER_MAIL_RETENTION_DAYS", "").strip() or "180"
    if not raw.isdigit() or not 1 <= int(raw) <= 3650:
        raise ConfigError(
            "TRAINER_MAIL_RETENTION_DAYS は 1 から 3650 までの日数にしてください "
            f"(いま: {_shown(raw)})。送ったメールの宛先と本文を消すまでの日数です。"
        )
    return int(raw)


def _projector_cache_seconds() -> float:
    raw = os.environ.get("TRAINER_PROJECTOR_CACHE_SECONDS", "").strip() or "1"
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 10:
        raise ConfigError(
            "TRAINER_PROJECTOR_CACHE_SECONDS は 0 から 10 までの秒数にしてください "
            f"(いま: {_shown(raw)})。プロジェクターは2秒ごとに更新されます。"
        )
    return seconds


def proxy_count() -> int:
    """TRAINER_PROXY_COUNT as a number of proxies (0 when unset)."""
    raw = os.environ.get("TRAINER_PROXY_COUNT", "").strip() or "0"
    if not raw.isdigit():
        raise ConfigError(
            f"TRAINER_PROXY_COUNT は前に置いたリバースプロキシの数 (0、1、2…) にしてください "
            f"(いま: {_shown(raw)})。"
        )
    return int(raw)
