"""Small helpers that views share, and the URL converter every <int:...> route uses."""

from __future__ import annotations

from flask import flash, request
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter, Map

from trainer.errors import DomainError
from trainer.parsing import MAX_DIGITS, MAX_ID, parse_id, parse_int

# Far past any list's last page, and small enough that page × per_page stays a 64-bit OFFSET.
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """Flask's <int:...>, bounded to the ids the database can hold: 1 … MAX_ID (2**31 − 1) in
    ASCII digits. Anything else matches no route, so it is the same 404 as an id that does not
    exist, rather than an error from the database (an OverflowError for 25 digits on SQLite,
    "integer out of range" past 2**31 − 1 on PostgreSQL), or a route matched by '١' (Werkzeug's
    regex is \\d+, which takes every script's digits). Question numbers and the like are
    bounded the same way, far beyond any real one."""

    regex = rf"[0-9]{{1,{MAX_DIGITS}}}"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def show_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's message at its field, or at the top of the page if it has none."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def page_number() -> int:
    """?page=, 1 when it is missing or not a page number."""
    return parse_int(request.args.get("page"), minimum=1, maximum=MAX_PAGE) or 1


def query_id(name: str) -> int | None:
    """An id from the query string (?organisation=12), None when it is missing or could not be
    an id: as Werkzeug's type=int treated 'abc', now also '²' and 25 digits, which it passed on
    to the database."""
    return parse_id(request.args.get(name))
