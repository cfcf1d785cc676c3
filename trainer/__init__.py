"""Mimamori Trainer (見守りトレーナー): the Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from trainer.config import load_config
from trainer.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides the environment (tests pass a database URL this way)."""
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    if config and "INSTANCE_PATH" in config:
        instance = Path(config["INSTANCE_PATH"])
        app.instance_path = str(instance)
    app.config.update(load_config(instance))
    if config:
        app.config.update(config)
    # Cookies follow the public address: Secure whenever the site is served over https, and
    # always in production (whose base URL must be https; see config._base_url).
    production = app.config["TRAINER_ENV"] == "production"
    secure = production or str(app.config["TRAINER_BASE_URL"]).startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in (config or {}):
            app.config[key] = secure

    register_extensions(app)
    register_sessions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_error_handlers(app)
    register_cli(app)
    register_worker(app)
    return app


def register_extensions(app: Flask) -> None:
    from trainer import database, models  # noqa: F401  (registers every table)
    from trainer.prefecture import stale

    # Before init_app: Flask-SQLAlchemy builds the engine there, so engine options set after it
    # (PostgreSQL's pool_pre_ping) would never apply.
    database.configure_engine_events(app)
    stale.install()  # a network's figures marked stale by any change to them
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from trainer.accounts import login as login_setup

    login_setup.configure(login_manager)

    proxies = int(app.config.get("TRAINER_PROXY_COUNT", 0) or 0)
    if proxies:
        # Flask's documented way to put WSGI middleware in front of the app; mypy sees wsgi_app
        # only as the method it replaces.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0
        )


def register_sessions(app: Flask) -> None:
    from trainer.core.sessions import CookieSessionInterface

    app.session_interface = CookieSessionInterface()


def register_url_converters(app: Flask) -> None:
    """Before the blueprints: a rule looks its converters up when it is added to the map."""
    from trainer.web import IdConverter

    app.url_map.converters["int"] = IdConverter


def register_blueprints(app: Flask) -> None:
    from trainer.accounts.views.auth import bp as auth_bp
    from trainer.accounts.views.roster import bp as roster_bp
    from trainer.accounts.views.settings import bp as settings_bp
    from trainer.accounts.views.staff import bp as staff_bp
    from trainer.admin.views import bp as admin_bp
    from trainer.audit.views import bp as audit_bp
    from trainer.bulletins.views import mail_stop, member, notice_print, public, secretariat
    from trainer.certificates.views import bp as certificates_bp
    from trainer.certificates.views import learner_bp as my_certificates_bp
    from trainer.certificates.views import verify_bp
    from trainer.concerns.views.figures import bp as concern_figures_bp
    from trainer.concerns.views.inbox import bp as concerns_bp
    from trainer.concerns.views.member import bp as my_concerns_bp
    from trainer.concerns.views.report_form import bp as report_form_bp
    from trainer.core.views import bp as core_bp
    from trainer.core.views import network_bp
    from trainer.learning.views.courses import bp as courses_bp
    from trainer.learning.views.learner import bp as learning_bp
    from trainer.mail.views import bp as mail_records_bp
    from trainer.prefecture.views import bp as prefecture_bp
    from trainer.quizzes.views import bp as quizzes_bp
    from trainer.refresher.views.due import bp as refresher_due_bp
    from trainer.refresher.views.learner import bp as refresher_bp
    from trainer.secretariat.views.completion import bp as completion_bp
    from trainer.secretariat.views.exports import bp as exports_bp
    from trainer.secretariat.views.report import bp as report_bp
    from trainer.secretariat.views.roster_import import bp as roster_import_bp
    from trainer.workshops.views.control import bp as workshops_bp
    from trainer.workshops.views.join import bp as join_bp
    from trainer.workshops.views.projector import bp as projector_bp

    for bp in (
        *(core_bp, network_bp, auth_bp, admin_bp, roster_bp, settings_bp, staff_bp, audit_bp),
        *(courses_bp, learning_bp, quizzes_bp),
        *(certificates_bp, my_certificates_bp, verify_bp),
        *(workshops_bp, join_bp, projector_bp),
        *(roster_import_bp, completion_bp, report_bp, exports_bp),
        *(report_form_bp, my_concerns_bp, concerns_bp, concern_figures_bp),  # つなぐ
        mail_records_bp,  # 送信記録
        *(secretariat.bp, member.bp, mail_stop.bp),  # bulletins
        *(notice_print.bp, notice_print.learner_bp, public.bp),  # bulletins: print, public
        *(refresher_bp, refresher_due_bp),  # refresher before expiry
        prefecture_bp,  # 都道府県・全国の集計
    ):
        app.register_blueprint(bp)


def register_request_hooks(app: Flask) -> None:
    from trainer.core.headers import add_security_headers

    app.after_request(add_security_headers)


def register_template_helpers(app: Flask) -> None:
    from trainer.core import template_helpers

    template_helpers.register(app)


def register_error_handlers(app: Flask) -> None:
    from trainer.core import error_pages

    error_pages.register(app)


def register_worker(app: Flask) -> None:
    """The worker's queue; views' mail goes through it (trainer/worker.py)."""
    from trainer import worker

    worker.init_app(app)


def register_cli(app: Flask) -> None:
    from trainer.commands import register_commands

    register_commands(app)
