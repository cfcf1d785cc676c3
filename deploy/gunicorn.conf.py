"""gunicorn settings for production.

    .venv/bin/gunicorn -c deploy/gunicorn.conf.py 'trainer:create_app()'

Every value can be changed with an environment variable (README, Deployment); gunicorn's own
command-line options still win over this file.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

from gunicorn.arbiter import Arbiter
from gunicorn.glogging import Logger

from trainer.config import proxy_count


def _positive_int(names: tuple[str, ...], default: int) -> int:
    """The first of `names` that is set, as a whole number of at least 1; else `default`."""
    for name in names:
        raw = os.environ.get(name, "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"{name} は1以上の整数にしてください (いま: {raw})。")
        return int(raw)
    return default


def cpu_count() -> int:
    """CPUs this process may run on (a container or taskset may allow fewer than the host has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """gunicorn's rule of thumb: while one worker waits for the database, another computes."""
    return 2 * cpu_count() + 1


def trusted_proxies() -> str:
    """Who may tell gunicorn that a request came over https (X-Forwarded-Proto).

    The app trusts X-Forwarded-For/-Proto only from the TRAINER_PROXY_COUNT proxies in front
    (ProxyFix in create_app); gunicorn follows the same rule: with no proxy it trusts nobody
    (its default would trust any local process), with a proxy the proxy's addresses
    (FORWARDED_ALLOW_IPS, by default this host: nginx beside the app)."""
    if proxy_count() == 0:
        return ""
    return os.environ.get("FORWARDED_ALLOW_IPS", "").strip() or "127.0.0.1,::1"


# Personal links (/m/<token>) sign a learner in for 180 days, reset links (/reset/<token>) set a
# password, invitation links (/invite/<token>, also in /login?next=…) give a role, and projector
# links (/projector/<id>/<token>) open the projector without signing in: their tokens must not be
# kept in log files.
SECRET_PATHS = re.compile(r"(/(?:m|reset|invite)/|/projector/\d+/)[^/?#\s\"]+")


class RedactingLogger(Logger):
    """gunicorn's logger with the tokens of personal, reset, invitation and projector links
    replaced by ***."""

    def atoms(
        self, resp: object, req: object, environ: dict[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        # Every atom: the path is also in %(U)s, %({raw_uri}e)s, the Referer header, …
        return {
            key: SECRET_PATHS.sub(r"\1***", value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }


wsgi_app = "trainer:create_app()"
bind = [b.strip() for b in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",") if b]

workers = _positive_int(("GUNICORN_WORKERS", "WEB_CONCURRENCY"), default_workers())
# Threads let a worker answer the projector's and phones' small polls while another request
# of the same worker waits for the database; each thread may hold one database connection,
# so PostgreSQL needs workers × threads connections per host (5 × 4 = 20 on 2 cores).
threads = _positive_int(("GUNICORN_THREADS",), 4)
worker_class = "gthread" if threads > 1 else "sync"

# A worker that has not checked in for this long is killed and replaced. With one thread per
# worker (sync) that is also the longest a request may take: the answers CSV of a large network
# streams for ~17 s and a 1,000-badge PDF takes ~4 s, well inside it.
timeout = _positive_int(("GUNICORN_TIMEOUT",), 60)
# On restart or deploy (SIGHUP / SIGTERM) workers get this long to finish their requests.
graceful_timeout = _positive_int(("GUNICORN_GRACEFUL_TIMEOUT",), 30)
# Idle keep-alive connections (the projector and phones poll every 2-3 s) stay open this long.
keepalive = _positive_int(("GUNICORN_KEEPALIVE",), 5)

accesslog = "-"  # stdout: the service manager (systemd's journal, docker logs) keeps it
errorlog = "-"  # stderr
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logger_class = RedactingLogger
# The default format, plus how long the request took and which worker (pid) answered.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %(p)s'

forwarded_allow_ips = trusted_proxies()

# gunicorn 27 otherwise opens a control socket in the service user's home directory; nothing
# here uses it (restarts are signals from the service manager).
control_socket_disable = True


def when_ready(server: Arbiter) -> None:
    """Warn at start when rate limits would be counted per worker instead of shared."""
    started = server.cfg.workers  # --workers on the command line may have changed it
    if started > 1 and not os.environ.get("REDIS_URL", "").strip():
        server.log.warning(
            "REDIS_URL が設定されていません。ログインや個人用リンクの回数制限がワーカー %d 個"
            "それぞれで数えられるため、実際の上限が最大 %d 倍になります。REDIS_URL を設定して"
            "ください。",
            started,
            started,
        )
