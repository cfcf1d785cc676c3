"""Small helpers that views share."""

from __future__ import annotations

from flask import flash, request
from flask_wtf import FlaskForm

from trainer.errors import DomainError


def show_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's message at its field, or at the top of the page if it has none."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1
