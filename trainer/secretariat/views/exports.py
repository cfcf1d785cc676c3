"""書き出し（修了証・回答）: the page that lists the downloads, and the files.

Secretariat only (the blueprint's default): every file names people. Each download is logged
before it is sent."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import Response, g, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from trainer import tables
from trainer.accounts import roster
from trainer.accounts.access import network_blueprint
from trainer.certificates.service import CERTIFICATE_FILTERS
from trainer.core.headers import CSV
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.learning import service as learning
from trainer.qr import absolute_url
from trainer.secretariat import exports
from trainer.timeutil import today_jst

bp = network_blueprint("exports", __name__, "/exports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_BYTES = 64 * 1024


def _page(section: str = "", error: DomainError | None = None, status: int = 200):
    """The downloads page; after bad filters, with the message at the section's field."""
    network_id = g.network.id
    return render_template(
        "secretariat/exports/index.html",
        courses=learning.active_courses(db.session),
        organisations=roster.organisations(db.session, network_id),
        statuses=CERTIFICATE_FILTERS,
        certificate_total=exports.certificate_count(db.session, network_id),
        attempt_total=exports.submitted_attempt_count(db.session, network_id),
        members_links=_members_links(),
        section=section,
        error=error,
        args=request.args,
        xlsx_max_rows=exports.XLSX_MAX_ROWS,
    ), status


def _members_links() -> list[tuple[str, str, str]]:
    """The members export belongs to the completion pages (its filters live there)."""
    return [
        ("CSVで書き出す", url_for("completion.export_csv"), "button"),
        ("Excel形式で書き出す", url_for("completion.export_xlsx"), "button secondary"),
    ]


@bp.get("/")
def index():
    return _page()


def _download(body: bytes | Iterable[bytes], kind: str, stem: str) -> Response:
    response = Response(body, content_type=CSV if kind == "csv" else XLSX)
    name = f"{stem}-{g.network.id}-{today_jst():%Y%m%d}.{kind}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _log(action: str, kind: str, rows: int, filters) -> None:
    exports.record_export(
        db.session,
        network_id=g.network.id,
        network_name=g.network.name,
        actor=current_user,
        action=action,
        kind=kind,
        rows=rows,
        filters=exports.filter_details(db.session, filters),
    )


def _certificates(kind: str):
    try:
        filters = exports.certificate_filter(
            db.session, network_id=g.network.id, **_args("course", "organisation", "status")
        )
    except DomainError as error:
        return _page("certificates", error, 422)
    # One url_for for the whole file: every row's address is this prefix and its token.
    prefix = absolute_url(url_for("verify.page", token="-"))[:-1]
    rows = exports.certificate_rows(
        db.session, network_id=g.network.id, filters=filters, verify_url=prefix.__add__
    )
    _log("export.certificates", kind, len(rows), filters)
    header = exports.CERTIFICATE_HEADER
    if kind == "csv":
        return _download(tables.csv_bytes(header, rows), kind, "certificates")
    body = tables.xlsx_bytes(header, rows, sheet_title="修了証", widths=exports.CERTIFICATE_WIDTHS)
    return _download(body, kind, "certificates")


@bp.get("/certificates.csv")
def certificates_csv():
    return _certificates("csv")


@bp.get("/certificates.xlsx")
def certificates_xlsx():
    return _certificates("xlsx")


def _answers(kind: str):
    keys = ("course", "organisation", "submitted_from", "submitted_to")
    try:
        filters = exports.answer_filter(db.session, network_id=g.network.id, **_args(*keys))
    except DomainError as error:
        return _page("answers", error, 422)
    count = exports.answer_count(db.session, network_id=g.network.id, filters=filters)
    if kind == "xlsx" and count > exports.XLSX_MAX_ROWS:
        message = (
            f"回答が{count:,}行あり、Excel形式（{exports.XLSX_MAX_ROWS:,}行まで）では"
            "書き出せません。CSV形式で書き出すか（Excelでも開けます）、提出日の期間や構成団体で"
            "絞ってください。"
        )
        return _page("answers", DomainError(message, "submitted_from"), 422)
    _log("export.answers", kind, count, filters)
    if kind == "csv":
        return _download(_streamed_answers(g.network.id, filters), kind, "answers")
    rows = exports.answer_rows(db.session, network_id=g.network.id, filters=filters)
    body = tables.xlsx_bytes(
        exports.ANSWER_HEADER, rows, sheet_title="回答", widths=exports.ANSWER_WIDTHS
    )
    return _download(body, kind, "answers")


def _streamed_answers(network_id: int, filters: exports.AnswerFilter) -> Iterator[bytes]:
    """The CSV, made while it is sent, with a database session of its own: the request (and its
    session) has ended by the time the server asks for the rows, and a Flask context held open
    across the yields would be entered and left in different contexts by the server."""
    engine = db.engine

    def generate() -> Iterator[bytes]:
        with Session(engine) as session:
            rows = exports.answer_rows(session, network_id=network_id, filters=filters)
            yield from _chunks(tables.csv_lines(exports.ANSWER_HEADER, rows))

    return generate()


@bp.get("/answers.csv")
def answers_csv():
    return _answers("csv")


@bp.get("/answers.xlsx")
def answers_xlsx():
    return _answers("xlsx")


def _args(*names: str) -> dict[str, str]:
    return {name: request.args.get(name, "") for name in names}


def _chunks(lines: Iterator[bytes]) -> Iterator[bytes]:
    """Lines gathered into blocks of about 64 KB: one write per block, not per answer."""
    block: list[bytes] = []
    size = 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield b"".join(block)
            block, size = [], 0
    if block:
        yield b"".join(block)
