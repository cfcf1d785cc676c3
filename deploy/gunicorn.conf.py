"""gunicorn settings for production, and for `make run` (which sets its own bind and workers).

    .venv/bin/gunicorn -c deploy/gunicorn.conf.py 'trainer:create_app()'

Every value can be changed with an environment variable (docs/operations.md, 導入); gunicorn's own
command-line options still win over this file.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

from gunicorn import util
from gunicorn.arbiter import Arbiter
from gunicorn.glogging import Logger

from trainer.config import proxy_count
from trainer.core.headers import CSP


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
    """One worker a CPU (at least 2), each with threads for the requests that wait.

    gunicorn's rule of thumb, 2 × CPUs + 1, is for workers that each handle one request and
    mostly wait. These gthread workers run Python and hold the GIL most of the time, so more
    processes than cores only take turns on them: with a hall of 1,000 phones on 2 cores
    (bench/workshop_load.py), 5 workers spent 80-92 s of CPU where 2 spent 59 s, and the
    submit's p99 went from 3.5-4.7 s to 1.0 s (docs/benchmarks.md)."""
    return max(2, cpu_count())


def trusted_proxies() -> str:
    """Who may tell gunicorn that a request came over https (X-Forwarded-Proto).

    The app trusts X-Forwarded-For/-Proto only from the TRAINER_PROXY_COUNT proxies in front
    (ProxyFix in create_app); gunicorn follows the same rule: with no proxy it trusts nobody
    (its default would trust any local process), with a proxy the proxy's addresses
    (FORWARDED_ALLOW_IPS, by default this host: nginx beside the app)."""
    if proxy_count() == 0:
        return ""
    return os.environ.get("FORWARDED_ALLOW_IPS", "").strip() or "127.0.0.1,::1"


# Personal links (/m/<token>) sign a learner in for 180 days, report links (/r/<token>) send a
# report in a member's name, reset links (/reset/<token>) set a password, invitation links
# (/invite/<token>, also in /login?next=…) give a role, and projector links
# (/projector/<id>/<token>) open the projector without signing in: their tokens must not be
# kept in log files, nor in the errors gunicorn logs about a malformed request. A / may arrive
# percent-encoded (%2F) in a query string. Not secrets: /verify/<token> (printed on every
# certificate and badge for anyone to check) and /join/<code> (on the projector for the room).
SECRET_PATHS = re.compile(
    r"((?:/|%2F)(?:m|r|reset|invite)(?:/|%2F)|(?:/|%2F)projector(?:/|%2F)\d+(?:/|%2F))"
    r"(?:(?!%2F)[^/?#&\s\"'])+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    return SECRET_PATHS.sub(r"\1***", text)


class RedactingLogger(Logger):
    """gunicorn's logger with the tokens of personal, reset, invitation and projector links
    replaced by ***, in the access log and in its own messages."""

    def atoms(
        self, resp: object, req: object, environ: dict[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        # Every atom: the path is also in %(U)s, %({raw_uri}e)s, the Referer header, …
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }

    # gunicorn's own messages name the request too: "Invalid request from ip=…: Invalid HTTP
    # request line: 'GET /m/<token>…'", "Error handling request /reset/<token>", and at debug
    # level every request's path.
    def critical(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().critical(_redacted(msg, args), **kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().error(_redacted(msg, args), **kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().warning(_redacted(msg, args), **kwargs)

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().info(_redacted(msg, args), **kwargs)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().debug(_redacted(msg, args), **kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().exception(_redacted(msg, args), **kwargs)

    def log(self, lvl: int | str, msg: object, *args: object, **kwargs: Any) -> None:
        super().log(lvl, _redacted(msg, args), **kwargs)


def _redacted(msg: object, args: tuple[object, ...]) -> str:
    """The message as logging would format it, with its tokens replaced by ***."""
    try:
        text = str(msg) % args if args else str(msg)
    except (TypeError, ValueError):  # arguments that do not fit: kept, side by side
        text = " ".join(map(str, (msg, *args)))
    return redact(text)


# What gunicorn itself answers to a request it cannot hand to the app (a request line of raw
# bytes, a URL over limit_request_line, too many or too large headers): by default an English
# page without the app's security headers, echoing part of the request. Here the app's own
# wording and headers, and nothing of the request.
GUNICORN_PAGES = {
    400: (
        "リクエストを処理できませんでした",
        "アドレスや入力内容を確かめて、もう一度お試しください。",
    ),
    403: ("このページを見る権限がありません", "必要な場合は、事務局にお問い合わせください。"),
    414: (
        "アドレスが長すぎます",
        "リンクやQRコードのアドレスが正しく写されているか確かめて、もう一度お試しください。",
    ),
    417: ("リクエストを処理できませんでした", "もう一度お試しください。"),
    431: (
        "リクエストが大きすぎます",
        "ブラウザーのこのサイトのクッキーを削除してから、もう一度お試しください。",
    ),
    500: (
        "システムでエラーが発生しました",
        "時間をおいてもう一度お試しください。続く場合は事務局にご連絡ください。",
    ),
    501: ("この操作はできません", "トップページから操作をやり直してください。"),
}
ERROR_PAGE = """<!doctype html>
<html lang="ja">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | 見守りトレーナー</title></head>
<body><main><h1>{title}</h1><p>{message}</p><p>エラー番号：{code}</p>
<p><a href="/">トップページへ</a></p></main></body>
</html>
"""


def japanese_error(sock: Any, status_int: int, reason: str, _mesg: str) -> None:
    """gunicorn.util.write_error's replacement: the same response line, a Japanese page."""
    title, message = GUNICORN_PAGES.get(status_int, GUNICORN_PAGES[400])
    body = ERROR_PAGE.format(title=title, message=message, code=status_int).encode()
    headers = [
        f"HTTP/1.1 {status_int} {reason}",
        "Connection: close",
        "Content-Type: text/html; charset=utf-8",
        f"Content-Length: {len(body)}",
        f"Content-Security-Policy: {CSP}",
        "X-Content-Type-Options: nosniff",
        "Referrer-Policy: same-origin",
        "X-Frame-Options: DENY",
        "Cache-Control: no-store",
    ]
    head = "\r\n".join(headers) + "\r\n\r\n"
    util.write_nonblock(sock, head.encode("latin-1") + body)


# The workers call util.write_error by name at each bad request (workers/base.py handle_error);
# they are forked from the process that read this file, so they all answer with this page.
util.write_error = japanese_error


wsgi_app = "trainer:create_app()"
bind = [b.strip() for b in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",") if b]

workers = _positive_int(("GUNICORN_WORKERS", "WEB_CONCURRENCY"), default_workers())
# Threads let a worker answer the projector's and phones' small polls while another request
# of the same worker waits for the database; each thread may hold one database connection,
# so PostgreSQL needs workers × threads connections per host (2 × 4 = 8 on 2 cores).
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


def post_worker_init(worker: Any) -> None:
    """Compile the templates before the worker takes its first request (core/warm_up.py)."""
    from flask import Flask

    from trainer.core.warm_up import compile_templates

    if isinstance(worker.wsgi, Flask):
        compile_templates(worker.wsgi)


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
