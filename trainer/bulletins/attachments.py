"""A bulletin's attachment: an image (PNG, JPEG) or a PDF, recognised by its first bytes (never by
its name), at most 5 MB, and handed out as the file it is."""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask import Response, abort

from trainer.bulletins.models import Bulletin
from trainer.errors import DomainError
from trainer.tables import download
from trainer.text import clean_text

MAX_ATTACHMENT = 5 * 1024 * 1024  # 5 MB: a photographed flyer or a one-page PDF
# What a file is, by its first bytes: type, and the ending its name gets.
MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
ENDINGS = {"image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"), "application/pdf": (".pdf",)}
PDF = "application/pdf"


@dataclass(frozen=True)
class Upload:
    """A file from the form: its name as the browser gave it, and its bytes."""

    filename: str
    data: bytes


def checked(upload: Upload) -> tuple[str, str, bytes]:
    """(name, type, bytes) of an acceptable attachment; DomainError otherwise."""
    if len(upload.data) > MAX_ATTACHMENT:
        raise DomainError(
            "添付できるファイルは5MBまでです。写真は小さくしてから添付してください。",
            field="attachment",
        )
    if not upload.data:
        raise DomainError("ファイルが空です。", field="attachment")
    kind = next(((t, e) for magic, t, e in MAGIC if upload.data.startswith(magic)), None)
    if kind is None:
        raise DomainError("添付できるのは画像（PNG・JPEG）とPDFだけです。", field="attachment")
    content_type, ending = kind
    name = clean_text(os.path.basename(upload.filename.replace("\\", "/")))[:150] or "添付"
    if not name.lower().endswith(ENDINGS[content_type]):
        name += ending
    return name, content_type, upload.data


def is_image(bulletin: Bulletin) -> bool:
    return bulletin.attachment_type in ("image/png", "image/jpeg")


def response(bulletin: Bulletin) -> Response:
    """The attachment for the browser: an image shown in the page, a PDF saved (no-store, as
    every download). 404 when there is none."""
    data = bulletin.attachment_data
    if not bulletin.attachment_name or data is None:
        abort(404)
    if bulletin.attachment_type == PDF:
        return download(data, "pdf", bulletin.attachment_name)
    result = download(data, "pdf", bulletin.attachment_name, inline=True)
    result.headers["Content-Type"] = bulletin.attachment_type
    return result
