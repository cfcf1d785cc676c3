"""Japanese error pages that reveal nothing internal (no tracebacks, no exception text)."""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from trainer.errors import NotFound

PAGES: dict[int, tuple[str, str]] = {
    400: ("リクエストを処理できませんでした", "入力内容を確かめて、もう一度お試しください。"),
    403: ("このページを見る権限がありません", "必要な場合は、事務局にお問い合わせください。"),
    404: (
        "ページが見つかりません",
        "URLが間違っているか、ページが削除された可能性があります。QRコードやリンクをもう一度確かめてください。",
    ),
    405: ("この操作はできません", "トップページから操作をやり直してください。"),
    413: ("ファイルが大きすぎます", "16MB以下のファイルにしてください。"),
    429: (
        "操作の回数が多すぎます",
        "しばらく時間をおいてから、もう一度お試しください。",
    ),
    500: (
        "システムでエラーが発生しました",
        "ご迷惑をおかけしています。時間をおいてもう一度お試しください。続く場合は事務局にご連絡ください。",
    ),
}


def render_error(code: int, message: str | None = None, title: str | None = None):
    """The template is rendered without context processors: those load the signed-in user from
    the database, and an error page must still render when the database is what failed."""
    default_title, default_message = PAGES.get(code, PAGES[500])
    template = current_app.jinja_env.get_template("core/errors/error.html")
    html = template.render(
        code=code, title=title or default_title, message=message or default_message
    )
    return html, code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return render_error(
            400,
            title="ページの有効期限が切れました",
            message="安全のため、しばらく時間がたったページからは送信できません。"
            "前のページに戻って再読み込みしてから、もう一度送信してください。",
        )

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        # Only our own Japanese error_message is shown; the default is English ("10 per 15 minute").
        custom = error.limit.error_message
        return render_error(429, message=(custom() if callable(custom) else custom) or None)

    @app.errorhandler(NotFound)
    def domain_not_found(_error: NotFound):
        return render_error(404)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        if app.testing:  # tests see the real exception, not the polite page
            raise error
        app.logger.exception("unhandled error")
        return render_error(500)
