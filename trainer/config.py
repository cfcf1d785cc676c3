"""Settings from environment variables, with safe defaults for a laptop.

Every variable is documented in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


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


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        instance_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_path / 'mimamori.sqlite3'}"
    # Hosting panels still hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


# Content lives beside the package in the repository: courses/ and quizzes/ (see the README).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load_config(instance_path: Path) -> dict[str, object]:
    """Build the Flask config mapping from the environment."""
    production = os.environ.get("TRAINER_ENV", "development").strip() == "production"
    base_url = os.environ.get("TRAINER_BASE_URL", "http://127.0.0.1:5000").strip().rstrip("/")
    redis_url = os.environ.get("REDIS_URL", "").strip()
    return {
        "TRAINER_ENV": "production" if production else "development",
        "SECRET_KEY": _secret_key(instance_path, production),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "TRAINER_BASE_URL": base_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Learners open their personal link once and stay signed in on their phone.
        "REMEMBER_COOKIE_DURATION": timedelta(days=180),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") != "0",
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "PASSWORD_MIN_LENGTH": 10,
        "PASSWORD_RESET_HOURS": 72,
        "MEMBERS_PER_PAGE": 50,
        "COURSES_DIR": Path(os.environ.get("TRAINER_COURSES_DIR") or PROJECT_ROOT / "courses"),
        "QUIZZES_DIR": Path(os.environ.get("TRAINER_QUIZZES_DIR") or PROJECT_ROOT / "quizzes"),
        # The Ed25519 key that signs /verify/<token>.json; generated here on first use. Several
        # hosts must share one file (README, deployment).
        "SIGNING_KEY_FILE": Path(
            os.environ.get("TRAINER_SIGNING_KEY_FILE") or instance_path / "issuer_ed25519.pem"
        ),
        # Number of reverse proxies (nginx, a load balancer) in front of the app whose
        # X-Forwarded-For / X-Forwarded-Proto may be trusted. 0: trust none.
        "TRAINER_PROXY_COUNT": int(os.environ.get("TRAINER_PROXY_COUNT", "0") or 0),
    }
