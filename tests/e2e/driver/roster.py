"""A roster file as an office makes it in Excel, chosen on 名簿の取り込み."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import Page

from tests.e2e.driver.actions import submit

HEADER = ("構成団体", "氏名", "ふりがな", "職種", "年代", "加入日")


def roster_csv(rows: list[tuple[str, ...]], encoding: str) -> bytes:
    """A CSV as Excel saves it: the header in Japanese, CRLF line ends, in `encoding`
    ("utf-8-sig" writes the BOM of 「CSV UTF-8」, "cp932" is the plain 「CSV」)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def choose_roster_file(page: Page, name: str, data: bytes) -> None:
    """On the upload page: choose the file, 内容を確認する; the page then is the preview (or the
    upload page again, with the reason it was refused)."""
    page.get_by_label("名簿のファイル").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    submit(page, page.get_by_role("button", name="内容を確認する"))
