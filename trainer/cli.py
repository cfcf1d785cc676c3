"""The `trainer` command (the console script in pyproject.toml): Flask's command line over the app
factory. `trainer --help` lists the commands: Flask's own (run, shell, routes), Flask-Migrate's
`trainer db ...`, and this project's, which live in trainer/commands.py.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from trainer import create_app
from trainer.config import ConfigError


def _create_app() -> Flask:
    try:
        return create_app()
    except ConfigError as error:
        # The operator's mistake in one Japanese line, not a traceback.
        raise click.ClickException(str(error)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """見守りトレーナー (Mimamori Trainer) の管理コマンド。"""
